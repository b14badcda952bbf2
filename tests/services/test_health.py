"""Probes against real, sometimes faulty, HTTP servers on loopback."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.services.clock import ManualClock, SystemClock
from warroom.services.config import EndpointConfig
from warroom.services.health.classify import classify, normalize_health_status
from warroom.services.health.client import make_client
from warroom.services.health.endpoint_probe import BODY_CAP, probe_endpoint
from warroom.services.health.probe import Prober
from warroom.services.health.rules import Hysteresis, is_flap, is_stale, next_state, percentile
from warroom.services.health.status import HealthSnapshot, ProbeResult, ProbeState, Reason

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

UP, WARN, DOWN, PENDING, STALE = (
    ProbeState.UP,
    ProbeState.WARN,
    ProbeState.DOWN,
    ProbeState.PENDING,
    ProbeState.STALE,
)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    """The request line, headers and body of one HTTP/1.1 request."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    return lines[0], headers, body


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await read_request(reader)
                writer.write(response(status, body, headers))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return handle


@asynccontextmanager
async def serve(handler: Handler, ssl_ctx: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on an ephemeral loopback port running `handler`; yields the port."""
    tasks: set[asyncio.Task[None]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        # a cancelled handler must end quietly on Python 3.11 (its streams callback would log)
        with suppress(
            ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, asyncio.CancelledError
        ):
            await handler(reader, writer)

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=ssl_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for task in tasks:
            task.cancel()
        server.close()


def ep(url: str, **kw: Any) -> EndpointConfig:
    fields: dict[str, Any] = {"name": "api", "url": url, "interval": 1.0, "timeout": 0.3}
    fields.update(kw)
    return EndpointConfig(**fields)


async def probe(endpoint: EndpointConfig) -> ProbeResult:
    async with make_client([endpoint]) as client:
        return await probe_endpoint(endpoint, client, SystemClock())


# --- pure rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prev", "verdict", "fail_t", "ok_t", "expected"),
    [
        # PENDING: failures below the threshold keep PENDING; enough make DOWN
        (Hysteresis(PENDING, 0, 0), DOWN, 3, 1, Hysteresis(PENDING, 1, 0)),
        (Hysteresis(PENDING, 2, 0), DOWN, 3, 1, Hysteresis(DOWN, 3, 0)),
        (Hysteresis(PENDING, 0, 0), DOWN, 1, 1, Hysteresis(DOWN, 1, 0)),
        (Hysteresis(PENDING, 0, 0), UP, 3, 1, Hysteresis(UP, 0, 1)),
        (Hysteresis(PENDING, 0, 0), WARN, 3, 1, Hysteresis(WARN, 0, 1)),
        (Hysteresis(PENDING, 0, 0), UP, 3, 2, Hysteresis(PENDING, 0, 1)),
        # UP holds through failures below the threshold
        (Hysteresis(UP, 0, 5), DOWN, 3, 1, Hysteresis(UP, 1, 0)),
        (Hysteresis(UP, 1, 0), DOWN, 3, 1, Hysteresis(UP, 2, 0)),
        (Hysteresis(UP, 2, 0), DOWN, 3, 1, Hysteresis(DOWN, 3, 0)),
        (Hysteresis(UP, 2, 0), UP, 3, 1, Hysteresis(UP, 0, 1)),
        # UP and WARN follow the latest verdict at once
        (Hysteresis(UP, 0, 1), WARN, 3, 2, Hysteresis(WARN, 0, 2)),
        (Hysteresis(WARN, 0, 1), UP, 3, 2, Hysteresis(UP, 0, 2)),
        (Hysteresis(WARN, 1, 0), UP, 3, 5, Hysteresis(UP, 0, 1)),
        (Hysteresis(WARN, 2, 0), DOWN, 3, 1, Hysteresis(DOWN, 3, 0)),
        # DOWN needs success_threshold successes to leave
        (Hysteresis(DOWN, 4, 0), UP, 3, 1, Hysteresis(UP, 0, 1)),
        (Hysteresis(DOWN, 4, 0), UP, 3, 2, Hysteresis(DOWN, 0, 1)),
        (Hysteresis(DOWN, 0, 1), UP, 3, 2, Hysteresis(UP, 0, 2)),
        (Hysteresis(DOWN, 0, 1), WARN, 3, 2, Hysteresis(WARN, 0, 2)),
        (Hysteresis(DOWN, 0, 1), DOWN, 3, 2, Hysteresis(DOWN, 1, 0)),
        # STALE behaves like PENDING: it needs the thresholds to resolve
        (Hysteresis(STALE, 0, 0), UP, 3, 1, Hysteresis(UP, 0, 1)),
        (Hysteresis(STALE, 0, 0), DOWN, 3, 1, Hysteresis(STALE, 1, 0)),
    ],
)
def test_next_state_table(
    prev: Hysteresis, verdict: ProbeState, fail_t: int, ok_t: int, expected: Hysteresis
) -> None:
    assert next_state(prev, verdict, fail_t, ok_t) == expected


def test_next_state_rejects_non_verdicts() -> None:
    with pytest.raises(ValueError):
        next_state(Hysteresis(), STALE, 3, 1)


@pytest.mark.parametrize(
    ("before", "after", "flap"),
    [
        (UP, DOWN, True),
        (WARN, DOWN, True),
        (DOWN, UP, True),
        (DOWN, WARN, True),
        (PENDING, DOWN, False),
        (PENDING, UP, False),
        (UP, WARN, False),
        (UP, STALE, False),
        (STALE, DOWN, False),
    ],
)
def test_is_flap(before: ProbeState, after: ProbeState, flap: bool) -> None:
    assert is_flap(before, after) is flap


@pytest.mark.parametrize(
    ("last", "now", "stale"),
    [(None, 1014.9, False), (None, 1015.0, True), (1010.0, 1024.0, False), (1010.0, 1025.0, True)],
)
def test_is_stale_after_three_intervals(last: float | None, now: float, stale: bool) -> None:
    assert is_stale(last, 1000.0, now, 5.0) is stale


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("pass", "pass"), ("OK", "pass"), ("Up", "pass"), ("warn", "warn"), ("FAIL", "fail"),
     ("down", "fail"), ("Error", "fail"), ("maybe", None), (3, None)],
)  # fmt: skip
def test_health_status_aliases(raw: object, norm: str | None) -> None:
    assert normalize_health_status(raw) == norm


@pytest.mark.parametrize(
    ("status", "body", "kw", "expected"),
    [
        (200, b"", {}, (UP, None)),
        (399, b"", {}, (UP, None)),
        (404, b"", {}, (DOWN, Reason.STATUS)),
        (503, b'{"status":"pass"}', {"health_json": True}, (DOWN, Reason.STATUS)),
        (200, b'{"status":"fail"}', {"health_json": True}, (WARN, Reason.BODY_FAIL)),
        (200, b'{"status":"WARN"}', {"health_json": True}, (WARN, Reason.BODY_FAIL)),
        (200, b'{"status":"ok"}', {"health_json": True}, (UP, None)),
        (200, b"{not json", {"health_json": True}, (DOWN, Reason.INVALID_JSON)),
        (200, b'{"status":"sideways"}', {"health_json": True}, (DOWN, Reason.INVALID_JSON)),
        (200, b"all good", {"keyword": "good"}, (UP, None)),
        (200, b"all bad", {"keyword": "good"}, (DOWN, Reason.KEYWORD)),
        (200, b"x", {"latency_warn": 0.1}, (WARN, Reason.SLOW)),
        (204, b"", {"expect_status": [204]}, (UP, None)),
        (200, b"", {"expect_status": [204]}, (DOWN, Reason.STATUS)),
    ],
)
def test_classify_table(
    status: int, body: bytes, kw: dict[str, Any], expected: tuple[ProbeState, Reason | None]
) -> None:
    state, reason, _detail, _checks = classify(ep("http://x/", **kw), status, body, False, 150.0)
    assert (state, reason) == expected


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile([0.0, 100.0], 0.95) == pytest.approx(95.0)


# --- real servers -----------------------------------------------------------------------


async def test_connection_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = await probe(ep(f"http://127.0.0.1:{port}/"))
    assert (result.state, result.reason) == (DOWN, Reason.REFUSED)
    assert result.status_code is None


async def test_dns_failure() -> None:
    result = await probe(ep("http://warroom-probe.invalid/", timeout=1.0, interval=2.0))
    assert result.state is DOWN
    assert result.reason is Reason.DNS


async def test_accepts_and_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with serve(silent) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/"))
    assert (result.state, result.reason) == (DOWN, Reason.READ_TIMEOUT)


async def test_dripping_body_is_cut_at_the_total_deadline() -> None:
    # A byte every 0.1 s never trips a per-read timeout of 0.3 s; the body would take
    # 100 s. Only a deadline over the whole probe ends it while the body still drips.
    sent = [0]

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
        for _ in range(1000):
            writer.write(b"x")
            await writer.drain()
            sent[0] += 1
            await asyncio.sleep(0.1)

    async with serve(drip) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", timeout=0.3))
        cut_at = sent[0]
    assert (result.state, result.reason) == (DOWN, Reason.DEADLINE)
    assert cut_at < 1000, "the probe waited for the whole body"


async def test_slow_answer_just_inside_the_deadline_is_up_but_slow() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(0.2)
        writer.write(response(200, b"ok"))
        await writer.drain()

    async with serve(slow) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", timeout=5.0, interval=6.0, latency_warn=0.1)
        result = await probe(endpoint)
    assert (result.state, result.reason) == (WARN, Reason.SLOW)
    # The latency includes the server's 0.2 s; how far above is the machine's business.
    assert result.latency_ms is not None and result.latency_ms > 150


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl CLI to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_self_signed_tls(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    async with serve(answer(200, b"ok"), ssl_ctx=ctx) as port:
        url = f"https://127.0.0.1:{port}/"
        # Handshakes on both ends of one loop are CPU work: room for a busy machine.
        slack: dict[str, Any] = {"timeout": 5.0, "interval": 6.0}
        refused = await probe(ep(url, **slack))
        trusted = await probe(ep(url, ca_file=str(cert), **slack))
        unverified = await probe(ep(url, verify_tls=False, **slack))
    assert (refused.state, refused.reason) == (DOWN, Reason.TLS)
    assert (trusted.state, trusted.status_code) == (UP, 200)
    assert unverified.state is UP


def redirector(location: Callable[[int], str]) -> tuple[Handler, list[int]]:
    count = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line, _, _ = await read_request(reader)
                count[0] += 1
                if line.startswith("GET /final"):
                    writer.write(response(200, b"arrived"))
                else:
                    writer.write(response(302, headers={"location": location(count[0])}))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass

    return handle, count


async def test_redirect_within_the_same_host_is_followed() -> None:
    handle, _ = redirector(lambda n: "/final")
    async with serve(handle) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/start", keyword="arrived"))
    assert (result.state, result.status_code) == (UP, 200)


async def test_redirect_to_another_host_is_not_followed() -> None:
    ports: list[int] = []
    handle, _ = redirector(lambda n: f"http://localhost:{ports[0]}/final")
    async with serve(handle) as port:
        ports.append(port)
        result = await probe(ep(f"http://127.0.0.1:{port}/start"))
    assert (result.state, result.reason) == (DOWN, Reason.REDIRECT)


async def test_redirect_loop_stops() -> None:
    handle, count = redirector(lambda n: f"/loop{n % 2}")
    async with serve(handle) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/loop0"))
    assert (result.state, result.reason) == (DOWN, Reason.REDIRECT)
    assert count[0] <= 6


async def test_huge_body_is_capped() -> None:
    sent = [0]

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n")
        chunk = b"a" * 65536
        while sent[0] < 100_000_000:
            writer.write(chunk)
            await writer.drain()
            sent[0] += len(chunk)

    async with serve(flood) as port:
        plain = await probe(ep(f"http://127.0.0.1:{port}/", timeout=0.5))
        keyword = await probe(ep(f"http://127.0.0.1:{port}/", timeout=0.5, keyword="zzz"))
    assert plain.state is UP and plain.truncated
    assert plain.bytes_read == BODY_CAP
    assert len(plain.body) <= 4096
    assert (keyword.state, keyword.reason) == (DOWN, Reason.OVERSIZE)
    assert sent[0] < 10_000_000  # the client stopped reading long before 100 MB


async def test_invalid_json_with_health_json() -> None:
    async with serve(answer(200, b"<html>oops</html>")) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", health_json=True))
    assert (result.state, result.reason) == (DOWN, Reason.INVALID_JSON)
    assert "oops" in result.body


async def test_200_with_fail_body_is_warn_with_checks() -> None:
    doc = {
        "status": "fail",
        "checks": {"db:connections": [{"status": "fail", "output": "pool exhausted\x1b[2J"}]},
    }
    async with serve(answer(200, json.dumps(doc).encode())) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", health_json=True))
    assert (result.state, result.reason) == (WARN, Reason.BODY_FAIL)
    assert result.checks[0].name == "db:connections"
    assert result.checks[0].status == "fail"
    assert "\x1b" not in result.checks[0].output


async def test_503_with_pass_body_is_down_status() -> None:
    async with serve(answer(503, b'{"status":"pass"}')) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", health_json=True))
    assert (result.state, result.reason, result.status_code) == (DOWN, Reason.STATUS, 503)


async def test_login_post_sends_json_and_keeps_no_secrets() -> None:
    seen: list[tuple[str, dict[str, str], bytes]] = []

    async def login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        body = b'{"access_token": "s3cr3t-token", "user": "smoke"}'
        writer.write(response(200, body, {"set-cookie": "sid=s3cr3t-cookie"}))
        await writer.drain()

    async with serve(login) as port:
        endpoint = ep(
            f"http://127.0.0.1:{port}/api/auth/login",
            method="POST",
            json={"user": "smoke", "password": "pw"},
            headers={"Authorization": "Bearer s3cr3t-header"},
        )
        result = await probe(endpoint)
    line, headers, body = seen[0]
    assert line.startswith("POST /api/auth/login")
    assert json.loads(body) == {"user": "smoke", "password": "pw"}
    assert headers["authorization"] == "Bearer s3cr3t-header"
    assert result.state is UP
    assert "s3cr3t" not in repr(result)
    assert '"user": "smoke"' in result.body


async def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    async with serve(answer(200, b"ok")) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/"))
    assert result.state is UP


async def test_escape_sequences_in_body_and_headers_are_inert() -> None:
    async with serve(answer(500, b"\x1b]0;pwned\x07\x1b[2Jboom", {"x-evil": "a\x1bb"})) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/"))
    assert "\x1b" not in result.body and "boom" in result.body
    assert all("\x1b" not in v for _, v in result.headers)


# --- the prober -------------------------------------------------------------------------


def fake(state: ProbeState, clock: ManualClock, latency: float | None = 10.0) -> ProbeResult:
    reason = None if state is UP else Reason.REFUSED
    return ProbeResult(state, reason, clock.now(), latency_ms=latency)


async def test_flapping_is_held_by_hysteresis_and_counted(clock: ManualClock) -> None:
    endpoint = ep("http://127.0.0.1:1/", failure_threshold=2, interval=5.0, timeout=1.0)
    async with make_client([endpoint]) as client:
        prober = Prober([endpoint], client, clock)
        states = []
        for verdict in [UP, DOWN, UP, DOWN, UP, DOWN, DOWN, UP, DOWN]:
            clock.advance(5)
            prober.record("api", fake(verdict, clock))
            status = prober.snapshot().endpoints[0]
            states.append((status.state, status.reason))
    assert [s for s, _ in states] == [UP, UP, UP, UP, UP, UP, DOWN, UP, UP]
    # the latest raw result shows through while the state holds
    assert states[1] == (UP, Reason.REFUSED)
    status = prober.snapshot().endpoints[0]
    assert status.flaps == 2
    assert status.uptime_pct == pytest.approx(100 * 4 / 9)
    assert len(status.history) == 9


async def test_stale_after_three_intervals_without_results(clock: ManualClock) -> None:
    endpoint = ep("http://127.0.0.1:1/", interval=5.0, timeout=1.0)
    async with make_client([endpoint]) as client:
        prober = Prober([endpoint], client, clock)
        prober.record("api", fake(UP, clock))
        clock.advance(14)
        assert prober.snapshot().endpoints[0].state is UP
        clock.advance(1)
        assert prober.snapshot().endpoints[0].state is STALE
        prober.record("api", fake(UP, clock))
        assert prober.snapshot().endpoints[0].state is UP


async def test_uptime_since_deploy_and_percentiles(clock: ManualClock) -> None:
    endpoint = ep("http://127.0.0.1:1/", failure_threshold=1)
    async with make_client([endpoint]) as client:
        prober = Prober([endpoint], client, clock)
        for latency in (10.0, 20.0, 30.0):
            prober.record("api", fake(UP, clock, latency))
        prober.record("api", fake(DOWN, clock, None))
        assert prober.snapshot().endpoints[0].uptime_since_deploy_pct is None
        prober.mark_deploy(clock.now())
        prober.record("api", fake(UP, clock, 40.0))
        status = prober.snapshot().endpoints[0]
    assert status.uptime_pct == pytest.approx(80.0)
    assert status.uptime_since_deploy_pct == pytest.approx(100.0)
    assert status.latencies == (10.0, 20.0, 30.0, 40.0)
    assert status.p50_ms == pytest.approx(25.0)
    assert status.last_change is not None


async def next_matching(
    stream: AsyncIterator[HealthSnapshot], cond: Callable[[HealthSnapshot], bool]
) -> HealthSnapshot:
    async with asyncio.timeout(5):
        async for snap in stream:
            if cond(snap):
                return snap
    raise AssertionError("stream ended")


async def test_stream_every_endpoint_down_at_once() -> None:
    ports = []
    for _ in range(3):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        ports.append(sock.getsockname()[1])
        sock.close()
    endpoints = [
        ep(f"http://127.0.0.1:{p}/", name=f"e{i}", interval=0.1, timeout=0.05, failure_threshold=2)
        for i, p in enumerate(ports)
    ]
    async with make_client(endpoints) as client:
        stream = Prober(endpoints, client, SystemClock()).stream()
        first = await anext(stream)
        assert {e.state for e in first.endpoints} == {PENDING}
        snap = await next_matching(stream, lambda s: all(e.state is DOWN for e in s.endpoints))
        await stream.aclose()  # type: ignore[attr-defined]
    assert {e.reason for e in snap.endpoints} == {Reason.REFUSED}


async def test_stream_recovers_when_the_server_comes_back() -> None:
    healthy = [False]

    async def toggle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await read_request(reader)
                writer.write(response(200 if healthy[0] else 503, b"x"))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass

    async with serve(toggle) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", interval=0.1, timeout=0.09, failure_threshold=1)
        async with make_client([endpoint]) as client:
            stream = Prober([endpoint], client, SystemClock()).stream()
            down = await next_matching(stream, lambda s: s.endpoints[0].state is DOWN)
            assert down.endpoints[0].status_code == 503
            healthy[0] = True
            up = await next_matching(stream, lambda s: s.endpoints[0].state is UP)
            await stream.aclose()  # type: ignore[attr-defined]
    assert up.endpoints[0].flaps == 1
    assert up.endpoints[0].reason is None


async def test_one_probe_in_flight_per_endpoint() -> None:
    in_flight = [0]
    peak = [0]

    async def slowish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await read_request(reader)
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
                await asyncio.sleep(0.04)
                in_flight[0] -= 1
                writer.write(response(200, b"x"))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass

    async with serve(slowish) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", interval=0.05, timeout=0.045)
        async with make_client([endpoint]) as client:
            stream = Prober([endpoint], client, SystemClock()).stream()
            await next_matching(stream, lambda s: len(s.endpoints[0].history) >= 5)
            await stream.aclose()  # type: ignore[attr-defined]
    assert peak[0] == 1


def test_client_ignores_environment() -> None:
    client = make_client([ep("http://x/")])
    assert client.trust_env is False
    assert isinstance(client, httpx.AsyncClient)


async def test_flaps_in_a_burst_are_all_counted(clock: ManualClock) -> None:
    endpoint = ep("http://127.0.0.1:1/", failure_threshold=1)
    async with make_client([endpoint]) as client:
        prober = Prober([endpoint], client, clock)
        for verdict in [UP, DOWN, UP, DOWN, UP]:
            prober.record("api", fake(verdict, clock))
        status = prober.snapshot().endpoints[0]
    assert (status.state, status.flaps) == (UP, 4)

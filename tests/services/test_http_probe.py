"""The probes' own HTTP/1.1 transport against real, sometimes faulty, loopback servers."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services.test_health import ep, read_request, response, self_signed, serve
from warroom.services.clock import SystemClock
from warroom.services.config import EndpointConfig
from warroom.services.health.client import make_client
from warroom.services.health.endpoint_probe import probe_endpoint
from warroom.services.health.h11_connection import HEAD_CAP
from warroom.services.health.status import ProbeResult, ProbeState, Reason
from warroom.services.health.transport import ProbeTransport

__all__ = ["self_signed"]  # the fixture, shared with the health tests

UP, WARN, DOWN = ProbeState.UP, ProbeState.WARN, ProbeState.DOWN
Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


async def probes(endpoint: EndpointConfig, n: int, pause: float = 0.0) -> list[ProbeResult]:
    """`n` probes of `endpoint` through one client, `pause` seconds apart."""
    results = []
    async with make_client([endpoint]) as client:
        for i in range(n):
            if i and pause:
                await asyncio.sleep(pause)
            results.append(await probe_endpoint(endpoint, client, SystemClock()))
    return results


class Counting:
    """A keep-alive server that counts connections and answers each request in turn."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    def next_answer(self) -> bytes:
        return self.answers[min(len(self.requests), len(self.answers)) - 1]

    async def __call__(self, reader: Reader, writer: Writer) -> None:
        self.connections += 1
        try:
            while True:
                self.requests.append(await read_request(reader))
                writer.write(self.next_answer())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


# --- keep-alive -------------------------------------------------------------------------


async def test_one_connection_serves_many_probes() -> None:
    server = Counting(response(200, b"ok"))
    async with serve(server) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/", keyword="ok"), 5)
    assert [r.state for r in results] == [UP] * 5
    assert len(server.requests) == 5
    assert server.connections == 1


async def test_idle_connection_closed_by_the_server_is_not_a_failure() -> None:
    connections = [0]

    async def short_keepalive(reader: Reader, writer: Writer) -> None:
        connections[0] += 1
        await read_request(reader)
        writer.write(response(200, b"ok"))  # says nothing about closing, then closes
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.close()

    async with serve(short_keepalive) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/"), 3, pause=0.1)
    assert [r.state for r in results] == [UP] * 3
    assert connections[0] == 3


async def test_connection_closed_as_the_next_request_arrives_is_retried_once() -> None:
    """The server's idle timeout strikes just as a request is sent on the old connection."""
    connections = [0]

    async def racing_close(reader: Reader, writer: Writer) -> None:
        connections[0] += 1
        await read_request(reader)
        writer.write(response(200, b"ok"))
        await writer.drain()
        await read_request(reader)  # the second request on this connection: hang up
        writer.close()

    async with serve(racing_close) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/"), 3)
    assert [r.state for r in results] == [UP] * 3
    assert connections[0] == 3


async def test_a_fresh_connection_closed_without_an_answer_is_down() -> None:
    attempts = [0]

    async def hang_up(reader: Reader, writer: Writer) -> None:
        attempts[0] += 1
        await read_request(reader)
        writer.close()

    async with serve(hang_up) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/"), 1)
    assert result.state is DOWN
    assert "closed the connection without a response" in result.detail
    assert attempts[0] == 1  # a new connection is never retried


# --- framing ------------------------------------------------------------------------------


async def test_chunked_body_is_read_whole_and_the_connection_kept() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n"
        b"7;ext=1\r\n, world\r\n"
        b"1A\r\n" + b"z" * 26 + b"\r\n"
        b"0\r\nx-trailer: yes\r\n\r\n"
    )
    server = Counting(chunked)
    async with serve(server) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/", keyword="z" * 26), 2)
    assert [r.state for r in results] == [UP, UP]
    assert results[0].body == "hello, world" + "z" * 26
    assert results[0].bytes_read == 38
    assert server.connections == 1


async def test_chunked_body_arriving_in_pieces() -> None:
    async def trickle(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        pieces = [b"HTTP/1.1 200 OK\r\ntransfer-", b"encoding: chunked\r\n\r\n4\r", b"\nab"]
        pieces += [b"cd\r\n", b"3\r\nef", b"g\r\n0\r", b"\n\r", b"\n"]
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        await asyncio.sleep(5)

    async with serve(trickle) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", timeout=1.0, interval=2.0), 1)
    assert (result.state, result.body) == (UP, "abcdefg")


async def test_chunked_body_cut_by_the_server_is_down_at_once() -> None:
    async def cut(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n1")
        await writer.drain()
        writer.close()

    async with serve(cut) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", timeout=2.0, interval=3.0), 1)
    assert result.state is DOWN
    assert result.detail == "server closed the connection before the end of the body"
    assert result.reason is Reason.READ_TIMEOUT  # the answer broke off: it did not answer


async def test_malformed_chunk_size_is_down() -> None:
    bad = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    async with serve(Counting(bad)) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/"), 1)
    assert result.state is DOWN
    assert "chunk size" in result.detail


async def test_connection_close_answer_is_read_and_the_next_probe_reconnects() -> None:
    connections = [0]
    closed = asyncio.Event()

    async def close_after(reader: Reader, writer: Writer) -> None:
        connections[0] += 1
        await read_request(reader)
        writer.write(response(200, b"bye", {"connection": "close"}))
        await writer.drain()
        # The socket stays open until both probes are done: a client that waited for
        # the close would run into its deadline instead of being UP.
        await closed.wait()
        writer.close()

    async with serve(close_after) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", keyword="bye", timeout=2.0, interval=3.0)
        results = await probes(endpoint, 2)
        closed.set()
    assert [r.state for r in results] == [UP, UP]
    assert connections[0] == 2


async def test_body_without_length_is_read_until_the_server_closes() -> None:
    async def until_close(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nfirst ")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"second")
        await writer.drain()
        writer.close()

    async with serve(until_close) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", keyword="second"), 1)
    assert (result.state, result.body) == (UP, "first second")


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("GET", b"HTTP/1.1 304 Not Modified\r\ncontent-length: 50\r\n\r\n"),
        ("HEAD", b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"),
    ],
)
async def test_answers_without_a_body_do_not_wait_for_one(method: str, answer: bytes) -> None:
    server = Counting(answer)
    async with serve(server) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", method=method, expect_status=["200-399"])
        results = await probes(endpoint, 3)
    assert [r.state for r in results] == [UP] * 3
    assert server.connections == 1


async def test_interim_100_answer_is_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, b"final")
    async with serve(Counting(interim)) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", keyword="final"), 1)
    assert (result.state, result.status_code) == (UP, 200)


# --- hardening ----------------------------------------------------------------------------


async def test_headers_over_the_cap_are_a_malformed_answer() -> None:
    async def huge_head(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(200):  # 200 x 1 KiB of headers, never ending
            writer.write(b"x-filler-%d: %b\r\n" % (n, b"a" * 1024))
            await writer.drain()
        await asyncio.sleep(5)

    async with serve(huge_head) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", timeout=2.0, interval=3.0), 1)
    assert result.state is DOWN
    assert result.detail == f"response head over {HEAD_CAP // 1024} KiB"
    assert result.latency_ms is None and result.status_code is None


async def test_garbage_instead_of_a_status_line_is_down() -> None:
    async with serve(Counting(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/"), 1)
    assert result.state is DOWN
    assert "malformed status line" in result.detail


async def test_cancelled_mid_body_does_not_poison_the_pool() -> None:
    """A probe cut at its deadline mid-body leaves no half-read connection behind."""
    connections = [0]

    async def drip_then_answer(reader: Reader, writer: Writer) -> None:
        connections[0] += 1
        first = connections[0] == 1
        try:
            while True:
                await read_request(reader)
                if first:  # the first connection drips its body far past the deadline
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\n")
                    for _ in range(20):
                        writer.write(b"x")
                        await writer.drain()
                        await asyncio.sleep(0.1)
                else:
                    writer.write(response(200, b"fresh"))
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    async with serve(drip_then_answer) as port:
        # The drip takes 2 s; a 1 s deadline cuts it, and leaves the fresh answers room.
        endpoint = ep(f"http://127.0.0.1:{port}/", keyword="fresh", timeout=1.0, interval=2.0)
        cut, *after = await probes(endpoint, 3)
    assert (cut.state, cut.reason) == (DOWN, Reason.DEADLINE)
    assert [(r.state, r.body) for r in after] == [(UP, "fresh"), (UP, "fresh")]
    assert connections[0] == 2


async def test_body_cut_at_the_cap_closes_the_connection() -> None:
    server = Counting(response(200, b"x" * 1_000_000))
    async with serve(server) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/", timeout=1.0, interval=2.0), 2)
    assert [(r.state, r.truncated) for r in results] == [(UP, True), (UP, True)]
    assert server.connections == 2  # the unread rest of the first body was never reused


async def test_redirect_body_already_received_keeps_the_connection() -> None:
    server = Counting(
        response(302, b"Found. Redirecting to /final", {"location": "/final"}),
        response(200, b"arrived"),
    )
    async with serve(server) as port:
        (result,) = await probes(ep(f"http://127.0.0.1:{port}/", keyword="arrived"), 1)
    assert (result.state, result.status_code) == (UP, 200)
    assert [line for line, _, _ in server.requests] == ["GET / HTTP/1.1", "GET /final HTTP/1.1"]
    assert server.connections == 1


async def test_a_line_break_in_a_header_value_is_refused() -> None:
    server = Counting(response(200, b"ok"))
    async with serve(server) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", headers={"x-token": "a\r\nx-injected: 1"})
        (result,) = await probes(endpoint, 1)
    assert result.state is DOWN
    assert server.requests == []


# --- what httpx does around the transport still happens ------------------------------------


async def test_cookies_set_by_an_answer_are_sent_on_the_next_probe() -> None:
    server = Counting(response(200, b"ok", {"set-cookie": "sid=abc; Path=/"}), response(200, b"ok"))
    async with serve(server) as port:
        results = await probes(ep(f"http://127.0.0.1:{port}/"), 2)
    assert [r.state for r in results] == [UP, UP]
    assert "cookie" not in server.requests[0][1]
    assert server.requests[1][1]["cookie"] == "sid=abc"


async def test_post_body_and_gzip_answer() -> None:
    import gzip

    body = gzip.compress(b'{"status": "pass"}')
    server = Counting(response(200, body, {"content-encoding": "gzip"}))
    async with serve(server) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/", method="POST", json={"a": 1}, health_json=True)
        (result,) = await probes(endpoint, 1)
    assert result.state is UP
    assert server.requests[0][0].startswith("POST / HTTP/1.1")
    assert server.requests[0][2] == b'{"a":1}'


async def test_streamed_request_body_is_sent_chunked() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"defg"

    seen: list[bytes] = []

    async def chunked_reader(reader: Reader, writer: Writer) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head.lower()
        seen.append(await reader.readuntil(b"0\r\n\r\n"))
        writer.write(response(200, b"got it"))
        await writer.drain()

    async with serve(chunked_reader) as port, httpx.AsyncClient(transport=ProbeTransport()) as c:
        answer = await c.post(f"http://127.0.0.1:{port}/", content=parts())
    assert answer.text == "got it"
    assert seen == [b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"]


async def test_tls_connection_is_kept_alive(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = Counting(response(200, b"secure"))
    async with serve(server, ssl_ctx=ctx) as port:
        url = f"https://127.0.0.1:{port}/"
        results = await probes(ep(url, ca_file=str(cert), keyword="secure"), 3)
        connections = server.connections
        by_name = await probes(ep(f"https://localhost:{port}/", ca_file=str(cert)), 1)
    assert [r.state for r in results] == [UP] * 3
    assert connections == 1
    assert by_name[0].state is UP  # checked against the name in the certificate


async def test_tls_to_a_plain_server_is_a_tls_failure() -> None:
    async def plain(reader: Reader, writer: Writer) -> None:
        await reader.read(1024)  # a TLS hello, which a plain HTTP server cannot parse
        writer.write(response(400, b"bad request"))
        await writer.drain()
        writer.close()

    async with serve(plain) as port:
        (result,) = await probes(ep(f"https://127.0.0.1:{port}/"), 1)
    assert (result.state, result.reason) == (DOWN, Reason.TLS)


async def test_connect_trace_events_come_in_order() -> None:
    events: list[str] = []

    async def trace(event: str, info: dict[str, Any]) -> None:
        events.append(event)

    server = serve(Counting(response(200, b"ok")))
    async with server as port, httpx.AsyncClient(transport=ProbeTransport()) as client:
        for _ in range(2):
            request = client.build_request(
                "GET", f"http://127.0.0.1:{port}/", extensions={"trace": trace}
            )
            answer = await client.send(request)
            assert answer.text == "ok"
    first = events[: events.index("http11.response_closed.started") + 1]
    second = events[len(first) :]
    assert first == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "http11.send_request_headers.started",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
        "http11.receive_response_body.started",
        "http11.response_closed.started",
    ]
    assert second == first[2:]  # the kept connection is not connected again

"""One wording per endpoint state: what the hysteresis holds back is said, flapping is named."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from warroom.services.clock import ManualClock, SystemClock
from warroom.services.config import EndpointConfig
from warroom.services.health.client import make_client
from warroom.services.health.probe import Prober
from warroom.services.health.rules import FLAP_WINDOW_INTERVALS
from warroom.services.health.state_words import state_words
from warroom.services.health.status import FLAP_COUNT, ProbeResult, ProbeState, Reason


def endpoint(**kw: object) -> EndpointConfig:
    fields: dict[str, object] = {
        "name": "login smoke",
        "url": "http://127.0.0.1:1/",
        "interval": 1.0,
        "timeout": 0.5,
        "failure_threshold": 3,
        "success_threshold": 2,
    }
    fields.update(kw)
    return EndpointConfig(**fields)  # type: ignore[arg-type]


def ok(clock: ManualClock) -> ProbeResult:
    return ProbeResult(ProbeState.UP, None, clock.now(), status_code=200, latency_ms=5.0)


def fail(clock: ManualClock, code: int | None = 500) -> ProbeResult:
    reason = Reason.STATUS if code is not None else Reason.REFUSED
    return ProbeResult(ProbeState.DOWN, reason, clock.now(), status_code=code)


def feed(clock: ManualClock, config: EndpointConfig, results: Sequence[str]) -> str:
    """Feed "ok"/"500"/"refused" results one interval apart; the words afterwards."""
    prober = Prober([config], client=None, clock=clock)  # type: ignore[arg-type]
    for kind in results:
        clock.advance(config.interval)
        if kind == "ok":
            result = ok(clock)
        else:
            result = fail(clock, None if kind == "refused" else int(kind))
        prober.record(config.name, result)
    status = prober.snapshot().endpoints[0]
    return state_words(status).text


def test_up_under_the_failure_threshold_says_it_is_failing() -> None:
    clock = ManualClock()
    assert feed(clock, endpoint(), ["ok", "ok", "500"]) == "UP · 1 of 3 failing · 500"
    assert (
        feed(clock, endpoint(), ["ok", "ok", "refused", "refused"])
        == "UP · 2 of 3 failing · refused"
    )


def test_down_names_the_code_and_how_far_from_up() -> None:
    clock = ManualClock()
    assert feed(clock, endpoint(), ["500", "500", "500"]) == "DOWN · 500"
    assert feed(clock, endpoint(), ["500", "500", "500", "ok"]) == "DOWN · 200 · 1 of 2 passing"
    assert feed(clock, endpoint(), ["ok", "ok"]) == "UP"


def test_repeated_transitions_in_the_window_read_flapping() -> None:
    clock = ManualClock()
    config = endpoint(failure_threshold=1, success_threshold=1)
    flapping = feed(clock, config, ["ok", "500", "ok", "500"])
    assert flapping == f"FLAPPING · now DOWN · 500 · {FLAP_COUNT} changes"
    # One change short of the count is a state, not flapping.
    assert feed(clock, config, ["ok", "500", "ok"]) == "UP"


def test_flapping_ends_once_the_changes_leave_the_window() -> None:
    clock = ManualClock()
    config = endpoint(failure_threshold=1, success_threshold=1)
    calm = ["ok"] * (FLAP_WINDOW_INTERVALS + 1)
    assert feed(clock, config, ["ok", "500", "ok", "500", "ok", *calm]) == "UP"


@asynccontextmanager
async def scripted(codes: Sequence[int]) -> AsyncIterator[int]:
    """A real HTTP server answering each request with the next code of `codes`, then 200."""
    queue = list(codes)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        code = queue.pop(0) if queue else 200
        writer.write(
            f"HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_a_real_500_under_the_threshold_is_not_shown_as_plain_up() -> None:
    async with scripted([200, 500]) as port:
        config = endpoint(url=f"http://127.0.0.1:{port}/", success_threshold=1)
        async with make_client([config]) as client:
            prober = Prober([config], client, SystemClock())
            for _ in range(2):
                prober.record(config.name, await prober.probe_once(config))
    words = state_words(prober.snapshot().endpoints[0])
    assert (words.key, words.text) == ("up", "UP · 1 of 3 failing · 500")

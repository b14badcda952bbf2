"""Probe limits against hostile loopback servers: a gzip bomb, endless and dripping bodies.

A probe keeps at most BODY_CAP decoded bytes whatever the body claims to be, never
holds the event loop while decoding, and fails at its deadline whatever the server
does; an endpoint probed beside such servers keeps answering UP within its own.
"""

from __future__ import annotations

import asyncio
import struct
import tracemalloc
import zlib
from collections.abc import AsyncGenerator
from typing import cast

import pytest

from tests.services.test_health import Handler, ep, probe, read_request, response, serve
from warroom.services.clock import SystemClock
from warroom.services.config import EndpointConfig
from warroom.services.health.client import make_client
from warroom.services.health.endpoint_probe import BODY_CAP
from warroom.services.health.probe import Prober
from warroom.services.health.status import HealthSnapshot, ProbeResult, ProbeState, Reason

UP, DOWN = ProbeState.UP, ProbeState.DOWN
Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter

MIB = 1024 * 1024
BOMB_MIB = 1024
"""The bomb inflates to 1 GiB of zeros."""
MEMORY_BOUND = 16 * MIB
"""Most bytes a probe of the bomb may allocate at its peak (inflating it whole: 1 GiB)."""


def closing(handler: Handler) -> Handler:
    """`handler`, closing its connection however it ends (a client that hung up, a cancel)."""

    async def handle(reader: Reader, writer: Writer) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.transport.abort()

    return handle


def _gzip_units() -> tuple[bytes, bytes]:
    """(gzip header + the first MiB of zeros, one more MiB of zeros), both byte-aligned.

    After a full flush the compressor forgets its history, so every further MiB of
    zeros compresses to the same bytes: the bomb is built from one unit repeated,
    without compressing a GiB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first, unit


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """A valid gzip file of ~1 MB that inflates to 1 GiB of zeros."""
    first, unit = _gzip_units()
    crc = 0
    zeros = bytes(MIB)
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(zeros, crc)
    final_block = b"\x03\x00"  # an empty, final, fixed-Huffman block
    trailer = struct.pack("<II", crc, (BOMB_MIB * MIB) & 0xFFFFFFFF)
    bomb = first + unit * (BOMB_MIB - 1) + final_block + trailer
    assert len(bomb) < 2 * MIB  # what the server sends; the client would inflate 1 GiB
    return bomb


def bomb_server(bomb: bytes) -> Handler:
    """Answers every request with the bomb, Content-Length and Content-Encoding: gzip."""

    async def handle(reader: Reader, writer: Writer) -> None:
        while True:
            await read_request(reader)
            writer.write(response(200, bomb, {"content-encoding": "gzip"}))
            await writer.drain()

    return closing(handle)


@closing
async def endless_gzip(reader: Reader, writer: Writer) -> None:
    """A chunked gzip body of zeros that never ends, sent as fast as it is read."""
    first, unit = _gzip_units()
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n")
    writer.write(b"%x\r\n%b\r\n" % (len(first), first))
    while True:
        writer.write(b"%x\r\n%b\r\n" % (len(unit), unit))
        await writer.drain()


@closing
async def endless_padding(reader: Reader, writer: Writer) -> None:
    """A gzip body of empty deflate blocks after one byte: it never inflates to more."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    start = compressor.compress(b"{") + compressor.flush(zlib.Z_SYNC_FLUSH)
    padding = b"\x00\x00\x00\xff\xff" * 13_000  # empty stored blocks, ~64 KiB
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\n\r\n" + start)
    while True:
        writer.write(padding)
        await writer.drain()


@closing
async def drip_body(reader: Reader, writer: Writer) -> None:
    """A head at once, then one body byte every 50 ms of a promised 10 000."""
    while True:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n")
        for _ in range(10_000):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)


@closing
async def drip_head(reader: Reader, writer: Writer) -> None:
    """The status line, then one byte of a header every 50 ms, never a blank line."""
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")
    while True:
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.05)


@closing
async def quick(reader: Reader, writer: Writer) -> None:
    """The endpoint beside the hostile ones: a small health+json answer at once."""
    while True:
        await read_request(reader)
        writer.write(response(200, b'{"status": "pass"}'))
        await writer.drain()


# --- one probe of each --------------------------------------------------------------------


async def test_gzip_bomb_is_cut_at_the_cap_in_bounded_memory(gzip_bomb: bytes) -> None:
    async with serve(bomb_server(gzip_bomb)) as port:
        url = f"http://127.0.0.1:{port}/"
        tracemalloc.start()
        try:
            health = await probe(ep(url, health_json=True, timeout=2.0, interval=3.0))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        keyword = await probe(ep(url, keyword="ready", timeout=2.0, interval=3.0))
    assert (health.state, health.reason) == (DOWN, Reason.OVERSIZE)
    assert health.detail == "body over 64 KiB"
    assert health.truncated and health.bytes_read == BODY_CAP
    assert peak < MEMORY_BOUND, f"a probe of the bomb peaked at {peak / MIB:.0f} MiB"
    assert (keyword.state, keyword.reason) == (DOWN, Reason.OVERSIZE)
    assert keyword.detail == "keyword not in the first 64 KiB"


async def test_endless_gzip_body_is_cut_at_the_cap() -> None:
    async with serve(endless_gzip) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", timeout=2.0, interval=3.0))
    assert (result.state, result.truncated, result.bytes_read) == (UP, True, BODY_CAP)
    assert "\x00" not in result.body  # control bytes are made visible, never kept


async def test_gzip_that_inflates_to_nothing_is_cut_at_the_compressed_cap() -> None:
    async with serve(endless_padding) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", timeout=5.0, interval=6.0))
    # Cut by the compressed cap, long before the deadline would have ended it.
    assert (result.state, result.reason) == (UP, None)
    assert (result.truncated, result.bytes_read, result.body) == (True, 1, "{")


async def test_slow_drip_fails_at_the_deadline() -> None:
    async with serve(drip_body) as port:
        body = await probe(ep(f"http://127.0.0.1:{port}/", timeout=0.4))
    async with serve(drip_head) as port:
        head = await probe(ep(f"http://127.0.0.1:{port}/", timeout=0.4))
    assert (body.state, body.reason) == (DOWN, Reason.DEADLINE)
    assert body.detail == "body not complete within 0.4s"
    assert (head.state, head.reason) == (DOWN, Reason.READ_TIMEOUT)
    assert head.detail == "no answer within 0.4s"
    assert body.latency_ms is None and head.latency_ms is None


@closing
async def tiny_chunks(reader: Reader, writer: Writer) -> None:
    """A chunked body of one-byte chunks, 100 000 of them at once, then more forever."""
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
    while True:
        writer.write(b"1\r\nx\r\n" * 100_000)
        await writer.drain()


@closing
async def endless_interim(reader: Reader, writer: Writer) -> None:
    """Interim answers and never a final one."""
    await read_request(reader)
    while True:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)
        await writer.drain()


async def test_a_body_of_tiny_chunks_is_cut_at_the_cap_and_lets_other_tasks_run() -> None:
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    async with serve(tiny_chunks) as port:
        other = asyncio.create_task(other_task())
        try:
            # Parsing 65 536 chunks is CPU work: seconds on a busy machine. The point is
            # the cap and the turns, not the speed, so the deadline leaves room.
            result = await probe(ep(f"http://127.0.0.1:{port}/", timeout=30.0, interval=31.0))
        finally:
            other.cancel()
    assert (result.state, result.truncated, result.bytes_read) == (UP, True, BODY_CAP)
    # 65 536 one-byte chunks parsed: another task got a turn at least every 64 of them
    # (waiting for the socket alone would give it a few dozen).
    assert turns >= 500


async def test_endless_interim_answers_are_a_malformed_response() -> None:
    async with serve(endless_interim) as port:
        result = await probe(ep(f"http://127.0.0.1:{port}/", timeout=2.0, interval=3.0))
    assert (result.state, result.status_code) == (DOWN, None)
    assert result.detail == "more than 8 interim (1xx) answers"


# --- the neighbours -------------------------------------------------------------------------


async def test_an_endpoint_beside_hostile_ones_stays_up_within_its_deadline(
    gzip_bomb: bytes,
) -> None:
    """Four bombs, an endless gzip body and a drip, probed at the same time as a plain endpoint.

    Each bomb inflated whole would hold the event loop for a while; four of them every
    half second would leave the plain endpoint's probes late, past their deadline.
    """
    async with (
        serve(bomb_server(gzip_bomb)) as bomb,
        serve(endless_gzip) as endless,
        serve(drip_body) as drip,
        serve(quick) as fine,
    ):
        hostile = [(f"bomb{n}", f"http://127.0.0.1:{bomb}/{n}") for n in range(4)]
        hostile += [("endless", f"http://127.0.0.1:{endless}/")]
        hostile += [("drip", f"http://127.0.0.1:{drip}/")]
        endpoints = [
            EndpointConfig(name=name, url=url, interval=0.5, timeout=0.4, health_json=True)
            for name, url in hostile
        ]
        endpoints.append(
            EndpointConfig(
                name="fine", url=f"http://127.0.0.1:{fine}/", interval=1.0, timeout=0.9,
                health_json=True,
            )
        )  # fmt: skip
        deadline_ms = {e.name: e.timeout * 1000 for e in endpoints}
        results: dict[str, list[ProbeResult]] = {e.name: [] for e in endpoints}

        class Recording(Prober):
            async def probe_once(self, endpoint: EndpointConfig) -> ProbeResult:
                result = await super().probe_once(endpoint)
                results[endpoint.name].append(result)
                return result

        async with make_client(endpoints) as client:
            prober = Recording(endpoints, client, SystemClock())
            stream = cast(AsyncGenerator[HealthSnapshot, None], prober.stream())
            try:
                async with asyncio.timeout(60):
                    async for _ in stream:
                        if len(results["fine"]) >= 4 and all(len(r) >= 3 for r in results.values()):
                            break
            finally:
                await stream.aclose()

    assert [r.state for r in results["fine"]] == [UP] * len(results["fine"])
    # A deadline is a deadline: no answer is taken that ended after it.
    for name, rows in results.items():
        late = [r.latency_ms for r in rows if r.latency_ms and r.latency_ms > deadline_ms[name]]
        assert late == [], f"{name} answered past its deadline"
    for name in ("bomb0", "bomb1", "bomb2", "bomb3", "endless"):
        assert {(r.reason, r.truncated, r.bytes_read) for r in results[name]} == {
            (Reason.OVERSIZE, True, BODY_CAP)
        }, name
    assert {(r.state, r.reason) for r in results["drip"]} == {(DOWN, Reason.DEADLINE)}

"""Exposition parsing, selection, rates and quantiles, with a real /metrics server."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from warroom.services.metrics.prometheus import (
    PrometheusError,
    bucket_delta,
    compile_matchers,
    counter_rate,
    finite_sum,
    histogram_buckets,
    histogram_quantile,
    parse_exposition,
    parse_exposition_async,
    scrape,
    select,
)

EXPOSITION = r"""
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{path="/api",status="200"} 900
http_requests_total{path="/api",status="503"} 75
http_requests_total{path="/login",status="500"} 25
# TYPE queue_depth gauge
queue_depth{queue="a"} NaN
queue_depth{queue="b"} +Inf
queue_depth{queue="c"} 4
# TYPE odd gauge
odd{path="/a\"b\\c\nd"} 7
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 50
latency_seconds_bucket{le="0.5"} 90
latency_seconds_bucket{le="1"} 100
latency_seconds_bucket{le="+Inf"} 100
latency_seconds_sum 20
latency_seconds_count 100
"""


def pick(metric: str, **labels: str) -> float | None:
    samples = parse_exposition(EXPOSITION)
    return finite_sum(select(samples, metric, compile_matchers(labels)))


@pytest.mark.parametrize(
    ("metric", "labels", "value"),
    [
        ("http_requests_total", {}, 1000.0),
        ("http_requests", {}, 1000.0),
        ("http_requests_total", {"status": "~5.."}, 100.0),
        ("http_requests_total", {"status": "~5"}, None),  # a regex matches the whole value
        ("http_requests_total", {"path": "/login"}, 25.0),
        ("http_requests_total", {"path": "/nowhere"}, None),
        ("queue_depth", {"queue": "c"}, 4.0),
        ("queue_depth", {"queue": "a"}, None),  # NaN is unknown
        ("queue_depth", {"queue": "b"}, None),  # +Inf is not a figure either
        ("queue_depth", {"queue": "~[ac]"}, 4.0),  # NaN skipped in a sum
        ("odd", {"path": '/a"b\\c\nd'}, 7.0),  # escaped label values compare unescaped
        ("missing_metric", {}, None),
    ],
)
def test_selection(metric: str, labels: dict[str, str], value: float | None) -> None:
    assert pick(metric, **labels) == value


def test_bad_regex_is_a_one_line_error() -> None:
    with pytest.raises(PrometheusError, match=r"labels.status: invalid regex"):
        compile_matchers({"status": "~5(("})


def test_malformed_exposition_is_a_one_line_error() -> None:
    with pytest.raises(PrometheusError) as info:
        parse_exposition('broken{label="x} 1\n')
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("prev", "now", "rate"),
    [
        (None, (10.0, 5.0), None),
        ((0.0, 100.0), (10.0, 150.0), 5.0),
        ((0.0, 100.0), (10.0, 100.0), 0.0),
        ((0.0, 100.0), (10.0, 30.0), 3.0),  # reset: 30 new since the restart
        ((0.0, 100.0), (0.0, 150.0), None),  # no time passed
        ((0.0, math.nan), (10.0, 150.0), None),
    ],
)
def test_counter_rate_survives_resets(
    prev: tuple[float, float] | None, now: tuple[float, float], rate: float | None
) -> None:
    assert counter_rate(prev, now) == rate


def test_histogram_quantile_from_buckets() -> None:
    buckets = histogram_buckets(parse_exposition(EXPOSITION), "latency_seconds", ())
    assert buckets == {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert histogram_quantile(0.7, buckets) == pytest.approx(0.3)
    assert histogram_quantile(0.95, buckets) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("buckets", "q", "expected"),
    [
        ({}, 0.5, None),
        ({1.0: 5.0}, 0.5, None),  # no +Inf bucket
        ({1.0: 0.0, math.inf: 0.0}, 0.5, None),  # no observations
        ({1.0: 5.0, math.inf: 10.0}, 0.9, 1.0),  # in the +Inf bucket: highest finite bound
        ({1.0: 10.0, 2.0: 10.0, math.inf: 10.0}, 0.99, pytest.approx(0.99)),
    ],
)
def test_histogram_quantile_edges(buckets: dict[float, float], q: float, expected: object) -> None:
    assert histogram_quantile(q, buckets) == expected


def test_bucket_delta_and_reset() -> None:
    prev = {1.0: 10.0, math.inf: 12.0}
    assert bucket_delta(prev, {1.0: 15.0, math.inf: 20.0}) == {1.0: 5.0, math.inf: 8.0}
    assert bucket_delta(prev, {1.0: 1.0, math.inf: 2.0}) == {1.0: 1.0, math.inf: 2.0}


async def test_fifty_thousand_lines_parse_off_the_loop() -> None:
    lines = ["# TYPE big counter"]
    lines += [f'big_total{{shard="{i}",path="/p{i % 7}"}} {i}' for i in range(50_000)]
    text = "\n".join(lines) + "\n"
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    samples = await parse_exposition_async(text)
    task.cancel()
    assert len(samples) == 50_000
    assert ticks > 0  # the event loop kept running while the thread parsed
    chosen = select(samples, "big", compile_matchers({"path": "/p3"}))
    assert len(chosen) == len([i for i in range(50_000) if i % 7 == 3])


async def test_scrape_over_http() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET /metrics "):
            body = EXPOSITION.encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(trust_env=False) as client:
            samples = await scrape(client, f"http://127.0.0.1:{port}/metrics", 1.0)
            chosen = select(samples, "queue_depth", compile_matchers({"queue": "c"}))
            assert finite_sum(chosen) == 4
            with pytest.raises(PrometheusError, match="HTTP 404"):
                await scrape(client, f"http://127.0.0.1:{port}/other", 1.0)
    finally:
        server.close()

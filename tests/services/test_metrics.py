"""Metric sources against real servers and the real host, thresholds and baselines."""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import EndpointConfig, LogConfig, MetricConfig
from warroom.services.health.probe import Prober
from warroom.services.health.status import ProbeResult, ProbeState, Reason
from warroom.services.logs.follow import LogFollower
from warroom.services.metrics.sampler import MetricSampler
from warroom.services.metrics.series import MetricError, baseline_delta, threshold_state
from warroom.services.metrics.sources import dotted_path


@asynccontextmanager
async def pages(routes: dict[str, str]) -> AsyncIterator[str]:
    """A loopback server answering GET <path> with `routes[path]` (mutable); yields its URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                if path in routes:
                    body, status = routes[path].encode(), b"200 OK"
                else:
                    body, status = b"", b"404 Not Found"
                writer.write(
                    b"HTTP/1.1 %s\r\ncontent-length: %d\r\n\r\n" % (status, len(body)) + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()  # a cancelled handler must end quietly on Python 3.11

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def metric(name: str, source: str, **kw: Any) -> MetricConfig:
    return MetricConfig(name=name, source=source, interval=kw.pop("interval", 10.0), **kw)  # type: ignore[arg-type]


def exposition(ok: int, errors: int, buckets: tuple[int, int, int] = (0, 0, 0)) -> str:
    b1, b2, total = buckets
    return (
        "# TYPE http_requests_total counter\n"
        f'http_requests_total{{status="200"}} {ok}\n'
        f'http_requests_total{{status="500"}} {errors}\n'
        "# TYPE latency_seconds histogram\n"
        f'latency_seconds_bucket{{le="0.1"}} {b1}\n'
        f'latency_seconds_bucket{{le="1"}} {b2}\n'
        f'latency_seconds_bucket{{le="+Inf"}} {total}\n'
        f"latency_seconds_count {total}\nlatency_seconds_sum 1\n"
    )


@pytest.mark.parametrize(
    ("value", "warn", "crit", "direction", "state"),
    [
        (None, 1.0, 2.0, "above", "unknown"),
        (math.nan, 1.0, 2.0, "above", "unknown"),
        (0.5, 1.0, 2.0, "above", "ok"),
        (1.0, 1.0, 2.0, "above", "warn"),
        (2.5, 1.0, 2.0, "above", "crit"),
        (2.5, None, None, "above", "ok"),
        (2.5, None, 2.0, "above", "crit"),
        (99.5, 99.0, 95.0, "below", "ok"),
        (97.0, 99.0, 95.0, "below", "warn"),
        (90.0, 99.0, 95.0, "below", "crit"),
    ],
)
def test_threshold_state(
    value: float | None, warn: float | None, crit: float | None, direction: Any, state: str
) -> None:
    assert threshold_state(value, warn, crit, direction) == state


def test_baseline_delta() -> None:
    deploy = 10_000.0
    before = [(deploy - 600 + i * 60, 10.0) for i in range(10)]
    old = [(deploy - 3600, 1000.0)]  # outside the 15-minute baseline window
    after = [(deploy + 10, 100.0), (deploy + 600, 2.0), (deploy + 660, 1.6)]
    baseline, delta = baseline_delta(old + before + after, deploy)
    assert baseline == 10.0
    assert delta == pytest.approx(-82.0)  # only the last 5 minutes after the mark count
    assert baseline_delta(before, deploy) == (10.0, None)
    assert baseline_delta(after, deploy) == (None, None)
    assert baseline_delta([(deploy - 1, 0.0), (deploy + 1, 5.0)], deploy) == (0.0, None)


@pytest.mark.parametrize(
    ("doc", "path", "value"),
    [
        ({"a": {"b": 3}}, "a.b", 3.0),
        ({"items": [{"v": 1.5}, {"v": 2.5}]}, "items.1.v", 2.5),
        ({"items": [1, 2]}, "items.-1", 2.0),
        ({"a": "4.5"}, "a", 4.5),
    ],
)
def test_dotted_path(doc: Any, path: str, value: float) -> None:
    assert dotted_path(doc, path) == value


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        ({"a": 1}, "b", "no key 'b'"),
        ({"a": [1]}, "a.3", "out of range"),
        ({"a": True}, "a", "not a number"),
        ({"a": "high"}, "a", "not a number"),
    ],
)
def test_dotted_path_errors(doc: Any, path: str, message: str) -> None:
    with pytest.raises(MetricError, match=message):
        dotted_path(doc, path)


async def test_prometheus_rates_survive_a_counter_reset(clock: ManualClock) -> None:
    routes = {"/metrics": exposition(100, 10)}
    async with pages(routes) as base, httpx.AsyncClient(trust_env=False) as client:
        url = base + "/metrics"
        configs = [
            metric("errors", "prometheus", url=url, metric="http_requests", rate=True,
                   labels={"status": "~5.."}),
            metric("requests", "prometheus", url=url, metric="http_requests_total", rate=True),
            metric("error rate", "ratio", numerator="errors", denominator="requests",
                   scale=100.0, unit="%", warn=1.0, crit=5.0),
        ]  # fmt: skip
        sampler = MetricSampler(configs, client, clock)
        first = await sampler.sample_all()
        assert first.get("errors") is not None
        assert first.get("errors").current is None  # type: ignore[union-attr]
        clock.advance(10)
        routes["/metrics"] = exposition(190, 20)
        snap = await sampler.sample_all()
        assert snap.get("errors").current == pytest.approx(1.0)  # type: ignore[union-attr]
        assert snap.get("requests").current == pytest.approx(10.0)  # type: ignore[union-attr]
        rate = snap.get("error rate")
        assert rate is not None and rate.current == pytest.approx(10.0)
        assert rate.state == "crit" and rate.unit == "%"
        clock.advance(10)
        routes["/metrics"] = exposition(40, 10)  # the service restarted
        snap = await sampler.sample_all()
        assert snap.get("errors").current == pytest.approx(1.0)  # type: ignore[union-attr]
        assert snap.get("requests").current == pytest.approx(5.0)  # type: ignore[union-attr]


async def test_prometheus_quantile_and_missing_metric(clock: ManualClock) -> None:
    routes = {"/metrics": exposition(1, 1, (50, 90, 100))}
    async with pages(routes) as base, httpx.AsyncClient(trust_env=False) as client:
        url = base + "/metrics"
        configs = [
            metric("p90", "prometheus", url=url, metric="latency_seconds", quantile=0.9,
                   scale=1000.0, unit="ms"),
            metric("ghost", "prometheus", url=url, metric="does_not_exist"),
            metric("down", "prometheus", url=base + "/nope", metric="x"),
        ]  # fmt: skip
        sampler = MetricSampler(configs, client, clock)
        snap = await sampler.sample_all()
        routes["/metrics"] = exposition(1, 1, (60, 100, 110))  # 10 new, all at or below 0.1s
        clock.advance(10)
        later = await sampler.sample_all()
    assert snap.get("p90").current == pytest.approx(1000.0)  # type: ignore[union-attr]
    assert later.get("p90").current == pytest.approx(90.0)  # type: ignore[union-attr]
    ghost = snap.get("ghost")
    assert ghost is not None and ghost.state == "unknown" and "does_not_exist" in ghost.error
    assert "HTTP 404" in snap.get("down").error  # type: ignore[union-attr]


async def test_json_source(clock: ManualClock) -> None:
    routes = {"/stats": json.dumps({"db": {"pool": [{"used": 7}]}}), "/bad": "{oops"}
    async with pages(routes) as base, httpx.AsyncClient(trust_env=False) as client:
        configs = [
            metric("pool", "json", url=base + "/stats", path="db.pool.0.used"),
            metric("bad", "json", url=base + "/bad", path="a"),
        ]
        snap = await MetricSampler(configs, client, clock).sample_all()
    assert snap.get("pool").current == 7.0  # type: ignore[union-attr]
    assert snap.get("bad").error == "invalid JSON"  # type: ignore[union-attr]


async def test_health_and_log_sources(clock: ManualClock) -> None:
    endpoint = EndpointConfig(name="api", url="http://127.0.0.1:1/", timeout=1.0)
    configs = [
        metric("latency", "health", endpoint="api", unit="ms"),
        metric("success", "health", endpoint="api", field="success", scale=100.0),
        metric("errors/min", "log", log="app"),
    ]
    async with httpx.AsyncClient(trust_env=False) as client:
        prober = Prober([endpoint], client, clock)
        sampler = MetricSampler(configs, client, clock)
        snap = await sampler.sample_all()
        assert snap.get("latency").error == "no health result yet"  # type: ignore[union-attr]
        for state, latency in [(ProbeState.UP, 42.0), (ProbeState.DOWN, None)] * 2:
            reason = None if state is ProbeState.UP else Reason.REFUSED
            prober.record("api", ProbeResult(state, reason, clock.now(), latency_ms=latency))
        prober.record("api", ProbeResult(ProbeState.UP, None, clock.now(), latency_ms=30.0))
        sampler.feed_health(prober.snapshot())
        sampler.feed_log_lines("app", ["ERROR x"] * 20)
        sampler.feed_log_lines("other", ["ERROR y"] * 500)
        clock.advance(30)
        sampler.feed_log_lines("app", ["ERROR z"] * 10)
        snap = await sampler.sample_all()
    assert snap.get("latency").current == 30.0  # type: ignore[union-attr]
    assert snap.get("success").current == pytest.approx(60.0)  # type: ignore[union-attr]
    assert snap.get("errors/min").current == pytest.approx(60.0)  # type: ignore[union-attr]


async def test_psutil_sources_read_the_real_host(clock: ManualClock) -> None:
    configs = [
        metric("cpu", "psutil", query="cpu", unit="%"),
        metric("memory", "psutil", query="memory", unit="%"),
        metric("rss", "psutil", query="process_rss", pid=os.getpid(), scale=1 / 1048576),
        metric("proc cpu", "psutil", query="process_cpu", pid=os.getpid()),
        metric("ghost", "psutil", query="process_rss", process="no-such-process-xyz"),
    ]
    async with httpx.AsyncClient(trust_env=False) as client:
        sampler = MetricSampler(configs, client, clock)
        await sampler.sample_all()
        snap = await sampler.sample_all()
    for name in ("cpu", "memory"):
        value = snap.get(name).current  # type: ignore[union-attr]
        assert value is not None and 0.0 <= value <= 100.0
    assert snap.get("rss").current > 5  # type: ignore[union-attr, operator]
    assert snap.get("proc cpu").current is not None  # type: ignore[union-attr]
    assert "no process named" in snap.get("ghost").error  # type: ignore[union-attr]


async def test_ring_buffer_keeps_four_hours_and_deploy_delta(clock: ManualClock) -> None:
    config = metric("latency", "health", endpoint="api", interval=60.0)
    endpoint = EndpointConfig(name="api", url="http://127.0.0.1:1/", timeout=1.0)
    async with httpx.AsyncClient(trust_env=False) as client:
        prober = Prober([endpoint], client, clock)
        sampler = MetricSampler([config], client, clock)
        for i in range(500):
            latency = 100.0 if i < 480 else 20.0
            if i == 480:
                sampler.mark_deploy(clock.now())
            prober.record("api", ProbeResult(ProbeState.UP, None, clock.now(), latency_ms=latency))
            sampler.feed_health(prober.snapshot())
            await sampler.sample("latency")
            clock.advance(60)
    series = sampler.snapshot().get("latency")
    assert series is not None
    assert len(series.points) == 240  # 4 hours at one point a minute
    assert series.minimum == 20.0 and series.maximum == 100.0
    assert series.baseline == 100.0
    assert series.delta_pct == pytest.approx(-80.0)
    assert series.delta_text() == "latency −80% vs baseline"
    assert series.deploy_at == (clock.now() - timedelta(seconds=20 * 60)).timestamp()


async def test_stream_yields_new_points(clock: ManualClock) -> None:
    configs = [metric("memory", "psutil", query="memory", interval=0.05)]
    async with httpx.AsyncClient(trust_env=False) as client:
        stream = MetricSampler(configs, client, clock).stream()
        first = await anext(stream)
        assert first.series[0].points == ()
        async with asyncio.timeout(3):
            while True:
                snap = await anext(stream)
                if len(snap.series[0].points) >= 2:
                    break
        await stream.aclose()  # type: ignore[attr-defined]
    assert snap.series[0].state == "ok"


async def test_a_log_metric_counts_only_lines_its_filter_matches(clock: ManualClock) -> None:
    configs = [
        metric("auth errors/min", "log", log="app", filter="auth error -debug"),
        metric("all lines/min", "log", log="app"),
    ]
    async with httpx.AsyncClient(trust_env=False) as client:
        sampler = MetricSampler(configs, client, clock)
        await sampler.sample_all()  # starts the per-minute window
        lines = [
            "ERROR auth: login failed",
            "ERROR db: timeout",
            "DEBUG auth error trace",
            "INFO auth ok",
            "error in AUTH module",
        ]
        sampler.feed_log_lines("app", lines)
        clock.advance(60)
        snap = await sampler.sample_all()
    assert snap.get("auth errors/min").current == pytest.approx(2.0)  # type: ignore[union-attr]
    assert snap.get("all lines/min").current == pytest.approx(5.0)  # type: ignore[union-attr]


async def test_stream_publishes_a_round_at_once_with_ratios_after_their_inputs(
    clock: ManualClock,
) -> None:
    configs = [
        metric("ratio", "ratio", numerator="memory", denominator="memory again", interval=0.05),
        metric("memory", "psutil", query="memory", interval=0.05),
        metric("memory again", "psutil", query="memory", interval=0.05),
    ]
    async with httpx.AsyncClient(trust_env=False) as client:
        stream = MetricSampler(configs, client, clock).stream()
        await anext(stream)
        async with asyncio.timeout(3):
            snap = await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
    # One snapshot carries the whole round, the ratio taken from this round's figures.
    assert [len(s.points) for s in snap.series] == [1, 1, 1]
    assert snap.get("ratio").current == pytest.approx(1.0)  # type: ignore[union-attr]


async def test_a_log_rate_counts_only_lines_that_arrive_after_start(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "error.log"
    log.write_text("".join(f"ERROR old failure {i}\n" for i in range(386)))
    configs = [metric("errors/min", "log", log="app", crit=100.0)]
    follower = LogFollower(LogConfig(name="app", path=str(log)), tmp_path, clock, 0.02)
    async with httpx.AsyncClient(trust_env=False) as client:
        sampler = MetricSampler(configs, client, clock)
        await sampler.sample_all()  # the dashboard starts: the window opens
        stream = follower.stream()
        fed = 0
        try:
            # Fed as the session feeds it, the opening backlog first.
            opening = await asyncio.wait_for(anext(stream), 30)
            assert opening.backlog and len(opening.lines) == 200
            sampler.feed_log_lines("app", [i.text for i in opening.lines], backlog=True)
            with open(log, "a") as handle:
                handle.write("".join(f"ERROR new failure {i}\n" for i in range(43)))
            while fed < 43:
                batch = await asyncio.wait_for(anext(stream), 30)
                texts = [line.text for line in batch.lines]
                sampler.feed_log_lines("app", texts, backlog=batch.backlog)
                fed += len(texts)
        finally:
            await stream.aclose()
        clock.advance(60)
        snap = await sampler.sample_all()
    rate = snap.get("errors/min")
    assert rate is not None and rate.current == pytest.approx(43.0)
    assert rate.state == "ok"


async def test_an_endpoints_success_labelled_percent_is_0_to_100(clock: ManualClock) -> None:
    endpoint = EndpointConfig(name="api", url="http://127.0.0.1:1/", timeout=1.0)
    configs = [metric("success", "health", endpoint="api", field="success", unit="%")]
    async with httpx.AsyncClient(trust_env=False) as client:
        prober = Prober([endpoint], client, clock)
        sampler = MetricSampler(configs, client, clock)
        for state in [ProbeState.UP, ProbeState.UP, ProbeState.UP, ProbeState.DOWN]:
            reason = None if state is ProbeState.UP else Reason.REFUSED
            prober.record("api", ProbeResult(state, reason, clock.now(), latency_ms=5.0))
        sampler.feed_health(prober.snapshot())
        snap = await sampler.sample_all()
    success = snap.get("success")
    assert success is not None and success.unit == "%"
    assert success.current == pytest.approx(75.0)


async def test_a_success_ratio_in_percent_never_shows_above_100(clock: ManualClock) -> None:
    # Successes counted a moment after attempts: the raw ratio of the rates is 1.02.
    routes = {"/metrics": "logins_total 1000\nlogins_ok_total 990\n"}
    async with pages(routes) as base, httpx.AsyncClient(trust_env=False) as client:
        url = base + "/metrics"
        configs = [
            metric("logins/s", "prometheus", url=url, metric="logins_total", rate=True),
            metric("ok/s", "prometheus", url=url, metric="logins_ok_total", rate=True),
            metric("auth success", "ratio", numerator="ok/s", denominator="logins/s",
                   scale=100.0, unit="%", warn=98.0, crit=95.0, direction="below"),
            metric("share", "ratio", numerator="ok/s", denominator="logins/s", unit="%"),
        ]  # fmt: skip
        sampler = MetricSampler(configs, client, clock)
        await sampler.sample_all()
        clock.advance(10)
        routes["/metrics"] = "logins_total 1500\nlogins_ok_total 1500\n"
        snap = await sampler.sample_all()
    assert snap.get("ok/s").current == pytest.approx(51.0)  # type: ignore[union-attr]
    assert snap.get("logins/s").current == pytest.approx(50.0)  # type: ignore[union-attr]
    success = snap.get("auth success")
    assert success is not None and success.current == 100.0 and success.maximum == 100.0
    assert snap.get("share").current == 100.0  # type: ignore[union-attr]

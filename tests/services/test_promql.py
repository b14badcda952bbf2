"""PromQL metrics against a real Prometheus server scraping the demo service.

A Prometheus (Debian's package) scrapes the demo's /metrics every second; the sampler
asks it for the demo's error rate. The graph is full at start (one range query), the
live samples follow the history, and the deploy path's baseline and verdict read the
history like any other samples. A bad query, no series, several series, NaN and a
stopped server are reasons on the graph. Faulty HTTP servers written here give the
failures Prometheus itself will not: a hang, a gateway error, a page that is not JSON.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.prom_server import PromServer
from warroom.services.clock import SystemClock
from warroom.services.config import MetricConfig, parse_config
from warroom.services.demo.target import DemoTarget
from warroom.services.metrics.promql import NO_SERIES, PromQLError, instant_value, range_points
from warroom.services.metrics.sampler import MetricSampler, MetricSeries, MetricsSnapshot
from warroom.services.redact import register
from warroom.services.release.verdict import Outcome, judge

ERROR_RATE = (
    'sum(rate(http_requests_total{status=~"5.."}[5s])) / sum(rate(http_requests_total[5s])) * 100'
)
"""The demo's error rate in percent, as an SRE would write it."""

needs_prometheus = pytest.mark.skipif(
    PromServer.unavailable() is not None, reason=PromServer.unavailable() or ""
)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromServer]:
    """The demo (broken: v1.2.3) scraped every second by a real Prometheus, with at least
    ten scrapes stored, so a range query has history to give."""
    reason = PromServer.unavailable()
    if reason is not None:
        pytest.skip(reason)
    demo = DemoTarget(tmp_path_factory.mktemp("demo") / "demo", slowness=0.0, seed=11)
    with demo:
        server = PromServer([demo.base_url.removeprefix("http://")])
        try:
            server.start()
            server.wait_for(
                lambda: any(
                    float(r["value"][1]) >= 10
                    for r in server.query('count_over_time(http_requests_total{status="200"}[1m])')
                ),
                "ten scrapes of the demo",
            )
            yield server
        finally:
            server.close()


def metric(url: str, query: str, **extra: Any) -> MetricConfig:
    """One promql metric sampled every second."""
    return MetricConfig(
        name="Error rate", source="promql", url=url, query=query, interval=1.0, **extra
    )


async def first_with(
    snapshots: AsyncIterator[MetricsSnapshot], predicate: Any, limit: int = 60
) -> MetricSeries:
    """The first series of a snapshot that satisfies `predicate` (waits on the stream)."""
    for _ in range(limit):
        series = (await anext(snapshots)).series[0]
        if predicate(series):
            return series
    raise AssertionError(f"no snapshot in {limit} satisfied the condition")


# --- against the real Prometheus --------------------------------------------------------


@needs_prometheus
async def test_error_rate_from_prometheus_with_the_graph_full_at_start(
    prometheus: PromServer,
) -> None:
    config = metric(prometheus.url, ERROR_RATE, unit="%", warn=1.0, crit=5.0)
    started = datetime.now(UTC).timestamp()
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        stream = sampler.stream()
        try:
            first = await first_with(stream, lambda s: s.current is not None or s.error)
            assert first.error == ""
            # The first figure arrives with its history: ten seconds of it and more.
            times = [t for t, _ in first.points]
            assert len(times) >= 8
            assert times[0] <= started - 6
            assert times == sorted(times) and len(set(times)) == len(times)
            history_steps = {round(b - a, 3) for a, b in itertools.pairwise(times[:-1])}
            assert history_steps == {1.0}  # one point per interval, as live samples come
            # The demo is broken: around one request in eight fails, beyond crit.
            assert first.current is not None and 5.0 < first.current < 40.0
            assert first.state == "crit"
            later = await first_with(stream, lambda s: len(s.points) > len(first.points))
            assert later.points[: len(first.points)] == first.points
            assert later.points[-1][0] > first.points[-1][0]
        finally:
            await stream.aclose()  # type: ignore[attr-defined]


@needs_prometheus
async def test_the_history_is_the_baseline_of_a_deploy_and_its_verdict(
    prometheus: PromServer, tmp_path: Path
) -> None:
    toml = f"""
[[metric]]
name = "Error rate"
source = "promql"
url = "{prometheus.url}"
query = '{ERROR_RATE}'
unit = "%"
interval = "1s"
crit = 90.0
[metric.verdict]
baseline = true
min_samples = 2
window = "4s"
"""
    config = parse_config(toml, "warroom.toml", env={})
    deploy = datetime.now(UTC)
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler(config.metric, client, SystemClock())
        sampler.mark_deploy(deploy)
        stream = sampler.stream()
        try:
            series = await first_with(
                stream, lambda s: sum(1 for t, _ in s.points if t >= deploy.timestamp()) >= 6
            )
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        snapshot = sampler.snapshot()
    # Nobody watched before the deploy: Prometheus did, and its history is the baseline.
    assert series.baseline is not None and series.delta_pct is not None
    before = [v for t, v in series.points if t < deploy.timestamp()]
    assert series.baseline == pytest.approx(sum(before) / len(before))
    verdict = judge(config, deploy, None, snapshot)
    baseline = next(c for c in verdict.criteria if c.kind == "baseline")
    assert baseline.baseline_samples is not None and baseline.baseline_samples >= 3
    assert baseline.samples >= 2
    assert baseline.outcome is not Outcome.INCONCLUSIVE, baseline.reason


@needs_prometheus
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("sum(rate(http_requests_total[5s]", "query error (bad_data): "),
        ("warroom_no_such_metric", NO_SERIES),
        ("http_requests_total", "the query returned "),
        ("0 / 0", "NaN"),
        ("http_requests_total[1m]", "range vector"),
    ],
)
async def test_a_query_that_gives_no_figure_is_a_reason(
    prometheus: PromServer, query: str, reason: str
) -> None:
    config = metric(prometheus.url, query)
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        stream = sampler.stream()
        try:
            series = await first_with(stream, lambda s: s.error != "")
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
    assert reason in series.error
    assert series.current is None and series.state == "unknown"


@needs_prometheus
async def test_a_stopped_server_is_a_reason_and_the_history_stays() -> None:
    # A server of its own, stopped mid-watch; vector(1) needs no scrapes to answer.
    server = PromServer(["127.0.0.1:9"])
    try:
        server.start()
        config = metric(server.url, "vector(1)")
        async with httpx.AsyncClient() as client:
            sampler = MetricSampler([config], client, SystemClock())
            stream = sampler.stream()
            try:
                live = await first_with(stream, lambda s: s.current == 1.0)
                # A range query may not exceed 11,000 points: the history is that long.
                assert 10_000 <= len(live.points) <= 11_001
                server.stop()
                gone = await first_with(stream, lambda s: s.current is None)
            finally:
                await stream.aclose()  # type: ignore[attr-defined]
    finally:
        server.close()
    assert gone.error == f"{server.url}: cannot connect"
    assert gone.state == "unknown"
    assert gone.points[: len(live.points)] == live.points  # what was seen stays on the graph


# --- faulty servers ---------------------------------------------------------------------


class _Faulty(BaseHTTPRequestHandler):
    """Answers by the first path segment: flaky, hang, html, gateway, timeout, hostile."""

    release = threading.Event()
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        _Faulty.seen.append(self.path)
        kind = self.path.strip("/").split("/")[0]
        api = self.path.split("?")[0].rsplit("/", 1)[-1]
        if kind == "flaky" and api == "query_range":
            # Down for the first history request, then three points up to `end`.
            if sum("query_range" in p for p in _Faulty.seen) == 1:
                self._send(502, "text/html", b"<h1>Bad Gateway</h1>")
                return
            end = float(parse_qs(urlsplit(self.path).query)["end"][0])
            values = [[end - 2, "5"], [end - 1, "6"], [end, "7"]]
            data = {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}
            self._send(
                200, "application/json", json.dumps({"status": "success", "data": data}).encode()
            )
            return
        if kind == "flaky":
            data = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "8"]}]}
            self._send(
                200, "application/json", json.dumps({"status": "success", "data": data}).encode()
            )
            return
        if kind == "hang":
            _Faulty.release.wait(30)
            return
        if kind == "html":
            self._send(200, "text/html", b"<html>login required</html>")
        elif kind == "gateway":
            self._send(502, "text/html", b"<h1>Bad Gateway</h1>")
        elif kind == "timeout":
            doc = {"status": "error", "errorType": "timeout", "error": "query timed out"}
            self._send(503, "application/json", json.dumps(doc).encode())
        else:
            doc = {"status": "error", "errorType": "bad\x1b]0;x\x07", "error": "\x1b[2Jgone"}
            self._send(400, "application/json", json.dumps(doc).encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def faulty() -> Iterator[str]:
    """A faulty "Prometheus" on 127.0.0.1; its base URL."""
    _Faulty.release.clear()
    _Faulty.seen.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Faulty.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("hang", "/hang: no answer within 1s"),
        ("html", "/html: not a Prometheus API answer"),
        ("gateway", "/gateway: HTTP 502"),
        ("timeout", "query error (timeout): query timed out"),
    ],
)
async def test_a_faulty_server_is_a_reason(faulty: str, path: str, reason: str) -> None:
    config = metric(f"{faulty}/{path}", "up")
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        await sampler.sample(config.name)
        series = sampler.snapshot().series[0]
    assert series.current is None and series.state == "unknown"
    assert series.error.endswith(reason)


async def test_hostile_error_text_is_made_inert(faulty: str) -> None:
    config = metric(f"{faulty}/hostile", "up")
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        await sampler.sample(config.name)
    error = sampler.snapshot().series[0].error
    assert error.startswith("query error (bad")
    assert "gone" in error and "\x1b" not in error and "\x07" not in error


async def test_a_secret_in_the_url_reaches_the_server_and_nothing_shown(faulty: str) -> None:
    secret, token = "prom-path-Secr3t", "prom-token-Secr3t"
    env = {"PROM_PATH": secret, "PROM_TOKEN": token}
    toml = f"""
[[metric]]
name = "Error rate"
source = "promql"
url = "{faulty}/gateway/${{env:PROM_PATH}}?token=${{env:PROM_TOKEN}}"
query = "up"
"""
    config = parse_config(toml, "warroom.toml", env=env)
    register([secret, token])  # as load_config does for every config it loads
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler(config.metric, client, SystemClock())
        await sampler.sample("Error rate")
    error = sampler.snapshot().series[0].error
    # The server got its token and the query beside it, under the configured path.
    assert _Faulty.seen[-1].startswith(f"/gateway/{secret}/api/v1/query?token={token}&query=up")
    assert error == f"{faulty}/gateway/***: HTTP 502"


# --- the API's documents (pure) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"resultType": "scalar", "result": [1.0, "2.5"]}, 2.5),
        ({"resultType": "vector", "result": [{"metric": {}, "value": [1.0, "-3"]}]}, -3.0),
        ({"resultType": "vector", "result": []}, NO_SERIES),
        ({"resultType": "vector", "result": [{"value": [1, "1"]}] * 2}, "returned 2 series"),
        ({"resultType": "vector", "result": [{"value": [1, "NaN"]}]}, "NaN"),
        ({"resultType": "vector", "result": [{"value": [1, "+Inf"]}]}, "infinite"),
        ({"resultType": "vector", "result": [{"value": [1, "x"]}]}, "not a number: 'x'"),
        ({"resultType": "vector", "result": [{"metric": {}}]}, "not a Prometheus API answer"),
        ({"resultType": "string", "result": [1, "a"]}, "gives a string"),
        ([], "not a Prometheus API answer"),
    ],
)
def test_instant_value(data: Any, expected: float | str) -> None:
    if isinstance(expected, float):
        assert instant_value(data) == expected
        return
    with pytest.raises(PromQLError) as caught:
        instant_value(data)
    assert expected in str(caught.value)


def test_range_points_leave_nan_out_as_gaps() -> None:
    values = [[1.0, "1"], [2.0, "NaN"], [3.0, "3"], [4.0, "-Inf"]]
    data = {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}
    assert range_points(data) == ((1.0, 1.0), (3.0, 3.0))
    assert range_points({"resultType": "matrix", "result": []}) == ()


async def test_a_history_refused_for_good_is_not_asked_again(faulty: str) -> None:
    # Prometheus answered the range query with an error: asking every round would only
    # load it; the instant query alone goes on saying what is wrong.
    config = metric(f"{faulty}/hostile", "up")
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        stream = sampler.stream()
        try:
            for _ in range(3):
                await first_with(stream, lambda s: s.error != "")
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
    asked = [p.split("?")[0].rsplit("/", 1)[-1] for p in _Faulty.seen]
    assert asked.count("query_range") == 1
    assert asked.count("query") >= 2


async def test_a_history_not_had_is_asked_again_once_the_server_answers(faulty: str) -> None:
    config = metric(f"{faulty}/flaky", "up")
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        stream = sampler.stream()
        try:
            # The first history request met a gateway error; the figure answered, so
            # the history was asked for again at once.
            filled = await first_with(stream, lambda s: s.current is not None)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
    assert filled.current == 8.0
    assert [v for _, v in filled.points] == [5.0, 6.0, 7.0, 8.0]
    times = [t for t, _ in filled.points]
    assert times == sorted(times)
    asked = [p.split("?")[0].rsplit("/", 1)[-1] for p in _Faulty.seen]
    assert asked.count("query_range") == 2


async def test_a_history_is_not_asked_while_the_server_is_down(faulty: str) -> None:
    config = metric(f"{faulty}/gateway", "up")
    async with httpx.AsyncClient() as client:
        sampler = MetricSampler([config], client, SystemClock())
        stream = sampler.stream()
        try:
            for _ in range(3):
                await first_with(stream, lambda s: s.error != "")
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
    asked = [p.split("?")[0].rsplit("/", 1)[-1] for p in _Faulty.seen]
    assert asked.count("query_range") == 1 and asked.count("query") >= 3


# --- warroom check ------------------------------------------------------------------------


@needs_prometheus
def test_warroom_check_reads_the_error_rate_and_names_a_bad_query(
    prometheus: PromServer, tmp_path: Path
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text(
        f"""
[[metric]]
name = "Error rate"
source = "promql"
url = "{prometheus.url}"
query = '{ERROR_RATE}'
unit = "%"
warn = 1.0
crit = 5.0

[[metric]]
name = "Typo"
source = "promql"
url = "{prometheus.url}"
query = "sum(rate(http_requests_total[5s]"
"""
    )
    run = subprocess.run(
        [sys.executable, "-m", "warroom", "check", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr  # a figure is beyond crit, one has none
    metrics = {m["name"]: m for m in json.loads(run.stdout)["metrics"]}
    assert metrics["Error rate"]["state"] == "crit"
    assert 5.0 < metrics["Error rate"]["value"] < 40.0
    assert metrics["Typo"]["state"] == "unknown" and metrics["Typo"]["value"] is None
    table = subprocess.run(
        [sys.executable, "-m", "warroom", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "query error (bad_data)" in table.stdout and "unclosed left parenthesis" in table.stdout

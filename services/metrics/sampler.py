"""Metrics: figures sampled on intervals, kept for a 4-hour watch, judged by thresholds.

Sources are psutil (host and process), a Prometheus /metrics page, a PromQL query to a
Prometheus server (whose history fills the window at start), a number in a JSON
response, an endpoint's health (fed from the prober), log matches (fed from the log
follower), and the ratio of two other metrics. Each metric keeps a ring buffer of
(wall seconds, value) points sized for four hours at its interval, so memory stays
flat; once a deploy is marked, each series reports its change against the
pre-deploy baseline.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
import psutil

from warroom.services.clock import Clock
from warroom.services.config import MetricConfig
from warroom.services.health.probe import HealthSnapshot, ProbeState
from warroom.services.logs.filter import LogFilter
from warroom.services.metrics.prometheus import (
    PrometheusError,
    PromSample,
    bucket_delta,
    compile_matchers,
    counter_rate,
    finite_sum,
    histogram_buckets,
    histogram_quantile,
    scrape,
    select,
)
from warroom.services.metrics.promql import MAX_POINTS, PromQLError, PromQLServer
from warroom.services.sanitize import clean

MetricState = Literal["ok", "warn", "crit", "unknown"]

WATCH_SECONDS = 4 * 3600.0
"""How much history each series keeps."""
BASELINE_WINDOW = 15 * 60.0
"""The baseline is the mean of the points in this window before the deploy mark."""
RECENT_WINDOW = 5 * 60.0
"""The post-deploy figure compared with the baseline: the mean over this window."""
JSON_CAP = 1024 * 1024
SCRAPE_SHARE = 0.1
"""Seconds during which readings of the same /metrics page share one scrape."""
ROUND_SETTLE = 0.5
"""Seconds a round of samples waits for its slowest source before publishing the rest."""
HISTORY_TIMEOUT = 10.0
"""Seconds a promql metric's one range query (its history, at start) may take."""


class MetricError(Exception):
    """A sample that could not be taken, with a one-line message for the graph."""


@dataclass(frozen=True)
class MetricSeries:
    """One metric as a graph shows it."""

    name: str
    unit: str
    points: tuple[tuple[float, float], ...]
    """(wall-clock seconds since the epoch, value), oldest first; at most 4 hours."""
    current: float | None
    minimum: float | None
    maximum: float | None
    warn: float | None
    crit: float | None
    direction: Literal["above", "below"]
    state: MetricState
    error: str = ""
    """Why the latest sample is missing (one sanitized line), or empty."""
    deploy_at: float | None = None
    """Wall seconds of the deploy mark, if set."""
    baseline: float | None = None
    delta_pct: float | None = None
    """Change of the post-deploy mean against the baseline, in percent."""
    interval: float = 0.0
    """Seconds between samples (from the config); 0 when unknown."""
    sampled_at: float | None = None
    """Wall seconds of the sample that gave `current`; None when there is no current value."""

    def change_over(self, window: float) -> float | None:
        """The signed change over the last `window` seconds of points (see `window_change`)."""
        return window_change(self.points, window)

    def age(self, now: float) -> float | None:
        """Seconds since `current` was sampled, at wall second `now`; None without a value."""
        if self.current is None or self.sampled_at is None:
            return None
        return max(0.0, now - self.sampled_at)

    def is_old(self, now: float) -> bool:
        """The figure is older than two intervals: it must say how old it is."""
        age = self.age(now)
        return age is not None and self.interval > 0 and age > 2 * self.interval

    def delta_text(self) -> str | None:
        """ "error rate −82% vs baseline", or None when there is nothing to compare."""
        if self.delta_pct is None:
            return None
        sign = "+" if self.delta_pct >= 0 else "−"
        return f"{self.name} {sign}{abs(self.delta_pct):.0f}% vs baseline"


@dataclass(frozen=True)
class MetricsSnapshot:
    """Every metric at one moment."""

    series: tuple[MetricSeries, ...]
    at: datetime

    def get(self, name: str) -> MetricSeries | None:
        """The series called `name`, if configured."""
        return next((s for s in self.series if s.name == name), None)


# --- pure rules ------------------------------------------------------------------------


def threshold_state(
    value: float | None,
    warn: float | None,
    crit: float | None,
    direction: Literal["above", "below"],
) -> MetricState:
    """ok, warn or crit for a value against its thresholds (unknown without a value)."""
    if value is None or math.isnan(value):
        return "unknown"

    def beyond(limit: float | None) -> bool:
        if limit is None:
            return False
        return value >= limit if direction == "above" else value <= limit

    if beyond(crit):
        return "crit"
    if beyond(warn):
        return "warn"
    return "ok"


def is_share(config: MetricConfig) -> bool:
    """Whether a metric is a share of a whole, 0 to 1: a ratio, or an endpoint's success."""
    return config.source == "ratio" or (config.source == "health" and config.field == "success")


def percent_scale(config: MetricConfig) -> float:
    """The multiplier applied to a metric's samples, so its unit tells the truth.

    A share labelled "%" without a `scale` is shown 0-100, not 0-1 ("0.98 %" is a lie);
    an explicit `scale` (100 for a ratio, as documented) is kept as it is.
    """
    if is_share(config) and config.unit.strip() == "%" and config.scale == 1.0:
        return 100.0
    return config.scale


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def baseline_delta(
    points: Sequence[tuple[float, float]], deploy_at: float
) -> tuple[float | None, float | None]:
    """(baseline, delta %) around a deploy mark at wall second `deploy_at`.

    The baseline is the mean over the 15 minutes before the mark; the figure compared
    is the mean over the last 5 minutes after it. A zero baseline gives no percentage.
    """
    before = [v for t, v in points if deploy_at - BASELINE_WINDOW <= t < deploy_at]
    baseline = _mean(before)
    after_points = [(t, v) for t, v in points if t >= deploy_at]
    if baseline is None or not after_points:
        return baseline, None
    last = after_points[-1][0]
    after = _mean([v for t, v in after_points if t >= last - RECENT_WINDOW])
    if after is None or baseline == 0:
        return baseline, None
    return baseline, (after - baseline) / abs(baseline) * 100.0


TREND_EDGE = 0.1
"""Share of a window's points averaged at each end, so one noisy sample is not a trend."""
TREND_FLAT = 0.02
"""A change smaller than this share of the figure's size reads as flat."""


def window_change(points: Sequence[tuple[float, float]], window: float) -> float | None:
    """The signed change across the last `window` seconds: mean of the last points
    minus mean of the first (each a tenth of the points, at least one).

    None with fewer than two points in the window: one reading has no direction.
    """
    if not points:
        return None
    end = points[-1][0]
    inside = [v for t, v in points if t >= end - window]
    if len(inside) < 2:
        return None
    edge = max(1, int(len(inside) * TREND_EDGE))
    first, last = _mean(inside[:edge]), _mean(inside[-edge:])
    if first is None or last is None:
        return None
    return last - first


def trend_direction(change: float | None, reference: float | None) -> Literal["up", "down", "flat"]:
    """Which way a figure is going: "up", "down", or "flat" when the change is small
    against `reference` (the figure's size) or unknown."""
    if change is None or change == 0:
        return "flat"
    scale = abs(reference) if reference else 0.0
    if scale and abs(change) < scale * TREND_FLAT:
        return "flat"
    return "up" if change > 0 else "down"


def dotted_path(doc: Any, path: str) -> float:
    """The number at `path` ("data.latency.p95", "items.0.value") in a JSON document."""
    current = doc
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                raise MetricError(f"{path}: index {part} out of range")
            current = current[index]
        else:
            raise MetricError(f"{path}: no key {part!r}")
    if isinstance(current, bool) or not isinstance(current, int | float):
        if isinstance(current, str):
            try:
                return float(current)
            except ValueError:
                pass
        raise MetricError(f"{path}: not a number")
    return float(current)


# --- sampling ----------------------------------------------------------------------------


class _Series:
    """The mutable ring buffer and source state of one metric."""

    def __init__(self, config: MetricConfig) -> None:
        self.config = config
        size = max(2, math.ceil(WATCH_SECONDS / max(config.interval, 0.001)))
        self.points: deque[tuple[float, float]] = deque(maxlen=size)
        self.current: float | None = None
        self.sampled_at: float | None = None
        self.error = ""
        self.prev_counter: tuple[float, float] | None = None
        self.prev_buckets: dict[float, float] | None = None
        self.process: Any = None
        self.log_count = 0
        self.log_filter = LogFilter.parse(config.filter or "")
        """What a `log` metric counts (everything when no filter is set)."""
        self.log_since: float | None = None
        self.health_value: float | None = None
        self.health_error = "no health result yet"
        self.share_in_percent = is_share(config) and config.unit.strip() == "%"
        """A share (0-1) shown in %: 0-100, never above 100."""
        self.scale = percent_scale(config)
        self.backfilled = False
        """A promql metric's history has been asked for (and given, or refused for good)."""
        self.history_missed = False
        """The server could not be asked for the history (down, slow): ask again later."""

    def backfill(self, history: Sequence[tuple[float, float]]) -> None:
        """Put a source's own history (oldest first) before the live samples, as ordinary
        points: graphs, trends, baselines and verdicts read them like any other."""
        first_live = self.points[0][0] if self.points else math.inf
        older: list[tuple[float, float]] = []
        for wall, value in history:
            if wall >= first_live:
                break
            value *= self.scale
            if self.share_in_percent:
                value = min(100.0, max(0.0, value))
            older.append((wall, value))
        # deque(..., maxlen) keeps the newest when the two together overflow the window.
        self.points = deque([*older, *self.points], maxlen=self.points.maxlen)

    def store(self, value: float | None, error: str, wall: float) -> None:
        if value is not None and not math.isfinite(value):
            value, error = None, error or "not a finite number"
        if value is not None:
            value *= self.scale
            if self.share_in_percent:
                # A share of a whole: two counters sampled a moment apart can give 102 %.
                value = min(100.0, max(0.0, value))
            self.points.append((wall, value))
        self.current = value
        self.sampled_at = wall if value is not None else None
        self.error = clean(error, 300) if value is None else ""

    def to_series(self, deploy_at: float | None) -> MetricSeries:
        c = self.config
        values = [v for _, v in self.points]
        points = tuple(self.points)
        baseline, delta = (None, None)
        if deploy_at is not None:
            baseline, delta = baseline_delta(points, deploy_at)
        return MetricSeries(
            name=c.name,
            unit=c.unit,
            points=points,
            current=self.current,
            minimum=min(values) if values else None,
            maximum=max(values) if values else None,
            warn=c.warn,
            crit=c.crit,
            direction=c.direction,
            state=threshold_state(self.current, c.warn, c.crit, c.direction),
            error=self.error,
            deploy_at=deploy_at,
            baseline=baseline,
            delta_pct=delta,
            interval=c.interval,
            sampled_at=self.sampled_at,
        )


class MetricSampler:
    """Samples every `[[metric]]` on its interval and streams `MetricsSnapshot`s.

    Network and psutil reads run off the loop (httpx async, psutil in a thread);
    Prometheus pages are parsed in a thread. The health and log sources are fed by
    their owners through `feed_health` and `feed_log_lines`.
    """

    def __init__(
        self, metrics: Sequence[MetricConfig], client: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._configs = tuple(metrics)
        self._client = client
        self._clock = clock
        self._series = {m.name: _Series(m) for m in self._configs}
        self._deploy_at: float | None = None
        self._changed = asyncio.Event()
        self._scrapes: dict[str, tuple[float, asyncio.Task[tuple[PromSample, ...]]]] = {}
        self._history = False
        """Whether promql metrics fill their history first (streaming, not one reading)."""

    # feeds -----------------------------------------------------------------------------

    def feed_health(self, snapshot: HealthSnapshot) -> None:
        """Take the latest endpoint states for `source = "health"` metrics."""
        for series in self._series.values():
            c = series.config
            if c.source != "health":
                continue
            status = snapshot.get(c.endpoint or "")
            if status is None or status.last is None:
                series.health_value, series.health_error = None, "no health result yet"
            elif c.field == "latency":
                series.health_value = status.last.latency_ms
                series.health_error = "" if status.last.latency_ms is not None else "no answer"
            else:
                results = status.history
                ok = sum(1 for r in results if r.state is not ProbeState.DOWN)
                series.health_value = ok / len(results) if results else None
                series.health_error = ""

    def feed_log_lines(self, log_name: str, lines: Sequence[str], *, backlog: bool = False) -> None:
        """New lines of log `log_name`: each `log` metric counts those its `filter` matches.

        `backlog` lines (what a file already held when it was opened, `LogBatch.backlog`)
        are not counted: they did not arrive now, and counting them would report the
        log's whole recent past as this minute's rate, a false alert on every launch.
        """
        if backlog:
            return
        for series in self._series.values():
            config = series.config
            if config.source == "log" and config.log == log_name:
                matches = series.log_filter.matches
                series.log_count += sum(1 for line in lines if matches(line))

    def mark_deploy(self, at: datetime) -> None:
        """Set the deploy mark: each series then reports its delta against the baseline."""
        self._deploy_at = at.timestamp()

    def clear_deploy_mark(self) -> None:
        """A rollback superseded the deploy: no series compares against its baseline now."""
        self._deploy_at = None

    # sampling ----------------------------------------------------------------------------

    def snapshot(self) -> MetricsSnapshot:
        """Every series now."""
        return MetricsSnapshot(
            tuple(self._series[m.name].to_series(self._deploy_at) for m in self._configs),
            self._clock.now(),
        )

    async def sample(self, name: str) -> None:
        """Take one sample of metric `name` now (errors become the series' error text)."""
        series = self._series[name]
        wall = self._clock.now().timestamp()
        try:
            value = await self._read(series)
            error = "" if value is not None else "no value yet"
        except MetricError as exc:
            value, error = None, str(exc)
        except PrometheusError as exc:
            value, error = None, str(exc)
        series.store(value, error, wall)

    async def sample_all(self) -> MetricsSnapshot:
        """Sample every metric once, concurrently (ratios last), and return the snapshot."""
        plain = [m.name for m in self._configs if m.source != "ratio"]
        await asyncio.gather(*(self.sample(name) for name in plain))
        for m in self._configs:
            if m.source == "ratio":
                await self.sample(m.name)
        return self.snapshot()

    async def _read(self, series: _Series) -> float | None:
        c = series.config
        if c.source == "psutil":
            return await asyncio.to_thread(self._read_psutil, series)
        if c.source == "prometheus":
            return await self._read_prometheus(series)
        if c.source == "promql":
            return await self._read_promql(series)
        if c.source == "json":
            return await self._read_json(series)
        if c.source == "health":
            if series.health_value is None:
                raise MetricError(series.health_error or "no value")
            return series.health_value
        if c.source == "log":
            now = self._clock.monotonic()
            since, series.log_since = series.log_since, now
            count, series.log_count = series.log_count, 0
            if since is None or now <= since:
                return None
            return count / (now - since) * 60.0
        return self._read_ratio(series)

    def _read_ratio(self, series: _Series) -> float | None:
        c = series.config
        num = self._series[c.numerator or ""].current
        den = self._series[c.denominator or ""].current
        if num is None or den is None:
            raise MetricError(f"waiting for {c.numerator} and {c.denominator}")
        if den == 0:
            raise MetricError(f"{c.denominator} is zero")
        return num / den

    def _read_psutil(self, series: _Series) -> float | None:
        c = series.config
        if c.query == "cpu":
            return float(psutil.cpu_percent(interval=0.1))
        if c.query == "memory":
            return float(psutil.virtual_memory().percent)
        if c.query == "load":
            return os.getloadavg()[0]
        process = series.process
        try:
            if process is None or not process.is_running():
                process = series.process = self._find_process(c)
                if c.query == "process_cpu":
                    process.cpu_percent(None)  # the first reading primes the counter
                    return None
            if c.query == "process_cpu":
                return float(process.cpu_percent(None))
            return float(process.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            series.process = None
            raise MetricError(f"process {c.pid or c.process} is gone") from None

    @staticmethod
    def _find_process(c: MetricConfig) -> Any:
        if c.pid is not None:
            try:
                return psutil.Process(c.pid)
            except psutil.NoSuchProcess:
                raise MetricError(f"no process with pid {c.pid}") from None
        if c.process is None:
            return psutil.Process()
        for proc in psutil.process_iter(["name"]):
            if proc.info.get("name") == c.process:
                return proc
        raise MetricError(f"no process named {c.process!r}")

    async def _read_prometheus(self, series: _Series) -> float | None:
        c = series.config
        taken, samples = await self._scrape(c.url or "", max(0.5, min(c.interval, 10.0)))
        matchers = compile_matchers(c.labels)
        if c.quantile is not None:
            buckets = histogram_buckets(samples, c.metric or "", matchers)
            if not buckets:
                raise MetricError(f"no histogram {c.metric} matching the labels")
            before, series.prev_buckets = series.prev_buckets, buckets
            window = bucket_delta(before, buckets) if before is not None else buckets
            return histogram_quantile(c.quantile, window)
        chosen = select(samples, c.metric or "", matchers)
        if not chosen:
            raise MetricError(f"no metric {c.metric} matching the labels")
        value = finite_sum(chosen)
        if value is None:
            raise MetricError(f"{c.metric} is NaN or infinite")
        if not c.rate:
            return value
        now = (taken, value)
        prev, series.prev_counter = series.prev_counter, now
        return counter_rate(prev, now)

    async def _read_promql(self, series: _Series) -> float:
        c = series.config
        server = PromQLServer(self._client, c.url or "", max(0.5, min(c.interval, 10.0)))
        if self._history and not series.backfilled and not series.history_missed:
            await self._fill_history(series, server)
        value = await server.instant(c.query or "")
        if self._history and not series.backfilled and series.history_missed:
            # The server could not be asked for its history before, and answers now. Not
            # asked while it is down: each round would wait for two timeouts, not one.
            await self._fill_history(series, server)
        return value

    async def _fill_history(self, series: _Series, server: PromQLServer) -> None:
        """One range query, so the graph's window is full from the first frame.

        It ends one interval before now (the live sample follows) and spans the watch
        window, or as much of it as Prometheus gives in one query. A server that could
        not be asked is asked again once it answers; an answer it gave (even an error)
        is final, and the instant query says what is wrong.
        """
        c = series.config
        end = self._clock.now().timestamp() - c.interval
        span = min(WATCH_SECONDS, (MAX_POINTS - 1) * c.interval)
        slow = PromQLServer(server.client, server.url, max(server.timeout, HISTORY_TIMEOUT))
        try:
            history = await slow.history(c.query or "", end - span, end, c.interval)
        except PromQLError as exc:
            series.backfilled = not exc.transient
            series.history_missed = exc.transient
            return
        series.backfill(history)
        series.backfilled = True

    async def _scrape(self, url: str, timeout: float) -> tuple[float, tuple[PromSample, ...]]:
        # Metrics read from one page at the same moment share one scrape, so a ratio of
        # two of them compares figures from the same instant.
        now = self._clock.monotonic()
        recent = self._scrapes.get(url)
        if (
            recent is None
            or now - recent[0] > SCRAPE_SHARE
            or (recent[1].done() and (recent[1].cancelled() or recent[1].exception() is not None))
        ):
            recent = (now, asyncio.ensure_future(scrape(self._client, url, timeout)))
            self._scrapes[url] = recent
        return recent[0], await asyncio.shield(recent[1])

    async def _read_json(self, series: _Series) -> float:
        c = series.config
        try:
            async with (
                asyncio.timeout(max(0.5, min(c.interval, 10.0))),
                self._client.stream("GET", c.url or "") as response,
            ):
                if response.status_code >= 400:
                    raise MetricError(f"HTTP {response.status_code}")
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > JSON_CAP:
                        raise MetricError("JSON body over 1 MiB")
        except TimeoutError:
            raise MetricError("no answer in time") from None
        except httpx.HTTPError as exc:
            raise MetricError(type(exc).__name__) from None
        try:
            doc = json.loads(body)
        except ValueError:
            raise MetricError("invalid JSON") from None
        return dotted_path(doc, c.path or "")

    # the stream ----------------------------------------------------------------------------

    async def _run(self, configs: Sequence[MetricConfig]) -> None:
        """Sample metrics that share an interval together, one round per slot.

        A round's samples are published at once (one snapshot, one repaint), ratios
        after the figures they divide. A source still waiting after `ROUND_SETTLE`
        does not hold the others back: what is in is published, the rest follows.
        """
        loop = asyncio.get_running_loop()
        interval = configs[0].interval
        plain = [c.name for c in configs if c.source != "ratio"]
        ratios = [c.name for c in configs if c.source == "ratio"]
        base = loop.time() + random.uniform(0.0, min(0.05, interval / 10))
        slot = 0
        while True:
            await asyncio.sleep(max(0.0, base + slot * interval - loop.time()))
            tasks = [asyncio.ensure_future(self._sample_guarded(name)) for name in plain]
            try:
                if tasks:
                    _, pending = await asyncio.wait(tasks, timeout=ROUND_SETTLE)
                    if pending:
                        await self._sample_ratios(ratios)
                        self._changed.set()
                        await asyncio.wait(pending)
            finally:
                for task in tasks:
                    task.cancel()
            await self._sample_ratios(ratios)
            self._changed.set()
            slot += 1
            behind = loop.time() - (base + slot * interval)
            if behind > 0:
                slot += int(behind // interval) + 1

    async def _sample_ratios(self, names: Sequence[str]) -> None:
        for name in names:
            await self._sample_guarded(name)

    async def _sample_guarded(self, name: str) -> None:
        """`sample`, with an unexpected failure shown on the graph instead of lost."""
        try:
            await self.sample(name)
        except Exception as exc:
            self._series[name].store(
                None, f"sampling failed: {exc!r}", self._clock.now().timestamp()
            )

    async def stream(self) -> AsyncIterator[MetricsSnapshot]:
        """Yield a snapshot first, then after each batch of new samples."""
        self._changed = asyncio.Event()
        self._history = True
        rounds: dict[float, list[MetricConfig]] = {}
        for config in self._configs:
            rounds.setdefault(config.interval, []).append(config)
        tasks = [asyncio.create_task(self._run(group)) for group in rounds.values()]
        try:
            yield self.snapshot()
            while True:
                await self._changed.wait()
                self._changed.clear()
                await asyncio.sleep(0)  # let samples due at the same moment land together
                yield self.snapshot()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

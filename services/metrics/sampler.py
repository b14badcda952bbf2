"""Metrics: figures sampled on intervals, kept for a 4-hour watch, judged by thresholds.

Sources are psutil (host and process), a Prometheus /metrics page, a PromQL query to a
Prometheus server (whose history fills the window at start), a number in a JSON
response, an endpoint's health (fed from the prober), log matches (fed from the log
follower), and the ratio of two other metrics (see `sources.py`). Each metric keeps a
ring buffer of points sized for four hours at its interval (`ring.py`), so memory
stays flat; once a deploy is marked, each series reports its change against the
pre-deploy baseline (`series.py`). This module decides when each figure is read and
streams the snapshots.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import httpx

from warroom.services.clock import Clock
from warroom.services.config import MetricConfig
from warroom.services.health.status import HealthSnapshot, ProbeState
from warroom.services.metrics.prometheus import PrometheusError
from warroom.services.metrics.ring import SeriesBuffer
from warroom.services.metrics.series import MetricError
from warroom.services.metrics.series import MetricSeries as MetricSeries
from warroom.services.metrics.series import MetricsSnapshot as MetricsSnapshot
from warroom.services.metrics.sources import SourceReader

# MetricSeries and MetricsSnapshot are read across the engine, the widgets and the screens;
# they stay importable from here (the `as` imports above), where the sampler that makes
# them lives.

ROUND_SETTLE = 0.5
"""Seconds a round of samples waits for its slowest source before publishing the rest."""


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
        self._clock = clock
        self._series = {m.name: SeriesBuffer(m) for m in self._configs}
        self._reader = SourceReader(client, clock, self._series)
        self._deploy_at: float | None = None
        self._changed = asyncio.Event()

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
            value = await self._reader.read(series)
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
        self._reader.history = True
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

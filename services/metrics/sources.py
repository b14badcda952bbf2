"""Where metric figures come from: psutil, a /metrics page, PromQL, JSON, health, logs.

Each source reads one figure for a `SeriesBuffer`; network reads are async httpx,
psutil runs in a thread, and readings of one /metrics page taken at the same moment
share one scrape. The sampler decides when to read; this module only knows how.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import httpx
import psutil

from warroom.services.clock import Clock
from warroom.services.config import MetricConfig
from warroom.services.metrics.prometheus import (
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
from warroom.services.metrics.ring import SeriesBuffer
from warroom.services.metrics.series import WATCH_SECONDS, MetricError

JSON_CAP = 1024 * 1024
SCRAPE_SHARE = 0.1
"""Seconds during which readings of the same /metrics page share one scrape."""
HISTORY_TIMEOUT = 10.0
"""Seconds a promql metric's one range query (its history, at start) may take."""


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


class SourceReader:
    """Reads one figure from a metric's source, sharing scrapes between metrics.

    It holds the sampler's series by name, since a ratio divides two other figures.
    """

    def __init__(
        self, client: httpx.AsyncClient, clock: Clock, series: dict[str, SeriesBuffer]
    ) -> None:
        self._client = client
        self._clock = clock
        self._series = series
        self._scrapes: dict[str, tuple[float, asyncio.Task[tuple[PromSample, ...]]]] = {}
        self.history = False
        """Whether promql metrics fill their history first (streaming, not one reading)."""

    async def read(self, series: SeriesBuffer) -> float | None:
        """One reading of `series`' source now; None when there is no figure yet.

        Raises `MetricError` or `PrometheusError` with a one-line reason.
        """
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

    def _read_ratio(self, series: SeriesBuffer) -> float | None:
        c = series.config
        num = self._series[c.numerator or ""].current
        den = self._series[c.denominator or ""].current
        if num is None or den is None:
            raise MetricError(f"waiting for {c.numerator} and {c.denominator}")
        if den == 0:
            raise MetricError(f"{c.denominator} is zero")
        return num / den

    def _read_psutil(self, series: SeriesBuffer) -> float | None:
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

    async def _read_prometheus(self, series: SeriesBuffer) -> float | None:
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

    async def _read_promql(self, series: SeriesBuffer) -> float:
        c = series.config
        server = PromQLServer(self._client, c.url or "", max(0.5, min(c.interval, 10.0)))
        if self.history and not series.backfilled and not series.history_missed:
            await self._fill_history(series, server)
        value = await server.instant(c.query or "")
        if self.history and not series.backfilled and series.history_missed:
            # The server could not be asked for its history before, and answers now. Not
            # asked while it is down: each round would wait for two timeouts, not one.
            await self._fill_history(series, server)
        return value

    async def _fill_history(self, series: SeriesBuffer, server: PromQLServer) -> None:
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

    async def _read_json(self, series: SeriesBuffer) -> float:
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

"""Prometheus exposition text: parsed off the UI loop, selected, and turned into figures.

Parsing uses prometheus-client's own parser in a thread. Samples are chosen by metric
name and label matchers (exact, or "~regex" matched against the whole value) and
summed across the matching series. Counters become per-second rates that survive
resets; histograms give a quantile from their buckets, as `histogram_quantile` does.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from warroom.services.redact import mask

SCRAPE_CAP = 16 * 1024 * 1024
"""Most bytes read from one /metrics page."""


class PrometheusError(Exception):
    """A scrape or exposition that cannot be used, with a one-line message.

    The message names the URL, whose query often carries a token from the
    environment: it is masked here, once, for the Metrics pane and `warroom check`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(mask(message))


@dataclass(frozen=True)
class PromSample:
    """One sample line: its family and type, its own name, labels and value."""

    family: str
    kind: str
    """counter, gauge, histogram, summary, untyped..."""
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float

    def label(self, key: str) -> str | None:
        """The value of label `key`, if present."""
        return next((v for k, v in self.labels if k == key), None)


def parse_exposition(text: str) -> tuple[PromSample, ...]:
    """Every sample of an exposition text; raises `PrometheusError` when malformed."""
    samples: list[PromSample] = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.append(
                    PromSample(
                        family.name,
                        family.type,
                        sample.name,
                        tuple(sorted(sample.labels.items())),
                        float(sample.value),
                    )
                )
    except (ValueError, TypeError, IndexError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PrometheusError(f"malformed exposition: {mask(first)[:200]}") from None
    return tuple(samples)


async def parse_exposition_async(text: str) -> tuple[PromSample, ...]:
    """`parse_exposition` in a thread, so a big page never stalls the event loop."""
    return await asyncio.to_thread(parse_exposition, text)


async def scrape(client: httpx.AsyncClient, url: str, timeout: float) -> tuple[PromSample, ...]:
    """Fetch and parse a /metrics page within `timeout` seconds (body capped)."""
    try:
        async with asyncio.timeout(timeout), client.stream("GET", url) as response:
            if response.status_code != 200:
                raise PrometheusError(f"{url}: HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > SCRAPE_CAP:
                    raise PrometheusError(f"{url}: exposition over {SCRAPE_CAP // 1048576} MiB")
                chunks.append(chunk)
    except TimeoutError:
        raise PrometheusError(f"{url}: no answer within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise PrometheusError(f"{url}: {type(exc).__name__}") from None
    text = b"".join(chunks).decode("utf-8", errors="replace")
    return await parse_exposition_async(text)


# --- selection -----------------------------------------------------------------------


@dataclass(frozen=True)
class Matcher:
    """One label matcher: an exact value, or a regex that must match the whole value."""

    label: str
    exact: str | None
    pattern: re.Pattern[str] | None

    def matches(self, sample: PromSample) -> bool:
        value = sample.label(self.label) or ""
        if self.pattern is not None:
            return self.pattern.fullmatch(value) is not None
        return value == self.exact


def compile_matchers(labels: Mapping[str, str]) -> tuple[Matcher, ...]:
    """Matchers from the config's `labels` table; raises `PrometheusError` on a bad regex."""
    matchers: list[Matcher] = []
    for key, value in labels.items():
        if value.startswith("~"):
            try:
                matchers.append(Matcher(key, None, re.compile(value[1:])))
            except re.error as exc:
                raise PrometheusError(f"labels.{key}: invalid regex: {exc}") from None
        else:
            matchers.append(Matcher(key, value, None))
    return tuple(matchers)


def select(
    samples: Sequence[PromSample], metric: str, matchers: Sequence[Matcher]
) -> list[PromSample]:
    """Samples named `metric` (a counter may be named with or without `_total`)."""
    names = {metric, metric + "_total"}
    return [
        s
        for s in samples
        if (s.name in names or (s.name == s.family == metric))
        and all(m.matches(s) for m in matchers)
    ]


def finite_sum(samples: Sequence[PromSample]) -> float | None:
    """The sum of the samples' values, skipping NaN; None when nothing finite is left."""
    values = [s.value for s in samples if not math.isnan(s.value)]
    if not values:
        return None
    total = math.fsum(values)
    return total if math.isfinite(total) else None


def counter_rate(prev: tuple[float, float] | None, now: tuple[float, float]) -> float | None:
    """Per-second rate between two (seconds, counter value) readings.

    A counter that went down was reset (the process restarted): the increase since the
    reset is the new value itself, as Prometheus's `rate()` assumes.
    """
    if prev is None:
        return None
    (t0, v0), (t1, v1) = prev, now
    dt = t1 - t0
    if dt <= 0 or not (math.isfinite(v0) and math.isfinite(v1)):
        return None
    increase = v1 - v0 if v1 >= v0 else v1
    return increase / dt


def histogram_buckets(
    samples: Sequence[PromSample], metric: str, matchers: Sequence[Matcher]
) -> dict[float, float]:
    """Cumulative bucket counts by upper bound, summed across the matching series."""
    family = metric.removesuffix("_bucket")
    buckets: dict[float, float] = {}
    for s in samples:
        if s.name != family + "_bucket" or not all(m.matches(s) for m in matchers):
            continue
        le = s.label("le")
        if le is None or math.isnan(s.value):
            continue
        try:
            bound = float(le)
        except ValueError:
            continue
        buckets[bound] = buckets.get(bound, 0.0) + s.value
    return buckets


def bucket_delta(prev: Mapping[float, float], now: Mapping[float, float]) -> dict[float, float]:
    """Observations between two scrapes per bucket; a reset counts from zero."""
    if any(now.get(le, 0.0) < count for le, count in prev.items()):
        return dict(now)
    return {le: count - prev.get(le, 0.0) for le, count in now.items()}


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile estimated from cumulative buckets by linear interpolation.

    Like Prometheus: a quantile in the +Inf bucket is the highest finite bound; no
    observations (or no +Inf bucket) gives None.
    """
    if not buckets or math.inf not in buckets:
        return None
    bounds = sorted(buckets)
    total = buckets[math.inf]
    if total <= 0 or not 0 <= q <= 1:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                finite = [b for b in bounds if math.isfinite(b)]
                return finite[-1] if finite else None
            if count == prev_count:
                return bound
            if bound <= 0:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return None

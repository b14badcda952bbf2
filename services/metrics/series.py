"""Metric series as the screen and the verdicts read them, and the pure rules on them.

A `MetricSeries` is one metric's four-hour window with its thresholds and its change
against the pre-deploy baseline; the rules here (threshold state, baseline delta,
trend) are pure functions of those points, so they are table-tested without sampling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warroom.services.config import MetricConfig

MetricState = Literal["ok", "warn", "crit", "unknown"]

WATCH_SECONDS = 4 * 3600.0
"""How much history each series keeps."""
BASELINE_WINDOW = 15 * 60.0
"""The baseline is the mean of the points in this window before the deploy mark."""
RECENT_WINDOW = 5 * 60.0
"""The post-deploy figure compared with the baseline: the mean over this window."""


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

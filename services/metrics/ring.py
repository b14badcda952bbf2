"""One metric's ring buffer: four hours of points at its interval, so memory stays flat.

Besides the points it holds what each source needs between samples (a counter's last
reading, a histogram's buckets, the watched process, the log match count), so the
readers in `sources.py` stay free of per-metric state.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

from warroom.services.config import MetricConfig
from warroom.services.logs.filter import LogFilter
from warroom.services.metrics.series import (
    WATCH_SECONDS,
    MetricSeries,
    baseline_delta,
    is_share,
    percent_scale,
    threshold_state,
)
from warroom.services.sanitize import clean


class SeriesBuffer:
    """The mutable ring buffer and source state of one metric.

    The sampler owns one per metric; only it and the source readers mutate it, and
    what leaves it is the frozen `MetricSeries` from `to_series`.
    """

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
        """Keep one sample (scaled, a share clamped to 0-100) or the reason it is missing."""
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
        """The frozen view of this series, with its baseline delta once a deploy is marked."""
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

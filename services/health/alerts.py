"""Alerts: one per transition, never a stream.

An endpoint going DOWN, or a metric staying beyond crit for its `min_duration`, raises
one alert; the next alert for the same subject needs it to recover first (a metric: to
come back past its clear level, not merely to dip under crit). Health state
changes are also reported so the journal (and the report) can list them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from warroom.services.events import ALERT_RAISED as ALERT_RAISED
from warroom.services.events import HEALTH_CHANGED as HEALTH_CHANGED
from warroom.services.health.state_words import state_words
from warroom.services.health.status import HealthSnapshot, ProbeState
from warroom.services.metrics.sampler import MetricsSnapshot


@dataclass(frozen=True)
class Alert:
    """Something an engineer must look at now: a toast, the bell, and a journal event."""

    subject: str
    text: str

    def payload(self) -> dict[str, str]:
        """The journal event's payload."""
        return {"subject": self.subject, "text": self.text}


@dataclass(frozen=True)
class HealthChange:
    """An endpoint moved from one state to another (PENDING is not a state worth noting)."""

    endpoint: str
    before: str
    after: str
    reason: str

    def payload(self) -> dict[str, str]:
        """The journal event's payload."""
        return {
            "endpoint": self.endpoint,
            "from": self.before,
            "to": self.after,
            "reason": self.reason,
        }


@dataclass
class AlertTracker:
    """Remembers what has already alerted, so each transition alerts exactly once."""

    min_durations: Mapping[str, float] = field(default_factory=dict)
    """Metric name -> seconds it must stay beyond crit before alerting."""
    _states: dict[str, ProbeState] = field(default_factory=dict)
    _words: dict[str, str] = field(default_factory=dict)
    """Each endpoint's state as last said (`state_words`), for the journal's "from"."""
    _crit_since: dict[str, float] = field(default_factory=dict)
    _alerted: set[str] = field(default_factory=set)

    def active_subjects(self) -> frozenset[str]:
        """Endpoints and metrics whose alert has not cleared yet (the alert line counts them)."""
        return frozenset(key.split(":", 1)[1] for key in self._alerted)

    def observe_health(self, snapshot: HealthSnapshot) -> tuple[list[HealthChange], list[Alert]]:
        """State changes since the previous snapshot, and the alerts they raise."""
        changes: list[HealthChange] = []
        alerts: list[Alert] = []
        for status in snapshot.endpoints:
            before = self._states.get(status.name, ProbeState.PENDING)
            after = status.state
            self._states[status.name] = after
            # The same words as the table and the projector, so the report says what
            # the screen said ("DOWN · 500", "FLAPPING · now UP · 4 changes").
            words = state_words(status).text
            said = self._words.get(status.name, before.word)
            self._words[status.name] = words
            if after == before or after == ProbeState.PENDING:
                continue
            reason = status.reason.value if status.reason is not None else ""
            if before != ProbeState.PENDING:
                changes.append(HealthChange(status.name, said, words, reason))
            key = f"endpoint:{status.name}"
            if after == ProbeState.DOWN and key not in self._alerted:
                self._alerted.add(key)
                alerts.append(Alert(status.name, f"{status.name} {words}"))
            elif after != ProbeState.DOWN:
                self._alerted.discard(key)
        return changes, alerts

    def observe_metrics(self, snapshot: MetricsSnapshot, now: float) -> list[Alert]:
        """Alerts for metrics beyond crit for at least their min duration (`now` monotonic).

        One alert per excursion: after it, the metric must come back past its clear
        level (`clear_level`) before it can alert again, so a value hovering around crit
        does not alert at every crossing. A missing sample (a failed scrape, a ratio
        waiting for its inputs) is a gap, not a recovery: it neither starts nor ends one.
        """
        alerts: list[Alert] = []
        for series in snapshot.series:
            key = f"metric:{series.name}"
            value = series.current
            if series.crit is None:
                self._crit_since.pop(series.name, None)
                self._alerted.discard(key)
                continue
            if series.state == "unknown" or value is None:
                continue
            if series.state != "crit":
                # A spike shorter than min_duration is forgotten; an alert re-arms only
                # once the value is clearly back.
                self._crit_since.pop(series.name, None)
                level = clear_level(series.warn, series.crit, series.direction)
                if is_clear(value, level, series.direction):
                    self._alerted.discard(key)
                continue
            since = self._crit_since.setdefault(series.name, now)
            if key in self._alerted or now - since < self.min_durations.get(series.name, 0.0):
                continue
            self._alerted.add(key)
            shown = f" at {_number(value)}{series.unit}"
            limit = f" {_number(series.crit)}{series.unit}"
            side = "above" if series.direction == "above" else "below"
            alerts.append(Alert(series.name, f"{series.name}{shown}, {side} crit{limit}"))
        return alerts


CLEAR_MARGIN = 0.1
"""Without a warn level, a metric is clear once 10% of crit back on the good side."""


def clear_level(warn: float | None, crit: float, direction: Literal["above", "below"]) -> float:
    """The value a metric must get back past after a crit alert before it alerts again.

    The warn level when it lies on the good side of crit, else crit moved back by
    `CLEAR_MARGIN` of its size: hysteresis, so hovering at crit is one excursion.
    """
    if direction == "above":
        if warn is not None and warn < crit:
            return warn
        return crit - abs(crit) * CLEAR_MARGIN
    if warn is not None and warn > crit:
        return warn
    return crit + abs(crit) * CLEAR_MARGIN


def is_clear(value: float, level: float, direction: Literal["above", "below"]) -> bool:
    """Whether `value` is back past the clear `level` on the good side."""
    return value < level if direction == "above" else value > level


def _number(value: float) -> str:
    """A figure as a person reads it: 1825, 95.5, 0.42."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.2f}".rstrip("0").rstrip(".")

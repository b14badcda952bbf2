"""The incident clock: when the incident started, how long it has run, its severity.

The start is wall time from the config or the journal (the only time shared between
instances and restarts); while the incident runs, an `IncidentClock` measures from it
on the monotonic clock, so a step of the wall clock moves neither the clock nor the
ladder. Resolution freezes the clock at its journaled time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warroom.services.clock import Clock
from warroom.services.escalation.journal_events import EventLike, Record
from warroom.services.events import INCIDENT_OPENED, INCIDENT_RESOLVED, SEVERITIES, SEVERITY_CHANGED


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def incident_start(configured: datetime | None, events: Sequence[EventLike]) -> datetime | None:
    """When the clock started: the configured start, else the earliest `incident.opened`.

    None means this is the first launch: journal `opening_payload(now)` and call again.
    """
    if configured is not None:
        return configured
    starts = [
        _parse_time(event.payload.get("started")) or event.at
        for event in events
        if event.kind == INCIDENT_OPENED
    ]
    return min(starts) if starts else None


def opening_payload(now: datetime) -> dict[str, Any]:
    """The `incident.opened` payload journaled on the first launch."""
    return {"started": now.isoformat()}


def ensure_started(
    configured: datetime | None, events: Sequence[EventLike], now: datetime, record: Record
) -> datetime:
    """The incident start, journaling `incident.opened` first if nothing says when it began.

    Two instances opening at once both journal; the earliest start wins for both.
    """
    start = incident_start(configured, events)
    if start is not None:
        return start
    record(INCIDENT_OPENED, opening_payload(now))
    return now


def resolved_at(events: Sequence[EventLike]) -> datetime | None:
    """When the incident was resolved (the first `incident.resolved`), else None."""
    for event in events:
        if event.kind == INCIDENT_RESOLVED:
            return event.at
    return None


def elapsed_seconds(started: datetime, now: datetime, events: Sequence[EventLike]) -> float:
    """Seconds on the incident clock: wall time since the start, frozen at resolution."""
    end = resolved_at(events)
    until = end if end is not None and end < now else now
    return max(0.0, (until - started).total_seconds())


@dataclass(frozen=True)
class IncidentClock:
    """The incident clock while it runs: elapsed time measured on the monotonic clock.

    Anchored once per process at a (wall, monotonic) pair read together; from then on
    the clock moves only with the monotonic clock, so an NTP step or a DST mistake on
    the host moves neither the clock shown nor the ladder (a +1 h step would otherwise
    page two levels at once). The journal's start is wall time, the only time shared
    between instances and restarts, so the anchor places it once, at anchoring.
    """

    wall: datetime
    """Wall time when the clock was anchored."""
    monotonic: float
    """The monotonic reading taken at the same moment."""

    @classmethod
    def anchor(cls, clock: Clock) -> IncidentClock:
        """Anchor on `clock` now (once, when this process starts the incident clock)."""
        return cls(clock.now(), clock.monotonic())

    def now(self, monotonic: float) -> datetime:
        """Steady wall time: the anchor's wall time plus the monotonic time since."""
        return self.wall + timedelta(seconds=max(0.0, monotonic - self.monotonic))

    def elapsed(self, started: datetime, monotonic: float) -> float:
        """Seconds since `started` (the journal's start) at the monotonic reading given."""
        return max(0.0, (self.now(monotonic) - started).total_seconds())


def running_elapsed(
    started: datetime, now: datetime, events: Sequence[EventLike], running: float | None
) -> float:
    """The incident clock: `running` (from `IncidentClock`) until resolved, then frozen.

    Without `running` it is the wall time since the start. Once resolved it is the
    resolution's journaled (wall) time less the start, the same on every instance.
    """
    if running is None or resolved_at(events) is not None:
        return elapsed_seconds(started, now, events)
    return max(0.0, running)


def current_severity(default: str, events: Sequence[EventLike]) -> str:
    """The latest journaled severity, else the configured one."""
    severity = default
    for event in events:
        if event.kind == SEVERITY_CHANGED:
            value = event.payload.get("severity")
            if isinstance(value, str) and value in SEVERITIES:
                severity = value
    return severity

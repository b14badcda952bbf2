"""The incident clocks: when it started, was detected, mitigated and resolved.

A post-incident review asks four times and the spans between them ("time to mitigate:
42m"). They are derived from the journal alone, so every report of one journal gives
the same answers, and a milestone nothing recorded stays None ("not recorded"),
never a guess.

- started: the configured start, else the first `incident.opened`, else the first event;
- detected: the first alert, or the first endpoint change to DOWN;
- mitigated: the first deploy mark that no successful rollback superseded, or the first
  successful rollback (production is back on a version chosen on purpose);
- resolved: the first `incident.resolved`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.services import events as kinds
from warroom.services.escalation.incident_clock import incident_start
from warroom.services.journal.format import EVENT_DAMAGED, Event, by_seq
from warroom.services.journal.times import format_duration, seconds_between, utc_stamp
from warroom.services.sanitize import clean

DOWN = "DOWN"
"""The endpoint state whose first appearance counts as detection."""


@dataclass(frozen=True)
class Milestone:
    """One clock: when, and which journal event says so, in words."""

    at: datetime
    what: str
    seq: int | None = None


@dataclass(frozen=True)
class IncidentClocks:
    """The four milestones of an incident; None where the journal records none."""

    started: datetime | None
    detected: Milestone | None
    mitigated: Milestone | None
    resolved: Milestone | None

    @property
    def time_to_detect(self) -> int | None:
        """Seconds from the start to detection, or None."""
        return seconds_between(self.started, _at(self.detected))

    @property
    def time_to_mitigate(self) -> int | None:
        """Seconds from the start to mitigation, or None."""
        return seconds_between(self.started, _at(self.mitigated))

    @property
    def time_to_resolve(self) -> int | None:
        """Seconds from the start to resolution, or None."""
        return seconds_between(self.started, _at(self.resolved))


def _at(milestone: Milestone | None) -> datetime | None:
    return milestone.at if milestone is not None else None


def _text(value: object, limit: int = 200) -> str:
    return clean(value, limit) if isinstance(value, str) else ""


def incident_clocks(configured: datetime | None, events: Sequence[Event]) -> IncidentClocks:
    """The clocks of one journal (events in any order; damaged ones are passed by)."""
    whole = sorted([e for e in events if e.kind != EVENT_DAMAGED], key=by_seq)
    started = incident_start(configured, whole) or (whole[0].at if whole else None)
    return IncidentClocks(
        started=started,
        detected=_detected(whole),
        mitigated=_mitigated(whole),
        resolved=next(
            (
                Milestone(e.at, "resolved", e.seq)
                for e in whole
                if e.kind == kinds.INCIDENT_RESOLVED
            ),
            None,
        ),
    )


def _detected(events: Sequence[Event]) -> Milestone | None:
    for event in events:
        if event.kind == kinds.ALERT_RAISED:
            subject = _text(event.payload.get("subject")) or "alert"
            return Milestone(event.at, f"alert: {subject}", event.seq)
        if event.kind == kinds.HEALTH_CHANGED and event.payload.get("to") == DOWN:
            endpoint = _text(event.payload.get("endpoint")) or "an endpoint"
            return Milestone(event.at, f"{endpoint} went DOWN", event.seq)
    return None


def _mitigated(events: Sequence[Event]) -> Milestone | None:
    """The first mitigation that stood: a deploy mark a later rollback undid does not count."""
    rollbacks = {
        e.seq for e in events if e.kind == kinds.ROLLBACK_FINISHED and e.payload.get("ok") is True
    }
    for event in events:
        if event.kind == kinds.DEPLOY_MARKED:
            if any(seq > event.seq for seq in rollbacks):
                continue
            version = _text(event.payload.get("version"))
            return Milestone(event.at, f"deploy of {version or 'the hotfix'} marked", event.seq)
        if event.seq in rollbacks:
            version = _text(event.payload.get("version"))
            return Milestone(
                event.at, f"rolled back to {version or 'the previous version'}", event.seq
            )
    return None


def clocks_json(clocks: IncidentClocks) -> dict[str, Any]:
    """The clocks as the report's `clocks` object (times to the second, spans in words)."""

    def milestone(m: Milestone | None) -> dict[str, Any] | None:
        return None if m is None else {"at": utc_stamp(m.at), "what": m.what, "seq": m.seq}

    def span(seconds: int | None) -> str | None:
        return None if seconds is None else format_duration(seconds)

    return {
        "started": utc_stamp(clocks.started),
        "detected": milestone(clocks.detected),
        "mitigated": milestone(clocks.mitigated),
        "resolved": milestone(clocks.resolved),
        "time_to_detect_seconds": clocks.time_to_detect,
        "time_to_detect": span(clocks.time_to_detect),
        "time_to_mitigate_seconds": clocks.time_to_mitigate,
        "time_to_mitigate": span(clocks.time_to_mitigate),
        "time_to_resolve_seconds": clocks.time_to_resolve,
        "time_to_resolve": span(clocks.time_to_resolve),
    }

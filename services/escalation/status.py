"""Status updates: when the last one went out, and the draft of the next.

The cadence itself (`status_every`) is judged in `ladder.compute_state`; this module
reads the journal for the last update and pre-fills the next from live state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warroom.services.escalation.countdown import format_hms
from warroom.services.escalation.journal_events import EventLike
from warroom.services.events import STATUS_SENT


def last_status_at(events: Sequence[EventLike]) -> datetime | None:
    """When the latest status update went out."""
    latest: datetime | None = None
    for event in events:
        if event.kind == STATUS_SENT and (latest is None or event.at > latest):
            latest = event.at
    return latest


def compose_status(
    *,
    incident: str,
    severity: str,
    elapsed: float,
    phase: str = "",
    health: str = "",
    error_trend: str = "",
    version: str = "",
    next_step: str = "",
) -> str:
    """A status update pre-filled from live state, for the user to edit before sending."""
    lines = [f"[{severity}] {incident}: status update ({format_hms(elapsed)} elapsed)"]
    for label, value in (
        ("Phase", phase),
        ("Health", health),
        ("Error rate", error_trend),
        ("Hotfix", version),
        ("Next", next_step),
    ):
        lines.append(f"{label}: {value.strip() or 'n/a'}")
    return "\n".join(lines)

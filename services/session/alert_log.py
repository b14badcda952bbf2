"""The incident's alerts as one list: what the alert line and the alert list show.

Alerts are read back from the journal (so every instance on the incident, the driver and
the viewers, lists the same alerts, and a restart keeps them): raised alerts, escalation
crossings and webhooks that gave up. Whether an alert is still active comes from the
live state: an endpoint or metric alert stays active while its subject has not recovered,
an escalation crossing until its level is acknowledged or the incident is resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from warroom.services import events as kinds
from warroom.services.journal.store import Event

AlertKind = Literal["alert", "escalation", "webhook", "service"]


@dataclass(frozen=True)
class RaisedAlert:
    """One alert as the user reads it: when, about what, in words, and whether it holds."""

    at: datetime
    subject: str
    text: str
    kind: AlertKind = "alert"
    active: bool = False
    """Still true now (not recovered, not acknowledged): counted on the alert line."""


def alert_log(
    events: Sequence[Event],
    active_subjects: Iterable[str] = (),
    local: Sequence[RaisedAlert] = (),
) -> tuple[RaisedAlert, ...]:
    """Every alert of the incident, newest first.

    `active_subjects` are the endpoints and metrics whose alert has not cleared yet (only
    the newest alert of a subject is active); `local` are alerts this instance could not
    journal (a write that failed, a service that stopped), merged in by time.
    """
    active = set(active_subjects)
    acked = -1
    resolved = False
    found: list[RaisedAlert] = []
    for event in events:
        payload = event.payload
        if event.kind == kinds.ALERT_RAISED:
            subject = str(payload.get("subject", ""))
            found.append(RaisedAlert(event.at, subject, str(payload.get("text", subject))))
        elif event.kind == kinds.ESCALATION_CROSSED:
            subject = f"level {payload.get('level', '?')}"
            found.append(RaisedAlert(event.at, subject, _crossing(payload), "escalation"))
        elif event.kind == kinds.NOTIFY_FAILED:
            text = f"Webhook {payload.get('url', '')} failed: {payload.get('error', '')}"
            found.append(RaisedAlert(event.at, "webhook", text, "webhook"))
        elif event.kind == kinds.ESCALATION_ACK:
            level = payload.get("level")
            if isinstance(level, int):
                acked = max(acked, level)
        elif event.kind == kinds.INCIDENT_RESOLVED:
            resolved = True
    found.extend(local)
    found.sort(key=lambda alert: alert.at)
    shown: list[RaisedAlert] = []
    seen: set[str] = set()
    for alert in reversed(found):
        holds = False
        if alert.kind == "alert" and alert.subject not in seen:
            holds = alert.subject in active
            seen.add(alert.subject)
        elif alert.kind == "escalation" and not resolved:
            holds = _level(alert.subject) > acked
        shown.append(alert if alert.active == holds else replace(alert, active=holds))
    return tuple(shown)


def _crossing(payload: dict[str, object]) -> str:
    """The crossing in the words of the escalation pane: whom to call, and how."""
    role = str(payload.get("role", "") or "the next level")
    name = str(payload.get("name", "") or "")
    contact = str(payload.get("contact", "") or "")
    who = f"{role} ({name})" if name else role
    return f"Escalate: call {who}" + (f" at {contact}" if contact else "")


def _level(subject: str) -> int:
    try:
        return int(subject.removeprefix("level "))
    except ValueError:
        return -1

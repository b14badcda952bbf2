"""What the incident session hands to a screen: one immutable state at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warroom.services.escalation.ladder import EscalationState, LevelInfo
from warroom.services.health.alerts import Alert
from warroom.services.health.probe import HealthSnapshot
from warroom.services.journal.store import Event
from warroom.services.logs.follow import LogItem
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import RunbookState
from warroom.services.session.alert_log import RaisedAlert
from warroom.services.session.summary import IncidentSummary

NoticeLevel = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """Something to tell the user once (a refused change, a failed webhook, NOT SAVED)."""

    text: str
    title: str = ""
    level: NoticeLevel = "information"


@dataclass(frozen=True)
class SessionState:
    """Everything a screen shows of the incident, as of one moment.

    The first fields are the whole current state; the last ones (`new_lines`, `alerts`,
    `crossed`, `notices`) are what happened since the previous state of the same stream,
    to be shown once.
    """

    seq: int
    """The last journal event applied (every event up to it, none after)."""
    events: tuple[Event, ...]
    """The journal, in sequence order."""
    runbook: RunbookState
    summary: IncidentSummary
    escalation: EscalationState | None
    """None until the journal has been read and the clock has started."""
    health: HealthSnapshot | None
    metrics: MetricsSnapshot | None
    journal_open: bool
    """Whether the journal has been opened (changes are possible, unless read-only)."""
    alert_log: tuple[RaisedAlert, ...] = ()
    """Every alert of the incident, newest first, each marked active or not."""
    verdict: DeployVerdict | None = None
    """The verdict on the deploy in production (None before a deploy or batch, and after
    a rollback), judged on each clock step."""
    new_lines: tuple[LogItem, ...] = ()
    """Log items that match the filter, arrived since the previous state."""
    alerts: tuple[Alert, ...] = ()
    """Alerts raised (and journaled) since the previous state."""
    crossed: tuple[LevelInfo, ...] = ()
    """Escalation levels that fired since the previous state."""
    notices: tuple[Notice, ...] = ()
    """Messages for the user since the previous state."""

    @property
    def deploy_marked(self) -> bool:
        """Whether the production deploy has been marked, by anyone."""
        return any(event.kind == "deploy.marked" for event in self.events)

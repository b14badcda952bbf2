"""What every pane's handlers on the dashboard read: the session, the runbook, the words.

The dashboard is one screen made of a class per pane (services' state comes down, keys
go up as session commands); they share this base: the state the screen shows, as
reactives its widgets bind to, the session it comes from, and the UI's fixed words in
the runbook's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.reactive import reactive
from textual.screen import Screen

from warroom.services.escalation.ladder import EscalationState
from warroom.services.health.status import HealthSnapshot
from warroom.services.journal.backend import EventJournal
from warroom.services.journal.store import Event
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import Runbook, RunbookState
from warroom.services.runbook.placeholders import CommandValues
from warroom.services.session import IncidentSession
from warroom.services.session.alert_log import RaisedAlert
from warroom.services.session.summary import IncidentSummary
from warroom.tui.runtime import Runtime
from warroom.widgets.words import say

if TYPE_CHECKING:
    from warroom.services.release.release_info import ReleaseInfo
    from warroom.widgets.health_detail import HealthDetail


class DashboardBase(Screen[None]):
    """The dashboard's shown state and session, shared by the class of each pane."""

    # The screen only hands these down (data_bind); its children repaint themselves, so
    # a new value must not repaint the whole screen.
    summary: reactive[IncidentSummary | None] = reactive(None, repaint=False)
    health: reactive[HealthSnapshot | None] = reactive(None, repaint=False)
    metrics: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    runbook_state: reactive[RunbookState | None] = reactive(None, always_update=True, repaint=False)
    escalation: reactive[EscalationState | None] = reactive(None, repaint=False)
    release: reactive[ReleaseInfo | None] = reactive(None, repaint=False)
    versions: reactive[CommandValues | None] = reactive(None, repaint=False)
    """The release's versions, as the runbook fills them into its commands."""
    alert_log: reactive[tuple[RaisedAlert, ...]] = reactive((), repaint=False)
    verdict: reactive[DeployVerdict | None] = reactive(None, repaint=False)
    now: reactive[datetime | None] = reactive(None, repaint=False)
    """The wall time of the state shown: today's date and ages come from it."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.session: IncidentSession = runtime.session()
        self.runbook: Runbook = self.session.runbook
        self.events: tuple[Event, ...] = ()
        """The journal as last shown, in sequence order."""
        self._detail: HealthDetail | None = None
        self._window = 0
        self.lang: str = self.runbook.lang
        """The language of the UI's fixed words: the runbook's (`[runbook] lang`, or LANG)."""

    def say(self, text: str, **fields: object) -> str:
        """A fixed UI word or template in the runbook's language, its fields filled."""
        words = say(text, self.lang)
        return words.format(**fields) if fields else words

    @property
    def journal(self) -> EventJournal | None:
        """The incident's journal, once the session has opened it."""
        return self.session.journal

    async def record(self, kind: str, payload: dict[str, Any]) -> bool:
        """Journal a user's change; True once it is committed and shown."""
        return await self.session.record(kind, payload)

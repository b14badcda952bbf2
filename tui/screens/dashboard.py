"""The dashboard: five panes fed one way from the services.

One worker per stream assigns a reactive on this screen (or hands a batch to the log
pane); widgets follow through `data_bind`. User keys come back as widget messages and
become journal events; the journal's stream brings the new state back down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from services import escalation as esc
from services.escalation import EscalationState
from services.health import HealthSnapshot, Prober, make_client
from services.incident import IncidentSummary
from services.journal import Event, Journal, JournalWriteError
from services.log_filter import LogFilter
from services.log_follow import LogBuffer, LogFollower
from services.metrics import MetricSampler, MetricsSnapshot
from services.runbook import Runbook, RunbookState, replay, runbook_for
from tui.runtime import Runtime
from widgets.escalation_view import EscalationView
from widgets.filter_bar import FilterBar
from widgets.health_table import HealthTable
from widgets.incident_header import IncidentHeader
from widgets.log_view import LogView
from widgets.metric_panel import MetricPanel
from widgets.runbook_view import RunbookView

WIDE_AT = 160


class DashboardScreen(Screen[None]):
    """Runbook, Health, Metrics, Error log and Escalation on one screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter log", key_display="/"),
        Binding("a", "ack", "Ack"),
        Binding("D", "mark_deploy", "Mark deploy"),
    ]

    summary: reactive[IncidentSummary | None] = reactive(None)
    health: reactive[HealthSnapshot | None] = reactive(None)
    metrics: reactive[MetricsSnapshot | None] = reactive(None)
    runbook_state: reactive[RunbookState | None] = reactive(None, always_update=True)
    escalation: reactive[EscalationState | None] = reactive(None)

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        config = runtime.loaded.config
        self.runbook: Runbook = runbook_for(runtime.loaded)
        self.journal: Journal | None = None
        self.events: list[Event] = []
        self._unsaved: list[Event] = []
        self._save_error: str | None = None
        self._started = config.incident.started
        self.log_buffer = LogBuffer(log_filter=LogFilter.parse(self._initial_filter()))
        self.sampler: MetricSampler | None = None
        self.prober: Prober | None = None

    # --- composition ---------------------------------------------------------------

    def _initial_filter(self) -> str:
        logs = self.runtime.loaded.config.log
        return logs[0].filter if logs else ""

    def compose(self) -> ComposeResult:
        config = self.runtime.loaded.config
        yield IncidentHeader().data_bind(summary=DashboardScreen.summary)
        with Container(id="panes"):
            with Vertical(id="runbook-pane", classes="pane") as pane:
                pane.border_title = "Runbook"
                yield RunbookView(id="runbook").data_bind(state=DashboardScreen.runbook_state)
            with Vertical(id="health-pane", classes="pane") as pane:
                pane.border_title = "Health"
                yield HealthTable(id="health").data_bind(snapshot=DashboardScreen.health)
            with Vertical(id="metrics-pane", classes="pane") as pane:
                pane.border_title = "Metrics"
                yield MetricPanel(
                    [m.name for m in config.metric if m.graph], id="metrics"
                ).data_bind(snapshot=DashboardScreen.metrics)
            with Vertical(id="escalation-pane", classes="pane") as pane:
                pane.border_title = "Escalation"
                yield EscalationView(id="escalation").data_bind(state=DashboardScreen.escalation)
            with Vertical(id="log-pane", classes="pane") as pane:
                pane.border_title = "Error log"
                yield FilterBar(self._initial_filter(), id="log-filter")
                yield LogView(show_source=len(config.log) > 1, id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RunbookView).focus()
        self.query_one(FilterBar).display = False
        self.summary = self._summary(None)
        self.runbook_state = replay(self.runbook, [])
        if self.runtime.live:
            self._start_services()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE_AT, "-wide")

    # --- services ------------------------------------------------------------------

    def _start_services(self) -> None:
        config = self.runtime.loaded.config
        if config.endpoint:
            self.prober = Prober(config.endpoint, make_client(config.endpoint), self.runtime.clock)
            self._run_health()
        if config.metric:
            self.sampler = MetricSampler(
                config.metric, make_client(config.endpoint), self.runtime.clock
            )
            self._run_metrics()
        if config.log:
            self._run_logs()
        self._run_journal()

    @work(group="health", exit_on_error=False)
    async def _run_health(self) -> None:
        assert self.prober is not None
        async for snapshot in self.prober.stream():
            self.health = snapshot
            if self.sampler is not None:
                self.sampler.feed_health(snapshot)

    @work(group="metrics", exit_on_error=False)
    async def _run_metrics(self) -> None:
        assert self.sampler is not None
        async for snapshot in self.sampler.stream():
            self.metrics = snapshot

    @work(group="logs", exit_on_error=False)
    async def _run_logs(self) -> None:
        loaded = self.runtime.loaded
        follower = LogFollower(
            loaded.config.log,
            loaded.base_dir,
            self.runtime.clock,
            log_filter=self.log_buffer.log_filter,
        )
        view = self.query_one(LogView)
        async for batch in follower.stream():
            shown = self.log_buffer.append(batch)
            if shown:
                view.append(shown)
            if self.sampler is not None:
                for log in loaded.config.log:
                    self.sampler.feed_log_matches(
                        log.name, int(self.log_buffer.matches_per_minute(self.runtime.clock.now()))
                    )

    @work(group="journal", exit_on_error=False)
    async def _run_journal(self) -> None:
        self.journal = await asyncio.to_thread(self.runtime.open_journal)
        journal = self.journal
        if journal.recovery:
            self.notify(
                journal.recovery, title="Journal recovered", severity="warning", markup=False
            )
        if journal.write_problem and not journal.read_only:
            self._save_error = journal.write_problem
        self._ingest(await asyncio.to_thread(journal.events))
        if self._started is None:
            now = self.runtime.clock.now()
            self._started = esc.ensure_started(None, self.events, now, self._record)
        self._tick()
        self.set_interval(1.0, self._tick)
        async for batch in journal.follow(poll=0.5, after_seq=self._last_seq()):
            self._ingest(batch)

    def _last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def _ingest(self, batch: Sequence[Event]) -> None:
        last = self._last_seq()
        fresh = [event for event in batch if event.seq > last]
        if not fresh:
            return
        self.events.extend(fresh)
        self.runbook_state = replay(self.runbook, self.events)

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        """Journal an event from the UI loop (rare events: escalation crossings)."""
        if self.journal is None or self.runtime.read_only:
            return
        try:
            self._ingest([self.journal.append(kind, payload)])
        except JournalWriteError as exc:
            self._not_saved(str(exc))

    async def _record_async(self, kind: str, payload: dict[str, Any]) -> bool:
        """Journal a user's change off the UI loop; True once it is durable."""
        if self.journal is None:
            self.notify("The journal is still opening; try again.", severity="warning")
            return False
        if self.runtime.read_only:
            self.notify("Read-only: changes are refused.", severity="warning")
            return False
        try:
            event = await self.journal.record(kind, payload)
        except JournalWriteError as exc:
            self._not_saved(str(exc))
            return False
        self._save_error = None
        self._ingest([event])
        return True

    def _not_saved(self, message: str) -> None:
        self._save_error = message
        self.summary = self._summary(self.escalation)
        self.notify(message, title="NOT SAVED", severity="error", timeout=10, markup=False)

    # --- the clock -------------------------------------------------------------------

    def _tick(self) -> None:
        config = self.runtime.loaded.config
        now = self.runtime.clock.now()
        if self._started is None:
            return
        result = esc.tick(
            config.escalation,
            self._started,
            now,
            self.events,
            self._record if not self.runtime.read_only else _ignore,
            default_severity=config.incident.severity,
        )
        self.escalation = result.state
        self.summary = self._summary(result.state)
        for level in result.crossed:
            self.notify(
                f"Call {level.who} {level.contact}".strip(),
                title=f"Escalation: {level.role}",
                severity="warning",
                timeout=30,
                markup=False,
            )
            if config.ui.bell and config.escalation.bell:
                self.app.bell()

    def _summary(self, state: EscalationState | None) -> IncidentSummary:
        incident = self.runtime.loaded.config.incident
        return IncidentSummary(
            id=incident.id,
            title=incident.title,
            severity=state.severity if state is not None else incident.severity,
            elapsed_s=state.elapsed if state is not None else None,
            resolved=state.resolved if state is not None else False,
            read_only=self.runtime.read_only,
            save_error=self._save_error,
        )

    # --- user actions ----------------------------------------------------------------

    async def on_runbook_view_toggle_requested(self, message: RunbookView.ToggleRequested) -> None:
        kind = "item.done" if message.done else "item.undone"
        await self._record_async(kind, {"item": message.item_id})

    async def action_ack(self) -> None:
        state = self.escalation
        payload = esc.ack_payload(state) if state is not None else None
        if payload is None:
            self.notify("No escalation level reached yet: nothing to acknowledge.")
            return
        await self._record_async(esc.ESCALATION_ACK, payload)

    async def action_mark_deploy(self) -> None:
        if await self._record_async(esc.DEPLOY_MARKED, {}):
            now = self.runtime.clock.now()
            if self.sampler is not None:
                self.sampler.mark_deploy(now)
            if self.prober is not None:
                self.prober.mark_deploy(now)

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.focus()

    def on_filter_bar_filter_changed(self, message: FilterBar.FilterChanged) -> None:
        shown = self.log_buffer.set_filter(message.log_filter)
        self.query_one(LogView).replace(shown, message.log_filter)


def _ignore(kind: str, payload: dict[str, Any]) -> None:
    """A read-only viewer journals nothing; the driving instance does."""

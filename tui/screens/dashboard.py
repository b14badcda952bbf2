"""The dashboard: five panes fed one way from the services.

One worker per stream assigns a reactive on this screen (or hands a batch to the log
pane); widgets follow through `data_bind`. User keys come back as widget messages and
become journal events; the journal's stream brings the new state back down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from services import escalation as esc
from services.alerts import ALERT_RAISED, HEALTH_CHANGED, Alert, AlertTracker
from services.escalation import EscalationState
from services.health import HealthSnapshot, Prober, ProbeState, make_client
from services.incident import IncidentSummary
from services.journal import Event, Journal, JournalWriteError
from services.log_filter import LogFilter
from services.log_follow import LogBatch, LogBuffer, LogFollower
from services.metrics import MetricSampler, MetricsSnapshot
from services.notify import Delivery, Notifier
from services.redact import redact
from services.runbook import (
    CHOICE_MADE,
    ITEM_DONE,
    ITEM_NA,
    ITEM_NOTE,
    ITEM_UNDONE,
    Runbook,
    RunbookState,
    replay,
    runbook_for,
)
from tui.runtime import Runtime
from tui.starting import WIDE_AT
from widgets.escalation_view import EscalationView
from widgets.filter_bar import FilterBar
from widgets.health_table import HealthTable
from widgets.incident_header import IncidentHeader
from widgets.key_bar import KeyBar
from widgets.log_view import LogView
from widgets.metric_panel import MetricPanel
from widgets.paint_cache import PaintCache
from widgets.pane import Column, Pane, Row, Stack
from widgets.projector_view import ProjectorView
from widgets.release_bar import ReleaseBar
from widgets.runbook_view import RunbookView

if TYPE_CHECKING:
    from services.release import ReleaseInfo
    from tui.screens.release import ReleaseController
    from widgets.health_detail import HealthDetail
    from widgets.help import KeySection

# Modal screens and the release machinery are imported when first opened, so the first
# frame does not wait for them.

WINDOWS = (300.0, 1800.0, 7200.0)
"""Graph windows cycled by `w`: 5m, 30m, 2h."""
DEPLOY_ITEMS = frozenset({"p10.deploy-production", "p09.bg-switch", "p09.rolling-next"})
"""Runbook items whose tick means production now runs the hotfix (marks the deploy)."""


class DashboardScreen(PaintCache, Screen[None]):
    """Runbook, Health, Metrics, Error log and Escalation on one screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter log", key_display="/"),
        Binding("a", "ack", "Ack"),
        Binding("u", "status", "Status update"),
        Binding("D", "mark_deploy", "Mark deploy"),
        Binding("w", "window", "Graph window"),
        Binding("R", "resolve", "Resolve"),
        Binding("r", "release", "Release"),
        Binding("ctrl+r", "rollback", "Rollback", priority=True),
        Binding("p", "projector", "Projector"),
        Binding("z", "zoom", "Zoom pane"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("t", "timeline", "Timeline", show=False),
        Binding("b", "guidance", "Guidance", show=False),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    # The screen only hands these down (data_bind); its children repaint themselves, so
    # a new value must not repaint the whole screen.
    summary: reactive[IncidentSummary | None] = reactive(None, repaint=False)
    health: reactive[HealthSnapshot | None] = reactive(None, repaint=False)
    metrics: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    runbook_state: reactive[RunbookState | None] = reactive(None, always_update=True, repaint=False)
    escalation: reactive[EscalationState | None] = reactive(None, repaint=False)
    release: reactive[ReleaseInfo | None] = reactive(None, repaint=False)

    _due_health: HealthSnapshot | None = None
    """The latest health, not yet shown (see `_hand_down`)."""
    _due_metrics: MetricsSnapshot | None = None
    """The latest metrics, not yet shown (see `_hand_down`)."""
    _held_log: LogView | None = None
    """The log pane, when it holds lines not yet shown (see `_hand_down`)."""
    _due_alerts: list[Alert]
    """Alerts raised (and journaled) since the last tick, not yet shown."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self._due_alerts = []
        config = runtime.loaded.config
        self.runbook: Runbook = runbook_for(runtime.loaded)
        self.journal: Journal | None = None
        self.events: list[Event] = []
        self._save_error: str | None = None
        self._started = config.incident.started
        self.log_buffer = LogBuffer(log_filter=LogFilter.parse(self._initial_filter()))
        self.sampler: MetricSampler | None = None
        self.prober: Prober | None = None
        self.notifier: Notifier | None = None
        self.alerts = AlertTracker({m.name: m.min_duration for m in config.metric})
        self._detail: HealthDetail | None = None
        self._window = 0

    # --- composition ---------------------------------------------------------------

    def _initial_filter(self) -> str:
        logs = self.runtime.loaded.config.log
        return logs[0].filter if logs else ""

    def compose(self) -> ComposeResult:
        config = self.runtime.loaded.config
        yield IncidentHeader().data_bind(summary=DashboardScreen.summary)
        yield ReleaseBar(id="release-bar").data_bind(info=DashboardScreen.release)
        with Row(id="panes"):
            with Column(id="col-a"):
                with Pane(id="runbook-pane", classes="pane") as pane:
                    pane.border_title = "Runbook"
                    yield RunbookView(id="runbook").data_bind(state=DashboardScreen.runbook_state)
                with Pane(id="escalation-pane", classes="pane") as pane:
                    pane.border_title = "Escalation"
                    yield EscalationView(id="escalation").data_bind(
                        state=DashboardScreen.escalation
                    )
            with Stack(id="col-b"):
                with Pane(id="health-pane", classes="pane") as pane:
                    pane.border_title = "Health"
                    pane.styles.height = self._health_height()
                    yield HealthTable(id="health").data_bind(snapshot=DashboardScreen.health)
                with Pane(id="metrics-pane", classes="pane") as pane:
                    pane.border_title = "Metrics"
                    graphs = [m.name for m in config.metric if m.graph]
                    yield MetricPanel(graphs, id="metrics").data_bind(
                        snapshot=DashboardScreen.metrics
                    )
                with Pane(id="log-pane", classes="pane") as pane:
                    pane.border_title = "Error log"
                    yield FilterBar(self._initial_filter(), id="log-filter")
                    yield LogView(show_source=len(config.log) > 1, id="log")
        headline = [m.name for m in config.metric if m.graph][:6]
        yield ProjectorView(headline, id="projector").data_bind(
            escalation=DashboardScreen.escalation,
            health=DashboardScreen.health,
            metrics=DashboardScreen.metrics,
        )
        yield KeyBar()

    def _health_height(self) -> int:
        # A row per endpoint and a header, inside the border.
        return min(12, len(self.runtime.loaded.config.endpoint) + 3)

    def on_mount(self) -> None:
        if not all(self.query(kind) for kind in (RunbookView, FilterBar, ProjectorView)):
            return  # the app quit as this screen arrived: its panes were never mounted
        # In the wide grid, the Health row is as tall as the Health pane.
        self.query_one("#col-b").styles.grid_rows = f"{self._health_height()} 1fr"
        self.query_one(RunbookView).focus()
        self.query_one(FilterBar).display = False
        self.query_one(ProjectorView).display = False
        self.summary = self._summary(None)
        self.runbook_state = replay(self.runbook, [])
        if self.runtime.live:
            self._start_services()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE_AT, "-wide")

    # --- services ------------------------------------------------------------------

    def _start_services(self) -> None:
        config = self.runtime.loaded.config
        client = make_client(config.endpoint)
        if config.endpoint:
            self.prober = Prober(config.endpoint, client, self.runtime.clock)
            self._run_health()
        if config.metric:
            self.sampler = MetricSampler(config.metric, client, self.runtime.clock)
            self._run_metrics()
        if config.notify and not self.runtime.read_only:
            self.notifier = Notifier(
                config.notify,
                client,
                self.runtime.clock,
                record=self._record,
                incident=config.incident.id,
                on_result=self._on_delivery,
            )
        if config.log:
            self._run_logs()
        if config.git is not None:
            # After the first frame: reading git is not what the first glance needs.
            self.call_after_refresh(self._watch_release)
        self._run_journal()

    @work(group="health", exit_on_error=False)
    async def _run_health(self) -> None:
        assert self.prober is not None
        async for snapshot in self.prober.stream():
            if self._holding:
                self._due_health = snapshot
            else:
                self.health = snapshot
            if self.sampler is not None:
                self.sampler.feed_health(snapshot)
            detail = self._detail
            if detail is not None and detail.is_attached and detail.status is not None:
                status = snapshot.get(detail.status.name)
                if status is not None:
                    detail.status = status
            changes, alerts = self.alerts.observe_health(snapshot)
            for change in changes:
                self._record(HEALTH_CHANGED, change.payload())
            self._raise(alerts)

    @work(group="metrics", exit_on_error=False)
    async def _run_metrics(self) -> None:
        assert self.sampler is not None
        async for snapshot in self.sampler.stream():
            if self._holding:
                self._due_metrics = snapshot
            else:
                self.metrics = snapshot
            self._raise(self.alerts.observe_metrics(snapshot, self.runtime.clock.monotonic()))

    def _raise(self, alerts: Sequence[Alert]) -> None:
        """Journal each alert now; show them with the panes' next second (`_hand_down`),
        when the pane that shows the failure shows it too."""
        for alert in alerts:
            self._record(ALERT_RAISED, alert.payload())
        self._due_alerts.extend(alerts)
        if not self._holding:
            self._show_alerts()

    def _show_alerts(self) -> None:
        """One toast (and one bell) for the alerts raised in the same second."""
        alerts, self._due_alerts = self._due_alerts, []
        if not alerts:
            return
        if len(alerts) == 1:
            title, text = "Alert", alerts[0].text
        else:
            title, text = f"{len(alerts)} alerts", "\n".join(a.text for a in alerts)
        self.notify(text, title=title, severity="error", timeout=15, markup=False)
        if self.runtime.loaded.config.ui.bell:
            self.app.bell()

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
            if shown and self._holding:
                view.hold(shown)
                self._held_log = view
            elif shown:
                view.append(shown)
            if self.sampler is not None:
                names = {log.name for log in loaded.config.log}
                for name, lines in _lines_by_log(batch, names).items():
                    self.sampler.feed_log_lines(name, lines)

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
        self._apply_deploy_mark()
        self._tick()
        self.set_interval(1.0, self._tick)
        async for batch in journal.follow(poll=0.5, after_seq=self._last_seq()):
            if self._ingest(batch):
                self._tick()  # another instance's ack or status update shows at once

    def _last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def _ingest(self, batch: Sequence[Event]) -> bool:
        """Add the events not seen yet (this screen's own come back from the journal too)."""
        last = self._last_seq()
        fresh = [event for event in batch if event.seq > last]
        if not fresh:
            return False
        self.events.extend(fresh)
        self.runbook_state = replay(self.runbook, self.events)
        if any(event.kind == esc.DEPLOY_MARKED for event in fresh):
            self._apply_deploy_mark()
        return True

    def _apply_deploy_mark(self) -> None:
        """Tell the samplers when the deploy happened (from any instance's journal)."""
        marks = [event.at for event in self.events if event.kind == esc.DEPLOY_MARKED]
        if not marks:
            return
        if self.sampler is not None:
            self.sampler.mark_deploy(marks[-1])
        if self.prober is not None:
            self.prober.mark_deploy(marks[-1])

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        """Journal an event from the UI loop (rare events: crossings, alerts)."""
        if self.journal is None or self.runtime.read_only:
            return
        try:
            self._ingest([self.journal.append(kind, self._redacted(payload))])
        except JournalWriteError as exc:
            self._not_saved(str(exc))

    async def record(self, kind: str, payload: dict[str, Any]) -> bool:
        """Journal a user's change off the UI loop; True once it is durable."""
        if self.journal is None:
            self.notify("The journal is still opening; try again.", severity="warning")
            return False
        if self.runtime.read_only:
            self.notify("Read-only: changes are refused.", severity="warning")
            return False
        try:
            event = await self.journal.record(kind, self._redacted(payload))
        except JournalWriteError as exc:
            self._not_saved(str(exc))
            return False
        self._save_error = None
        self._ingest([event])
        self._tick()
        return True

    def _redacted(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with every value from the environment masked (argv, errors)."""
        masked: dict[str, Any] = redact(payload, self.runtime.loaded.secrets)
        return masked

    def _not_saved(self, message: str) -> None:
        self._save_error = message
        self.summary = self._summary(self.escalation)
        self.notify(message, title="NOT SAVED", severity="error", timeout=10, markup=False)

    def _on_delivery(self, delivery: Delivery) -> None:
        if not delivery.ok:
            self.notify(
                f"Webhook {delivery.url} failed: {delivery.error}",
                severity="warning",
                markup=False,
            )

    async def _announce(self, kind: str, text: str) -> None:
        if self.notifier is not None:
            await self.notifier.send(
                kind, text, {"incident": self.runtime.loaded.config.incident.id}
            )

    # --- the clock -------------------------------------------------------------------

    @property
    def _holding(self) -> bool:
        """Whether new samples wait for the clock's next second (`_hand_down`): once it
        runs; before, they are shown as they come."""
        return self.escalation is not None

    def _hand_down(self) -> None:
        """Show the health, metrics, log lines and alerts that came in since the last tick.

        Once the clock runs, the panes take new samples on its tick: they repaint in the
        frame the clock repaints anyway, not in frames of their own.
        """
        if self._due_health is not None:
            self.health, self._due_health = self._due_health, None
        if self._due_metrics is not None:
            self.metrics, self._due_metrics = self._due_metrics, None
        if self._held_log is not None:
            self._held_log.flush()
            self._held_log = None
        self._show_alerts()

    def _tick(self) -> None:
        self._hand_down()
        config = self.runtime.loaded.config
        if self._started is None:
            return
        result = esc.tick(
            config.escalation,
            self._started,
            self.runtime.clock.now(),
            self.events,
            self._record if not self.runtime.read_only else _ignore,
            health=self._health_summary(),
            default_severity=config.incident.severity,
        )
        self.escalation = result.state
        self.summary = self._summary(result.state)
        for level in result.crossed:
            text = esc.crossing_text(config.escalation.levels, level.index)
            self.notify(text, title="Escalation", severity="warning", timeout=30, markup=False)
            if config.ui.bell and config.escalation.bell:
                self.app.bell()
            self.run_worker(self._announce("escalation", text), group="notify")

    def _health_summary(self) -> str:
        snapshot = self.health
        if snapshot is None or not snapshot.endpoints:
            return "no endpoints"
        return ", ".join(f"{e.name} {e.state.word}" for e in snapshot.endpoints)

    def _summary(self, state: EscalationState | None) -> IncidentSummary:
        incident = self.runtime.loaded.config.incident
        return IncidentSummary(
            id=incident.id,
            title=incident.title,
            severity=state.severity if state is not None else incident.severity,
            # Whole seconds, as shown: a second tick within the same second repaints nothing.
            elapsed_s=float(int(state.elapsed)) if state is not None else None,
            resolved=state.resolved if state is not None else False,
            read_only=self.runtime.read_only,
            save_error=self._save_error,
        )

    # --- runbook ---------------------------------------------------------------------

    async def on_runbook_view_toggle_requested(self, message: RunbookView.ToggleRequested) -> None:
        kind = ITEM_DONE if message.done else ITEM_UNDONE
        saved = await self.record(kind, {"item": message.item_id})
        deploys = message.done and message.item_id in DEPLOY_ITEMS
        if saved and deploys and not self._deploy_marked():
            await self.action_mark_deploy()

    def _deploy_marked(self) -> bool:
        return any(event.kind == esc.DEPLOY_MARKED for event in self.events)

    def _item_text(self, item_id: str) -> str:
        item = self.runbook.item(item_id)
        return item.text if item is not None else item_id

    @work(group="prompt")
    async def on_runbook_view_note_requested(self, message: RunbookView.NoteRequested) -> None:
        from widgets.prompt import PromptScreen

        text = await self.app.push_screen_wait(
            PromptScreen("Note", subject=self._item_text(message.item_id))
        )
        if text:
            await self.record(ITEM_NOTE, {"item": message.item_id, "text": text})

    @work(group="prompt")
    async def on_runbook_view_not_applicable_requested(
        self, message: RunbookView.NotApplicableRequested
    ) -> None:
        from widgets.prompt import PromptScreen

        reason = await self.app.push_screen_wait(
            PromptScreen("Not applicable: why?", subject=self._item_text(message.item_id))
        )
        if reason:
            await self.record(ITEM_NA, {"item": message.item_id, "reason": reason})

    @work(group="prompt")
    async def on_runbook_view_choice_requested(self, message: RunbookView.ChoiceRequested) -> None:
        from widgets.choice import ChoiceScreen

        option = await self.app.push_screen_wait(
            ChoiceScreen("Choose one", message.options, message.selected)
        )
        if option is not None and option != message.selected:
            await self.record(CHOICE_MADE, {"choice": message.choice_id, "option": option})

    def on_runbook_view_timeline_requested(self, message: RunbookView.TimelineRequested) -> None:
        self.action_timeline()

    def action_timeline(self) -> None:
        from widgets.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.events, self.runbook))

    def action_guidance(self) -> None:
        from widgets.guidance import GuidanceScreen

        self.app.push_screen(GuidanceScreen(self.runbook.guidance))

    # --- health and metrics ------------------------------------------------------------

    def on_health_table_selected(self, message: HealthTable.Selected) -> None:
        from widgets.health_detail import HealthDetail

        status = self.health.get(message.name) if self.health is not None else None
        if status is not None:
            self._detail = HealthDetail(status)
            self.app.push_screen(self._detail)

    def action_window(self) -> None:
        self._window = (self._window + 1) % len(WINDOWS)
        for graph in self.query("MetricGraph"):
            graph.window = WINDOWS[self._window]  # type: ignore[attr-defined]

    async def action_mark_deploy(self) -> None:
        if await self.record(esc.DEPLOY_MARKED, {}):
            self.notify("Deploy marked: baseline set, post-deploy watch started.")
            await self._announce("deploy", "Hotfix deployed to production.")

    # --- escalation --------------------------------------------------------------------

    async def action_ack(self) -> None:
        state = self.escalation
        payload = esc.ack_payload(state) if state is not None else None
        if payload is None:
            self.notify("No escalation level reached yet: nothing to acknowledge.")
            return
        if await self.record(esc.ESCALATION_ACK, payload):
            self.notify(f"Acknowledged by {self.runtime.actor}.", markup=False)

    @work(group="prompt")
    async def action_status(self) -> None:
        from widgets.status_composer import StatusComposer

        draft = self._status_draft()
        text = await self.app.push_screen_wait(StatusComposer(draft))
        if text and await self.record(esc.STATUS_SENT, {"text": text}):
            await self._announce("status", text)
            self.notify("Status update sent.")

    def _status_draft(self) -> str:
        state = self.runbook_state
        phase = ""
        next_step = ""
        if state is not None and state.current is not None:
            current = state.phases[state.current]
            phase = current.phase.title
            opened = [item for item in current.items if item.status == "open"]
            next_step = opened[0].item.text if opened else ""
        error = self.metrics.get("Error rate") if self.metrics is not None else None
        trend = ""
        if error is not None and error.current is not None:
            trend = error.delta_text() or f"error rate {error.current:.1f}{error.unit}"
        escalation = self.escalation
        return esc.compose_status(
            incident=self.runtime.loaded.config.incident.title,
            severity=escalation.severity if escalation else "",
            elapsed=escalation.elapsed if escalation else 0.0,
            phase=phase,
            health=self._health_summary(),
            error_trend=trend,
            version="",
            next_step=next_step,
        )

    @work(group="prompt")
    async def action_resolve(self) -> None:
        from widgets.confirm import ConfirmScreen

        if self.escalation is not None and self.escalation.resolved:
            self.notify("The incident is already resolved.")
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Resolve the incident?",
                ["Stops the incident clock and the escalation ladder (journaled)."],
                confirm_label="Resolve",
            )
        )
        if confirmed and await self.record(esc.INCIDENT_RESOLVED, {}):
            await self._announce("resolved", "Incident resolved.")

    async def action_set_severity(self, severity: str) -> None:
        await self.record(esc.SEVERITY_CHANGED, {"severity": severity})

    # --- release -----------------------------------------------------------------------

    def _controller(self) -> ReleaseController:
        from tui.screens.release import ReleaseController

        controller = getattr(self.app, "release", None)
        assert isinstance(controller, ReleaseController), "the app owns the release controller"
        return controller

    def _watch_release(self) -> None:
        controller = self._controller()
        controller.subscribe(self._release_changed)
        self.run_worker(controller.refresh_release(), group="release")
        self.set_interval(30.0, self._refresh_release)

    def _release_changed(self) -> None:
        self.release = self._controller().release

    def _refresh_release(self) -> None:
        self.run_worker(self._controller().refresh_release(), group="release")

    def gates(self) -> dict[str, bool]:
        """Whether each endpoint and metric holds now, by name, for rolling deploys."""
        held: dict[str, bool] = {}
        if self.health is not None:
            for endpoint in self.health.endpoints:
                held[endpoint.name] = endpoint.state is ProbeState.UP
        if self.metrics is not None:
            for series in self.metrics.series:
                held[series.name] = series.state in ("ok", "warn")
        return held

    def action_release(self) -> None:
        from tui.screens.release import ReleaseScreen

        self.app.push_screen(
            ReleaseScreen(self.runtime, self.record, self.gates, controller=self._controller())
        )

    def action_rollback(self) -> None:
        from tui.screens.release import rollback_flow

        self.run_worker(rollback_flow(self.app, self._controller(), self.record), group="rollback")

    # --- views -------------------------------------------------------------------------

    def action_projector(self) -> None:
        """Swap the panes for the large projector view, and back."""
        projecting = not self.has_class("-projector")
        self.set_class(projecting, "-projector")
        self.query_one("#panes").display = not projecting
        self.query_one(ProjectorView).display = projecting
        if not projecting:
            self.query_one(RunbookView).focus()

    def action_zoom(self) -> None:
        """Maximize the focused pane, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        panes = [a for a in focused.ancestors if isinstance(a, Pane)] if focused else []
        if panes:
            self.maximize(panes[0], container=False)

    def action_help(self) -> None:
        from widgets.help import HelpScreen

        self.app.push_screen(HelpScreen(self._key_sections()))

    def _key_sections(self) -> list[KeySection]:
        from widgets.help import binding_rows

        return [
            ("Dashboard", binding_rows(self.BINDINGS)),
            ("Runbook", [*binding_rows(RunbookView.BINDINGS), ("1-9", "Jump to phase")]),
            ("Health", [*binding_rows(HealthTable.BINDINGS), ("enter", "Endpoint detail")]),
            ("Error log", binding_rows(LogView.BINDINGS) + binding_rows(FilterBar.BINDINGS)),
            (
                "Anywhere",
                [
                    ("tab / shift+tab", "Next / previous pane"),
                    ("ctrl+p", "Command palette: every action, severity, theme"),
                    ("q / ctrl+q", "Quit"),
                ],
            ),
        ]

    # --- the log filter ----------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.focus()

    def action_close_filter(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.has_focus:
            bar.display = bool(bar.value)
            self.query_one(LogView).focus()

    def on_filter_bar_filter_changed(self, message: FilterBar.FilterChanged) -> None:
        shown = self.log_buffer.set_filter(message.log_filter)
        self.query_one(LogView).replace(shown, message.log_filter)


def _lines_by_log(batch: LogBatch, names: set[str]) -> dict[str, list[str]]:
    """The batch's line texts by `[[log]]` name (a glob's files are tagged `name:file`)."""
    by_log: dict[str, list[str]] = {}
    for line in batch.lines:
        name = line.source if line.source in names else line.source.rsplit(":", 1)[0]
        by_log.setdefault(name, []).append(line.text)
    return by_log


def _ignore(kind: str, payload: dict[str, Any]) -> None:
    """A read-only viewer journals nothing; the driving instance does."""

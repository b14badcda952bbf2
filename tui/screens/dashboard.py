"""The dashboard: five panes fed one way from the services.

One worker per stream assigns a reactive on this screen (or hands a batch to the log
pane); widgets follow through `data_bind`. User keys come back as widget messages and
become journal events; the journal's stream brings the new state back down.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from warroom.services.escalation import ladder as esc
from warroom.services.escalation.ladder import EscalationState
from warroom.services.health.status import HealthSnapshot
from warroom.services.journal.backend import EventJournal
from warroom.services.journal.store import Event
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import Runbook, RunbookState, replay
from warroom.services.runbook.placeholders import CommandValues, command_values
from warroom.services.session import IncidentSession, SessionState
from warroom.services.session.alert_log import RaisedAlert
from warroom.services.session.summary import IncidentSummary
from warroom.tui.runtime import Runtime
from warroom.tui.starting import WIDE_AT
from warroom.widgets.alert_line import AlertLine
from warroom.widgets.escalation_view import EscalationView
from warroom.widgets.filter_bar import FilterBar
from warroom.widgets.health_table import HealthTable
from warroom.widgets.incident_header import IncidentHeader
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.log_view import LogView
from warroom.widgets.metric_panel import MetricPanel
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.pane import Column, Pane, Row, Stack
from warroom.widgets.pinned_error import PinnedError
from warroom.widgets.projector_view import ProjectorView
from warroom.widgets.release_bar import ReleaseBar
from warroom.widgets.runbook_view import RunbookView
from warroom.widgets.verdict_line import VerdictLine
from warroom.widgets.words import say

if TYPE_CHECKING:
    from warroom.services.release.controller import ReleaseController
    from warroom.services.release.git import ReleaseInfo
    from warroom.widgets.health_detail import HealthDetail
    from warroom.widgets.help import KeySection

# Modal screens and the release machinery are imported when first opened, so the first
# frame does not wait for them.

WINDOWS = (300.0, 1800.0, 7200.0)
"""Graph windows cycled by `w`: 5m, 30m, 2h."""


class DashboardScreen(PaintCache, Screen[None]):
    """Runbook, Health, Metrics, Error log and Escalation on one screen."""

    # The tooltip is also the command palette's entry (`warroom.tui.commands`): one list for the
    # key bar, the help screen and the palette.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter log", key_display="/", tooltip="Filter the error log"),
        Binding("A", "alerts", "Alerts", tooltip="Every alert of the incident, newest first"),
        Binding("V", "verdict", "Verdict", show=False, tooltip="Every criterion of the verdict"),
        Binding("a", "ack", "Ack", tooltip="Acknowledge the escalation level reached"),
        Binding("u", "status", "Status update", tooltip="Compose and send a status update"),
        Binding("D", "mark_deploy", "Mark deploy", tooltip="Mark the production deploy now"),
        Binding("w", "window", "Graph window", tooltip="Cycle the graph window: 5m, 30m, 2h"),
        Binding("R", "resolve", "Resolve", tooltip="Resolve the incident (asks first)"),
        Binding("r", "release", "Release", tooltip="Release: git actions and deploy commands"),
        Binding(
            "ctrl+r",
            "rollback",
            "Rollback",
            priority=True,
            tooltip="Roll production back to the previous version",
        ),
        Binding("p", "projector", "Projector", tooltip="Projector mode, and back"),
        Binding("z", "zoom", "Zoom pane", tooltip="Maximize the focused pane, or restore"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Keys of every pane"),
        Binding("t", "timeline", "Timeline", show=False, tooltip="Timeline of every event"),
        Binding("b", "guidance", "Guidance", show=False, tooltip="Best practices, guidelines"),
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

    # --- composition ---------------------------------------------------------------

    def _initial_filter(self) -> str:
        return self.session.initial_filter

    def compose(self) -> ComposeResult:
        config = self.runtime.loaded.config
        header = IncidentHeader().data_bind(summary=DashboardScreen.summary)
        header.lang = self.lang
        yield header
        yield AlertLine(id="alert-line").data_bind(
            alerts=DashboardScreen.alert_log, now=DashboardScreen.now
        )
        yield VerdictLine(id="verdict-line").data_bind(verdict=DashboardScreen.verdict)
        yield ReleaseBar(id="release-bar").data_bind(info=DashboardScreen.release)
        with Row(id="panes"):
            with Column(id="col-a"):
                with Pane(id="runbook-pane", classes="pane") as pane:
                    pane.border_title = self.say("Runbook")
                    yield RunbookView(id="runbook").data_bind(
                        state=DashboardScreen.runbook_state, versions=DashboardScreen.versions
                    )
                with Pane(id="escalation-pane", classes="pane") as pane:
                    pane.border_title = self.say("Escalation")
                    yield EscalationView(id="escalation").data_bind(
                        state=DashboardScreen.escalation
                    )
            # Health and Metrics side by side with the Error log on a wide screen, the
            # log taking the widest column; a pane with nothing configured is one line.
            split = bool(config.metric and config.log)
            with Stack(id="col-b", classes="-split" if split else ""):
                with Column(id="gauges", classes="" if config.metric else "-fixed"):
                    with Pane(id="health-pane", classes="pane") as pane:
                        pane.border_title = self.say("Health")
                        pane.styles.height = self._health_height()
                        if not config.endpoint:
                            yield self._unconfigured(pane, self.say("Health"), "[[endpoint]]")
                        yield HealthTable(id="health").data_bind(snapshot=DashboardScreen.health)
                    with Pane(id="metrics-pane", classes="pane") as pane:
                        pane.border_title = self.say("Metrics")
                        if not config.metric:
                            yield self._unconfigured(pane, self.say("Metrics"), "[[metric]]")
                        graphs = [m.name for m in config.metric if m.graph]
                        yield MetricPanel(graphs, id="metrics").data_bind(
                            snapshot=DashboardScreen.metrics
                        )
                with Pane(id="log-pane", classes="pane") as pane:
                    pane.border_title = self.say("Error log")
                    if not config.log:
                        yield self._unconfigured(pane, self.say("Error log"), "[[log]]")
                    yield PinnedError(id="log-pinned").data_bind(now=DashboardScreen.now)
                    yield FilterBar(self._initial_filter(), id="log-filter")
                    yield LogView(show_source=len(config.log) > 1, id="log")
        headline = [m.name for m in config.metric if m.graph][:6]
        yield ProjectorView(headline, id="projector").data_bind(
            escalation=DashboardScreen.escalation,
            health=DashboardScreen.health,
            metrics=DashboardScreen.metrics,
            runbook=DashboardScreen.runbook_state,
        )
        yield KeyBar(lang=self.lang)

    def _health_height(self) -> int:
        # A row per endpoint and a header, inside the border.
        endpoints = len(self.runtime.loaded.config.endpoint)
        return min(12, endpoints + 3) if endpoints else 1

    def _unconfigured(self, pane: Pane, title: str, section: str) -> Static:
        """The one line of a pane with nothing to show: what to add to the config."""
        pane.add_class("-empty")
        pane.styles.height = 1
        return Static(
            self.say(
                "{title}: none configured. Add a {section} section to the config file.",
                title=title,
                section=section,
            ),
            classes="pane-hint",
            markup=False,
        )

    def on_mount(self) -> None:
        if not all(self.query(kind) for kind in (RunbookView, FilterBar, ProjectorView)):
            return  # the app quit as this screen arrived: its panes were never mounted
        for pane in self.query(".pane.-empty"):
            # Only the hint shows: the pane's own widget stays (and stays out of the way).
            for child in pane.children:
                child.display = child.has_class("pane-hint")
        self.query_one(RunbookView).focus()
        self.query_one(FilterBar).display = False
        self.query_one(ProjectorView).display = False
        self.summary = self.session.state().summary
        self.now = self.runtime.clock.now()
        self.runbook_state = replay(self.runbook, [])
        if self.runtime.live:
            self._run_session()
            if self.runtime.loaded.config.git is not None:
                # After the first frame: reading git is not what the first glance needs.
                self.call_after_refresh(self._watch_release)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE_AT, "-wide")

    # --- the session ------------------------------------------------------------------

    @property
    def journal(self) -> EventJournal | None:
        """The incident's journal, once the session has opened it."""
        return self.session.journal

    @work(group="session", exit_on_error=False)
    async def _run_session(self) -> None:
        view = self.query_one(LogView)
        async for state in self.session.stream():
            self._show(state, view)

    def _show(self, state: SessionState, view: LogView) -> None:
        """Hand one state down to the panes; toast what happened since the last one."""
        if state.events is not self.events:
            self.events = state.events
            self.runbook_state = state.runbook
        self.summary = state.summary
        # After a rollback the bar says so: git still names the hotfix as the release.
        rolled_back = self.session.hotfix_line() if self.session.rollback() else ""
        bar = self.query_one("#release-bar", ReleaseBar)
        if bar.rollback != rolled_back:
            bar.rollback = rolled_back
        self.now = view.now = self.runtime.clock.now()
        self.alert_log = state.alert_log
        self.verdict = state.verdict
        self.escalation = state.escalation
        self.health = state.health
        self.metrics = state.metrics
        if state.new_lines:
            view.append(state.new_lines)
        detail = self._detail
        if state.health is not None and detail is not None and detail.is_attached:
            status = state.health.get(detail.status.name) if detail.status else None
            if status is not None:
                detail.status = status
        self._toast(state)

    def on_log_view_headline(self, message: LogView.Headline) -> None:
        """Pin the newest error above the log; the title says the zone of its times."""
        pinned = self.query_one(PinnedError)
        pinned.line = message.line
        pinned.at = message.at
        # The projector shows the same line, in full, across the room.
        self.query_one(ProjectorView).last_error = message.line.text if message.line else ""
        pane = self.query_one("#log-pane", Pane)
        pane.border_title = f"{self.say('Error log')} · {self.say('times')} {message.zone}"

    def action_alerts(self) -> None:
        """List every alert of the incident, newest first."""
        from warroom.widgets.alert_line import AlertListScreen

        self.app.push_screen(AlertListScreen(self.alert_log, self.now))

    def action_verdict(self) -> None:
        """List every criterion of the deploy verdict, with its numbers."""
        from warroom.widgets.verdict_line import VerdictListScreen

        self.app.push_screen(VerdictListScreen(self.verdict))

    def _toast(self, state: SessionState) -> None:
        config = self.runtime.loaded.config
        # Alerts and escalation crossings are on the alert line (and in its list, `A`):
        # a toast would cover the panes, the Error log first. They ring the bell, once
        # per state; toasts are left to what the user's own actions did.
        if state.alerts and config.ui.bell:
            self.app.bell()
        if state.crossed and config.ui.bell and config.escalation.bell:
            self.app.bell()
        for notice in state.notices:
            timeout = 10 if notice.level == "error" else 5
            self.notify(
                notice.text,
                title=notice.title,
                severity=notice.level,
                timeout=timeout,
                markup=False,
            )

    async def record(self, kind: str, payload: dict[str, Any]) -> bool:
        """Journal a user's change; True once it is committed and shown."""
        return await self.session.record(kind, payload)

    # --- runbook ---------------------------------------------------------------------

    async def on_runbook_view_toggle_requested(self, message: RunbookView.ToggleRequested) -> None:
        waits = self.session.tick_waits(message.item_id) if message.done else ()
        if waits:
            # A gated item is ticked only by an override, with a reason on record.
            self._override_tick(message.item_id, waits)
            return
        if not await self.session.toggle(message.item_id, message.done):
            return
        if message.done and self.session.deploy_marked and self._marks_deploy(message.item_id):
            self.notify(self.say("Deploy marked: baseline set, post-deploy watch started."))

    @work(group="prompt")
    async def _override_tick(self, item_id: str, waits: tuple[str, ...]) -> None:
        from warroom.tui.screens.release import ask_override

        what = f"tick “{self._item_text(item_id)}”"
        leave = self.say("Type why, or esc to leave it open.")
        reason = await ask_override(self.app, what, waits, leave)
        if reason is None:
            self.notify("; ".join(waits), title=self.say("Not ticked: gated"), markup=False)
            return
        if await self.session.override(what, waits, reason):
            await self.session.toggle(item_id, True, overridden=True)

    def _marks_deploy(self, item_id: str) -> bool:
        item = self.runbook.item(item_id)
        return item is not None and item.marks_deploy

    def _item_text(self, item_id: str) -> str:
        item = self.runbook.item(item_id)
        return item.text if item is not None else item_id

    @work(group="prompt")
    async def on_runbook_view_note_requested(self, message: RunbookView.NoteRequested) -> None:
        from warroom.widgets.prompt import PromptScreen

        text = await self.app.push_screen_wait(
            PromptScreen(self.say("Note"), subject=self._item_text(message.item_id))
        )
        if text:
            await self.session.note(message.item_id, text)

    @work(group="prompt")
    async def on_runbook_view_not_applicable_requested(
        self, message: RunbookView.NotApplicableRequested
    ) -> None:
        from warroom.widgets.prompt import PromptScreen

        reason = await self.app.push_screen_wait(
            PromptScreen(self.say("Not applicable: why?"), subject=self._item_text(message.item_id))
        )
        if reason:
            await self.session.not_applicable(message.item_id, reason)

    @work(group="prompt")
    async def on_runbook_view_choice_requested(self, message: RunbookView.ChoiceRequested) -> None:
        from warroom.widgets.choice import ChoiceScreen

        option = await self.app.push_screen_wait(
            ChoiceScreen(self.say("Choose one"), message.options, message.selected)
        )
        if option is not None and option != message.selected:
            await self.session.choose(message.choice_id, option)

    def on_runbook_view_timeline_requested(self, message: RunbookView.TimelineRequested) -> None:
        self.action_timeline()

    def action_timeline(self) -> None:
        from warroom.widgets.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(list(self.events), self.runbook))

    def action_guidance(self) -> None:
        from warroom.widgets.guidance import GuidanceScreen

        self.app.push_screen(GuidanceScreen(self.runbook.guidance))

    # --- health and metrics ------------------------------------------------------------

    def on_health_table_selected(self, message: HealthTable.Selected) -> None:
        from warroom.widgets.health_detail import HealthDetail

        status = self.health.get(message.name) if self.health is not None else None
        if status is not None:
            self._detail = HealthDetail(status)
            self.app.push_screen(self._detail)

    def action_window(self) -> None:
        self._window = (self._window + 1) % len(WINDOWS)
        for graph in self.query("MetricGraph"):
            graph.window = WINDOWS[self._window]  # type: ignore[attr-defined]
        self.query_one(ProjectorView).window = WINDOWS[self._window]

    @work(group="prompt")
    async def action_mark_deploy(self) -> None:
        from warroom.widgets.confirm import ConfirmScreen

        marked = self.session.live_mark()
        if marked is not None:
            again = await self.app.push_screen_wait(
                ConfirmScreen(
                    self.say("The deploy is already marked: mark it again now?"),
                    [
                        self.say(
                            "Marked at {time} UTC by {actor}.",
                            time=f"{marked.at:%H:%M:%S}",
                            actor=marked.actor,
                        ),
                        self.say("Marking again moves the baseline and restarts the watch window."),
                    ],
                    confirm_label=self.say("Mark again"),
                    lang=self.lang,
                )
            )
            if not again:
                return
        if await self.session.mark_deploy(again=marked is not None):
            self.notify(self.say("Deploy marked: baseline set, post-deploy watch started."))

    # --- escalation --------------------------------------------------------------------

    async def action_ack(self) -> None:
        if await self.session.ack():
            self.notify(
                self.say("Acknowledged by {actor}.", actor=self.runtime.actor), markup=False
            )

    @work(group="prompt")
    async def action_status(self) -> None:
        from warroom.widgets.status_composer import StatusComposer

        text = await self.app.push_screen_wait(StatusComposer(self.session.status_draft()))
        if text and await self.session.send_status(text):
            self.notify(self.say("Status update sent."))

    @work(group="prompt")
    async def action_resolve(self) -> None:
        from warroom.widgets.confirm import ConfirmScreen

        if self.escalation is not None and self.escalation.resolved:
            self.notify(self.say("The incident is already resolved."))
            return
        lines = [self.say("Stops the incident clock and the escalation ladder (journaled).")]
        state = self.runbook_state
        open_items = len(state.open_items()) if state is not None else 0
        if open_items:
            lines.append(self.say("{n} runbook items are still open.", n=open_items))
        watch = self.escalation.watch if self.escalation is not None else None
        if watch is not None and not watch.ended:
            left = esc.format_hms(watch.remaining)
            lines.append(
                self.say("The post-deploy watch window is still running ({left} left).", left=left)
            )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                self.say("Resolve the incident?"),
                lines,
                confirm_label=self.say("Resolve"),
                lang=self.lang,
            )
        )
        if confirmed:
            await self.session.resolve()

    async def action_set_severity(self, severity: str) -> None:
        await self.session.set_severity(severity)

    # --- release -----------------------------------------------------------------------

    def _controller(self) -> ReleaseController:
        # Through the app, which stops a running command as it exits; it hands out
        # this session's controller.
        release = getattr(self.app, "release", None)
        return release if release is not None else self.session.release

    def _watch_release(self) -> None:
        controller = self._controller()
        controller.subscribe(self._release_changed)
        self.run_worker(controller.refresh_release(), group="release")
        self.set_interval(30.0, self._refresh_release)

    def watch_release(self, release: ReleaseInfo | None) -> None:
        self.versions = command_values(release)

    def _release_changed(self) -> None:
        self.release = self._controller().release

    def _refresh_release(self) -> None:
        self.run_worker(self._controller().refresh_release(), group="release")

    def action_release(self) -> None:
        from warroom.tui.screens.release import ReleaseScreen

        self.app.push_screen(ReleaseScreen(self._controller()))

    def action_rollback(self) -> None:
        from warroom.tui.screens.release import rollback_flow

        self.run_worker(rollback_flow(self.app, self._controller()), group="rollback")

    # --- views -------------------------------------------------------------------------

    def action_projector(self) -> None:
        """Swap the panes for the large projector view, and back."""
        projecting = not self.has_class("-projector")
        self.set_class(projecting, "-projector")
        self.query_one("#panes").display = not projecting
        self.query_one(ProjectorView).display = projecting
        # The projector draws its own key line (how to leave it); the dashboard's would lie.
        self.query_one(KeyBar).display = not projecting
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
        from warroom.widgets.help import HelpScreen

        self.app.push_screen(HelpScreen(self._key_sections(), self.lang))

    def _key_sections(self) -> list[KeySection]:
        from warroom.widgets.help import binding_rows
        from warroom.widgets.words import state_help

        lang, say = self.lang, self.say
        return [
            (say("Dashboard"), binding_rows(self.BINDINGS, lang)),
            (
                say("Runbook"),
                [*binding_rows(RunbookView.BINDINGS, lang), ("1-9", say("Jump to phase"))],
            ),
            (
                say("Health"),
                [*binding_rows(HealthTable.BINDINGS, lang), ("enter", say("Endpoint detail"))],
            ),
            (
                say("Error log"),
                binding_rows(LogView.BINDINGS, lang) + binding_rows(FilterBar.BINDINGS, lang),
            ),
            (
                say("Anywhere"),
                [
                    ("tab / shift+tab", say("Next / previous pane")),
                    ("ctrl+p", say("Command palette: every action, severity, theme")),
                    ("q / ctrl+q", say("Quit")),
                ],
            ),
            (say("States"), state_help(lang)),
        ]

    # --- the log filter ----------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.focus()

    def action_close_filter(self) -> None:
        if self.has_class("-projector"):  # escape leaves projector mode, as its keys say
            self.action_projector()
            return
        bar = self.query_one(FilterBar)
        if bar.has_focus:
            bar.display = bool(bar.value)
            self.query_one(LogView).focus()

    def on_filter_bar_filter_changed(self, message: FilterBar.FilterChanged) -> None:
        shown = self.session.set_filter(message.log_filter)
        self.query_one(LogView).replace(shown, message.log_filter)

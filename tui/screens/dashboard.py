"""The dashboard: five panes fed one way from the services.

One worker per stream assigns a reactive on this screen (or hands a batch to the log
pane); widgets follow through `data_bind`. User keys come back as widget messages and
become journal events; the journal's stream brings the new state back down.

This module composes the screen and runs the session's worker; the handlers of each
pane are a class of their own (dashboard_runbook.py, dashboard_health.py,
dashboard_escalation.py, dashboard_release.py, dashboard_views.py), all reading the
shown state and the session from `DashboardBase` (dashboard_base.py). Modal screens
and the release machinery are imported when first opened, so the first frame does
not wait for them.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.services.logs.lines import LogLine
from warroom.services.runbook.model import replay
from warroom.services.session import SessionState
from warroom.tui.screens.dashboard_escalation import EscalationPane
from warroom.tui.screens.dashboard_health import HealthPane
from warroom.tui.screens.dashboard_release import ReleasePane
from warroom.tui.screens.dashboard_runbook import RunbookPane
from warroom.tui.screens.dashboard_views import ViewKeys
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


class DashboardScreen(PaintCache, RunbookPane, HealthPane, EscalationPane, ReleasePane, ViewKeys):
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

    # --- composition ---------------------------------------------------------------

    def _initial_filter(self) -> str:
        return self.session.initial_filter

    def compose(self) -> ComposeResult:
        config = self.runtime.loaded.config
        header = IncidentHeader().data_bind(summary=DashboardScreen.summary)
        header.lang = self.lang
        yield header
        yield AlertLine(id="alert-line", lang=self.lang).data_bind(
            alerts=DashboardScreen.alert_log, now=DashboardScreen.now
        )
        yield VerdictLine(id="verdict-line", lang=self.lang).data_bind(
            verdict=DashboardScreen.verdict
        )
        bar = ReleaseBar(id="release-bar").data_bind(info=DashboardScreen.release)
        bar.set_reactive(ReleaseBar.lang, self.lang)
        yield bar
        with Row(id="panes"):
            with Column(id="col-a"):
                with Pane(id="runbook-pane", classes="pane") as pane:
                    pane.border_title = self.say("Runbook")
                    yield RunbookView(id="runbook").data_bind(
                        state=DashboardScreen.runbook_state, versions=DashboardScreen.versions
                    )
                with Pane(id="escalation-pane", classes="pane") as pane:
                    pane.border_title = self.say("Escalation")
                    yield EscalationView(id="escalation", lang=self.lang).data_bind(
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
                        table = HealthTable(id="health")
                        table.set_reactive(HealthTable.lang, self.lang)
                        yield table.data_bind(snapshot=DashboardScreen.health)
                    with Pane(id="metrics-pane", classes="pane") as pane:
                        pane.border_title = self.say("Metrics")
                        if not config.metric:
                            yield self._unconfigured(pane, self.say("Metrics"), "[[metric]]")
                        graphs = [m.name for m in config.metric if m.graph]
                        yield MetricPanel(graphs, lang=self.lang, id="metrics").data_bind(
                            snapshot=DashboardScreen.metrics
                        )
                with Pane(id="log-pane", classes="pane") as pane:
                    pane.border_title = self.say("Error log")
                    if not config.log:
                        yield self._unconfigured(pane, self.say("Error log"), "[[log]]")
                    pinned = PinnedError(id="log-pinned", lang=self.lang)
                    yield pinned.data_bind(now=DashboardScreen.now)
                    yield FilterBar(self._initial_filter(), id="log-filter")
                    yield LogView(show_source=len(config.log) > 1, id="log")
        headline = [m.name for m in config.metric if m.graph][:6]
        yield ProjectorView(headline, lang=self.lang, id="projector").data_bind(
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
        self.summary = self.session.summary
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
        rolled_back = state.summary.rolled_back
        bar = self._release_bar
        if bar.rollback != rolled_back:
            bar.rollback = rolled_back
        self.now = view.now = self.runtime.clock.now()
        self.alert_log = state.alert_log
        self.verdict = state.verdict
        self.escalation = state.escalation
        self.health = state.health
        self.metrics = state.metrics
        if state.new_lines:
            # Pinned in the frame that shows the lines: the view's Headline message
            # would come a frame later, and the second frame would cost as much again.
            view.append(state.new_lines, announce=False)
            self._pin(*view.headline)
        detail = self._detail
        if state.health is not None and detail is not None and detail.is_attached:
            status = state.health.get(detail.status.name) if detail.status else None
            if status is not None:
                detail.status = status
        self._toast(state)

    def on_log_view_headline(self, message: LogView.Headline) -> None:
        """Pin the newest error above the log; the title says the zone of its times."""
        message.stop()
        self._pin(message.line, message.at, message.zone)

    @cached_property
    def _release_bar(self) -> ReleaseBar:
        return self.query_one("#release-bar", ReleaseBar)

    @cached_property
    def _pin_targets(self) -> tuple[PinnedError, ProjectorView, Pane]:
        """Where a new headline goes (looked up once: it comes with most batches)."""
        return (
            self.query_one(PinnedError),
            self.query_one(ProjectorView),
            self.query_one("#log-pane", Pane),
        )

    def _pin(self, line: LogLine | None, at: datetime | None, zone: str) -> None:
        pinned, projector, pane = self._pin_targets
        pinned.line = line
        pinned.at = at
        # The projector shows the same line, in full, across the room.
        projector.last_error = line.text if line else ""
        title = f"{self.say('Error log')} · {self.say('times')} {zone}"
        if pane.border_title != title:  # setting it repaints the pane, border and all
            pane.border_title = title

    def action_alerts(self) -> None:
        """List every alert of the incident, newest first."""
        from warroom.widgets.alert_line import AlertListScreen

        self.app.push_screen(AlertListScreen(self.alert_log, self.now, self.lang))

    def action_verdict(self) -> None:
        """List every criterion of the deploy verdict, with its numbers."""
        from warroom.widgets.verdict_line import VerdictListScreen

        self.app.push_screen(VerdictListScreen(self.verdict, self.lang))

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

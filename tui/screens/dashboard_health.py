"""The dashboard's Health and Metrics panes: endpoint detail, graph window, deploy mark.

Marking the deploy sets the metrics' baseline and starts the post-deploy watch; a
second mark moves them, so it asks first.
"""

from __future__ import annotations

from textual import work

from warroom.tui.screens.dashboard_base import DashboardBase
from warroom.widgets.health_table import HealthTable
from warroom.widgets.projector_view import ProjectorView

WINDOWS = (300.0, 1800.0, 7200.0)
"""Graph windows cycled by `w`: 5m, 30m, 2h."""


class HealthPane(DashboardBase):
    """The dashboard's handlers for the Health and Metrics panes."""

    def on_health_table_selected(self, message: HealthTable.Selected) -> None:
        from warroom.widgets.health_detail import HealthDetail

        status = self.health.get(message.name) if self.health is not None else None
        if status is not None:
            self._detail = HealthDetail(status, self.lang)
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

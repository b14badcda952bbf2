"""The dashboard's views: projector mode, a zoomed pane, the help screen, the log filter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from warroom.tui.screens.dashboard_base import DashboardBase
from warroom.widgets.filter_bar import FilterBar
from warroom.widgets.health_table import HealthTable
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.log_view import LogView
from warroom.widgets.pane import Pane
from warroom.widgets.projector_view import ProjectorView
from warroom.widgets.runbook_view import RunbookView

if TYPE_CHECKING:
    from warroom.widgets.help import KeySection


class ViewKeys(DashboardBase):
    """The dashboard's handlers for the keys that change what it shows, not the incident."""

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

"""Command palette entries: every dashboard action, with a description."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.screens.dashboard import DashboardScreen

from services.events import SEVERITIES


class DashboardCommands(Provider):
    """Incident actions (severity, resolve, status, deploy mark) for ctrl+p."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        from tui.screens.dashboard import DashboardScreen

        if not isinstance(screen, DashboardScreen):
            return []
        dash: DashboardScreen = screen
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                f"Severity: {sev}",
                f"Change the incident's severity to {sev} (journaled)",
                partial(dash.run_action, f"set_severity('{sev}')"),
            )
            for sev in SEVERITIES
        ]
        commands += [
            ("Acknowledge escalation", "Record who took the current level (a)", dash.action_ack),
            ("Send status update", "Compose and send a status update (u)", dash.action_status),
            (
                "Mark deploy",
                "Mark the production deploy now: baseline and watch (D)",
                dash.action_mark_deploy,
            ),
            (
                "Resolve incident",
                "Stop the incident clock, after confirmation (R)",
                dash.action_resolve,
            ),
            ("Timeline", "Every journal event, newest first (t)", dash.action_timeline),
            ("Guidance", "Best practices and escalation guidelines (b)", dash.action_guidance),
            ("Filter log", "Edit the error log filter (/)", dash.action_filter),
            ("Graph window", "Cycle the metrics window 5m / 30m / 2h (w)", dash.action_window),
            (
                "Release",
                "Git actions and deploy commands, confirmed first (r)",
                dash.action_release,
            ),
            (
                "Roll back",
                "Roll production back to the previous version (ctrl+r)",
                dash.action_rollback,
            ),
            (
                "Projector mode",
                "Clock, escalation and headline figures large (p)",
                dash.action_projector,
            ),
            ("Zoom pane", "Maximize the focused pane, or restore (z)", dash.action_zoom),
            ("Keys", "Every key of every pane (?)", dash.action_help),
        ]
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)

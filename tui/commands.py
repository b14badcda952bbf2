"""Command palette entries: every dashboard binding (its tooltip), and the severities."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from warroom.tui.screens.dashboard import DashboardScreen

from warroom.services.events import SEVERITIES


class DashboardCommands(Provider):
    """Incident actions (severity, resolve, status, deploy mark) for ctrl+p."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        from warroom.tui.screens.dashboard import DashboardScreen

        if not isinstance(screen, DashboardScreen):
            return []
        dash: DashboardScreen = screen
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                dash.say("Severity: {sev}", sev=sev),
                dash.say("Change the incident's severity to {sev} (journaled)", sev=sev),
                partial(dash.run_action, f"set_severity('{sev}')"),
            )
            for sev in SEVERITIES
        ]
        for binding in dash.BINDINGS:
            if isinstance(binding, Binding) and binding.tooltip:
                key = binding.key_display or binding.key
                commands.append(
                    (
                        dash.say(binding.tooltip),
                        dash.say("key: {key}", key=key),
                        partial(dash.run_action, binding.action),
                    )
                )
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

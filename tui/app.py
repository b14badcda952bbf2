"""The warroom application: composes the dashboard, registers themes, starts workers.

`build_app` is the one factory: the CLI, the demo and the tests all build the app
through it, so what the tests drive is what users run.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.theme import Theme

from services.clock import Clock, SystemClock
from services.config import LoadedConfig
from themes import DEFAULT_THEME, THEMES
from tui.commands import DashboardCommands
from tui.runtime import Runtime
from tui.screens.dashboard import DashboardScreen
from tui.settings import load_theme, save_theme, settings_path

if TYPE_CHECKING:
    from tui.screens.release import ReleaseController


class WarroomApp(App[int]):
    """The dashboard application."""

    TITLE = "warroom"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, runtime: Runtime, theme: str | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self._release: ReleaseController | None = None
        self._settings = settings_path()
        remembered = load_theme(self._settings) if runtime.live else None
        # --theme, then this user's last choice, then the incident's config.
        self._theme_name = theme or remembered or runtime.loaded.config.ui.theme or DEFAULT_THEME

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        known = self._theme_name in self.available_themes
        self.theme = self._theme_name if known else DEFAULT_THEME
        if self.runtime.live and self.runtime.demo_root is None:
            # The demo leaves the user's files alone; a real incident remembers the choice.
            self.theme_changed_signal.subscribe(self, self._remember_theme)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # A dropped SSH session (SIGHUP) or a kill must still restore the terminal
            # and close the journal; every acknowledged tick is already on disk.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.exit)
        self.push_screen(DashboardScreen(self.runtime))

    def _remember_theme(self, theme: Theme) -> None:
        save_theme(self._settings, theme.name)

    @property
    def release(self) -> ReleaseController:
        """Owns deploy commands and git actions, so they outlive the Release screen.

        Made on first use: the first frame does not wait for the release machinery.
        """
        if self._release is None:
            from tui.screens import release

            self._release = release.ReleaseController(self.runtime)
        return self._release

    async def on_unmount(self) -> None:
        # A command still running gets SIGINT and a moment to be journaled.
        if self._release is not None:
            await self._release.shutdown(timeout=2.0)

    async def action_quit(self) -> None:
        self.exit(0)


def build_app(
    loaded: LoadedConfig,
    *,
    theme: str | None = None,
    read_only: bool = False,
    clock: Clock | None = None,
    live: bool = True,
    demo_root: Path | None = None,
) -> WarroomApp:
    """Build the dashboard for a config; `live=False` starts no worker (snapshots)."""
    runtime = Runtime(
        loaded=loaded,
        clock=clock or SystemClock(),
        read_only=read_only,
        live=live,
        demo_root=demo_root,
    )
    return WarroomApp(runtime, theme=theme)

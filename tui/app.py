"""The warroom application: registers themes, shows the dashboard, starts workers.

`build_app` makes the app for a loaded config (the tests drive it); `start_app` makes
the one the CLI and the demo run, which draws the five pane frames first and loads the
services behind them in a thread (see `warroom.tui.starting`). Both run the same screens.

Only Textual and the themes are imported here at module level: the services and the
dashboard are imported once the first frame is on screen.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.theme import Theme

from warroom.themes import DEFAULT_THEME, THEMES
from warroom.tui.settings import load_theme, save_theme, settings_path
from warroom.tui.starting import StartScreen
from warroom.widgets.scroll_thumb import use_whole_cell_thumbs

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.driver import Driver

    from warroom.services.clock import Clock
    from warroom.services.config import LoadedConfig
    from warroom.services.release.controller import ReleaseController
    from warroom.services.session import IncidentSession
    from warroom.tui.runtime import Runtime

PREVIEW_WAIT = 0.5
"""Most seconds the dashboard's loading waits for the log preview to be drawn (a log
that is empty yields nothing to wait for; a big one is read from its end in far less)."""

Starter = Callable[[], "Runtime"]
"""Loads the config and builds the runtime; called in a thread, may raise ConfigError."""


def _dashboard_commands() -> type[Provider]:
    from warroom.tui.commands import DashboardCommands

    return DashboardCommands


class WarroomApp(App[int]):
    """The dashboard application."""

    TITLE = "warroom"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {_dashboard_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        runtime: Runtime | None = None,
        theme: str | None = None,
        *,
        starter: Starter | None = None,
        config_theme: str | None = None,
    ) -> None:
        super().__init__()
        if (runtime is None) == (starter is None):
            raise ValueError("give either a runtime or a starter")
        self._runtime = runtime
        self._starter = starter
        self._quitting = False
        self.start_error: BaseException | None = None
        """Why the starter failed (the app exits with 2); the caller reports it."""
        self._release: ReleaseController | None = None
        self._session: IncidentSession | None = None
        self._settings = settings_path()
        self._stock_thumbs: Callable[[], None] = lambda: None
        """Puts Textual's own scrollbar thumbs back (see `on_mount`)."""
        live = runtime is None or runtime.live
        self._remembered = load_theme(self._settings) if live else None
        self._theme_arg = theme
        # --theme, then this user's last choice, then the incident's config.
        configured = runtime.loaded.config.ui.theme if runtime is not None else config_theme
        self._theme_name = theme or self._remembered or configured or DEFAULT_THEME

    def get_driver_class(self) -> type[Driver]:
        # The quiet driver copies Textual's input loop and reads its parser's state: only
        # on the Textual it was written for (warroom.widgets.internals decides); else the
        # stock one.
        from warroom.widgets.internals import QuietDriver, enabled

        driver = super().get_driver_class()
        if enabled("quiet_driver") and driver.__name__ == "LinuxDriver":
            return QuietDriver
        return driver

    @property
    def runtime(self) -> Runtime:
        """The config, clock and journal of this dashboard (set once it has started)."""
        if self._runtime is None:
            raise RuntimeError("the dashboard has not started yet")
        return self._runtime

    def on_mount(self) -> None:
        # Graph bars are the only block glyphs on screen: scrollbars draw whole cells.
        self._stock_thumbs = use_whole_cell_thumbs()
        for theme in THEMES:
            self.register_theme(theme)
        self._apply_theme(self._theme_name)
        if self._runtime is not None:
            self._show_dashboard(self._runtime)
        else:
            start = StartScreen()
            self.push_screen(start)
            # After the first frame: the loading thread would only slow it down.
            start.call_after_refresh(self._start, start)

    def _apply_theme(self, name: str) -> None:
        self.theme = name if name in self.available_themes else DEFAULT_THEME

    def _start(self, start: StartScreen) -> None:
        # A daemon thread, not a Textual thread worker: the event loop's shutdown waits
        # for its executor's threads, so a quit (or SIGHUP) during loading would wait for
        # the loading to finish; a daemon thread is simply left behind.
        threading.Thread(
            target=self._load, args=(start,), name="warroom-start", daemon=True
        ).start()

    def _load(self, start: StartScreen) -> None:
        assert self._starter is not None
        try:
            runtime = self._starter()
            if self._quitting:
                return  # quit (or a signal) while loading: the process is ending
            self._from_thread(start.preview_logs, runtime)
            start.previewed.wait(PREVIEW_WAIT)
            if self._quitting:
                return
            import warroom.tui.screens.dashboard  # noqa: F401  (the heavy import, off the UI loop)
        except Exception as exc:  # a bad config, an unwritable state dir: reported on exit
            if not self._quitting:
                self._from_thread(self._failed, exc)
            return
        if not self._quitting:
            self._from_thread(self._started, runtime)

    def _from_thread(self, callback: Callable[..., object], *args: object) -> None:
        # The app may have ended meanwhile (quit while loading): then there is no one to tell.
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(callback, *args)

    def _failed(self, exc: BaseException) -> None:
        self.start_error = exc
        self.exit(2, return_code=2)

    def _started(self, runtime: Runtime) -> None:
        if self._quitting:
            return  # quit while loading: nothing more to show
        # What loading imported will live as long as the app: keep it out of the collector.
        gc.freeze()
        self._runtime = runtime
        configured = runtime.loaded.config.ui.theme
        if configured and not (self._theme_arg or self._remembered):
            self._apply_theme(configured)
        try:
            self._show_dashboard(runtime)
        except Exception as exc:  # e.g. a runbook file that is missing: reported on exit
            self._failed(exc)

    def _show_dashboard(self, runtime: Runtime) -> None:
        from warroom.tui.screens.dashboard import DashboardScreen

        dashboard = DashboardScreen(runtime)
        self._session = dashboard.session
        if runtime.live:
            # Should the app not end in time after a signal (a busy machine, a journal
            # still opening), the journal is still closed before the process exits.
            from warroom.tui.stopping import STOPPER

            STOPPER.add_cleanup(runtime.close)
        if runtime.live and runtime.demo_root is None:
            # The demo leaves the user's files alone; a real incident remembers the choice.
            # Subscribed after the theme set above is announced, so that one is not saved.
            self.call_next(self.theme_changed_signal.subscribe, self, self._remember_theme)
        if isinstance(self.screen, StartScreen):
            self.switch_screen(dashboard)
        else:
            self.push_screen(dashboard)

    def action_command_palette(self) -> None:
        # Nothing to command until the dashboard is up.
        if not isinstance(self.screen, StartScreen):
            super().action_command_palette()

    def exit(
        self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None
    ) -> None:
        self._quitting = True
        super().exit(result, return_code, message)

    def _remember_theme(self, theme: Theme) -> None:
        save_theme(self._settings, theme.name)

    @property
    def release(self) -> ReleaseController:
        """Owns deploy commands and git actions, so they outlive the Release screen.

        Made on first use: the first frame does not wait for the release machinery.
        """
        if self._release is None:
            # The dashboard's incident session owns it; without one, a session of its own.
            session = self._session or self.runtime.session()
            self._release = session.release
            # Should the app not end in time after a signal, the process exits at once
            # and only the stopper's cleanups run: the command's group must not outlive it.
            from warroom.tui.stopping import STOPPER

            STOPPER.add_cleanup(self._release.runner.kill_now)
        return self._release

    async def on_unmount(self) -> None:
        self._stock_thumbs()
        # A command still running: its whole process group is stopped and its end journaled.
        if self._release is not None:
            await self._release.shutdown(timeout=2.0)
        if self._runtime is not None:
            # Last: the journal is checkpointed and its WAL removed, as on any clean close.
            self._runtime.close()

    async def action_quit(self) -> None:
        # A deploy is not stopped by a stray `q`: ask first; on yes its whole process
        # group is stopped and its end journaled before the app exits.
        release = self._release
        label = release.running_label if release is not None else None
        if release is None or label is None:
            self.exit(0)
            return
        if not any(w.group == "quit" and not w.is_finished for w in self.workers):
            self.run_worker(self._quit_while_running(release, label), group="quit")

    async def _quit_while_running(self, release: ReleaseController, label: str) -> None:
        from warroom.tui.screens.release import ask
        from warroom.widgets.confirm import ConfirmScreen

        lines = [
            "y: stop it and everything it started, journal that, then quit.",
            "n: keep it running.",
        ]
        dialog = ConfirmScreen(f"{label} is running: stop it and quit?", lines, "Stop and quit")
        if not await ask(self, dialog):
            self.notify(f"{label} keeps running.", markup=False)
            return
        self.notify(f"Stopping {label}…", markup=False)
        await release.stop()
        self.exit(0)


def make_runtime(
    loaded: LoadedConfig,
    *,
    read_only: bool = False,
    clock: Clock | None = None,
    live: bool = True,
    demo_root: Path | None = None,
) -> Runtime:
    """The runtime for a loaded config (imports the services: call it off the UI loop)."""
    from warroom.services.clock import SystemClock
    from warroom.tui.runtime import Runtime

    return Runtime(
        loaded=loaded,
        clock=clock or SystemClock(),
        read_only=read_only,
        live=live,
        demo_root=demo_root,
    )


def build_app(
    loaded: LoadedConfig,
    *,
    theme: str | None = None,
    read_only: bool = False,
    clock: Clock | None = None,
    live: bool = True,
    demo_root: Path | None = None,
) -> WarroomApp:
    """The dashboard for a loaded config; `live=False` starts no worker (snapshots)."""
    runtime = make_runtime(loaded, read_only=read_only, clock=clock, live=live, demo_root=demo_root)
    return WarroomApp(runtime, theme=theme)


def start_app(
    starter: Starter, *, theme: str | None = None, config_theme: str | None = None
) -> WarroomApp:
    """The dashboard as the CLI runs it: the pane frames at once, the services behind.

    `starter` runs in a thread; if it raises, the app exits with 2 and keeps the
    exception in `start_error` for the caller to report once the terminal is restored.
    `config_theme` is the config's `ui.theme` when already known, for the first frame.
    """
    return WarroomApp(theme=theme, starter=starter, config_theme=config_theme)

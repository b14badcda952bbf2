"""The first frame: the dashboard's five panes, drawn before the services are loaded.

The services, the widgets and the simulated production service take about a second
to import and start; the pane frames take a fraction of that. So the app shows this
screen at once and swaps in the real dashboard when it is ready. When the config
names logs, the Error log pane shows their last matching lines as soon as the config
is known (the first thing an engineer opening a big log wants), before the rest of
the dashboard has loaded.

Only Textual is imported at module level; the log modules are imported when needed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from warroom.widgets.key_bar import KeyBar
from warroom.widgets.pane import Pane
from warroom.widgets.words import say

if TYPE_CHECKING:
    from warroom.tui.runtime import Runtime

WIDE_AT = 160
"""Columns from which the dashboard uses its wide layout (see app.tcss)."""

STARTING = "starting…"

_TITLES = {
    "runbook-pane": "Runbook",
    "escalation-pane": "Escalation",
    "health-pane": "Health",
    "metrics-pane": "Metrics",
    "log-pane": "Error log",
}
"""Each pane's title, by id; the dashboard's own panes have the same."""


class StartScreen(Screen[None]):
    """The dashboard's layout with a placeholder in each pane, until the services load."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    DEFAULT_CSS = """
    StartScreen #start-header {
        height: 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    StartScreen .placeholder {
        color: $text-muted;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.previewed = threading.Event()
        """Set once the log preview is on screen (or there is none): the loading thread
        waits for it, so the lines are not held up by the dashboard's imports."""

    def compose(self) -> ComposeResult:
        yield Static(" warroom  " + STARTING, id="start-header", markup=False)
        with Horizontal(id="panes"):
            with Vertical(id="col-a"):
                yield self._pane("Runbook", "runbook-pane")
                yield self._pane("Escalation", "escalation-pane")
            with Container(id="col-b"):
                yield self._pane("Health", "health-pane")
                yield self._pane("Metrics", "metrics-pane")
                yield self._pane("Error log", "log-pane")
        yield KeyBar()

    @staticmethod
    def _pane(title: str, pane_id: str) -> Pane:
        pane = Pane(Static(STARTING, classes="placeholder", markup=False), id=pane_id)
        pane.add_class("pane")
        pane.border_title = title
        return pane

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE_AT, "-wide")

    def speak(self, lang: str) -> None:
        """Title the panes and keys in `lang`, once the config has said which it is."""
        for pane in self.query(Pane):
            if pane.id in _TITLES:
                pane.border_title = say(_TITLES[pane.id], lang)
        for placeholder in self.query(".placeholder").results(Static):
            placeholder.update(say(STARTING, lang))
        self.query_one("#start-header", Static).update(" warroom  " + say(STARTING, lang))
        self.query_one(KeyBar).lang = lang

    def preview_logs(self, runtime: Runtime) -> None:
        """Show the configured logs' last matching lines while the dashboard loads."""
        # Loaded with the session, which the runtime has imported: no cost here.
        from warroom.services.runbook.loader import choose_language

        self.speak(choose_language(runtime.loaded.config.runbook.lang))
        if runtime.loaded.config.log:
            self._preview_logs(runtime)
        else:
            self.previewed.set()

    @work(group="preview", exit_on_error=False)
    async def _preview_logs(self, runtime: Runtime) -> None:
        try:
            await self._follow(runtime)
        finally:
            self.previewed.set()

    async def _follow(self, runtime: Runtime) -> None:
        from warroom.services.logs.buffer import LogBuffer
        from warroom.services.logs.filter import LogFilter
        from warroom.services.logs.follow import LogFollower
        from warroom.widgets.log_view import LogView

        config = runtime.loaded.config
        log_filter = LogFilter.parse(config.log[0].filter)
        buffer = LogBuffer(log_filter=log_filter)
        follower = LogFollower(
            config.log, runtime.loaded.base_dir, runtime.clock, log_filter=log_filter
        )
        pane = self.query_one("#log-pane", Pane)
        view = LogView(show_source=len(config.log) > 1, id="log")
        view.set_filter(log_filter)
        await pane.remove_children()
        await pane.mount(view)
        async for batch in follower.stream():
            shown = buffer.append(batch)
            if shown:
                view.append(shown)
            self.call_after_refresh(self.previewed.set)

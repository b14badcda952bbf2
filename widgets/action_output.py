"""The output pane of a running action: a status line and its streamed output."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Log, Static

from warroom.services.release.actions import ActionRun
from warroom.widgets.words import EN, say


def status_line(run: ActionRun, lang: str = EN) -> str:
    """`deploy  running 12.3s` / `deploy  failed (exit 3) 4.0s` / the refusal."""
    if run.error is not None:
        return f"{run.name}  {say('refused: {reason}', lang).format(reason=run.error)}"
    state = say(run.state, lang)
    if run.exit_code is not None and run.state != "running":
        state += f" (exit {run.exit_code})"
    return f"{run.name}  {state}  {run.duration:.1f}s"


class ActionOutput(Widget, can_focus=True):
    """Shows an action's output as it streams; ctrl+c asks for the action to be cancelled.

    The screen assigns every `ActionRun` snapshot to `run`; the pane appends its
    `new_lines` and starts afresh when a new run begins. The pane only posts
    `CancelRequested`: it never touches the process.
    """

    DEFAULT_CSS = """
    ActionOutput {
        height: 1fr;
        border: round $accent;
    }
    ActionOutput #action-status {
        height: auto;
        text-style: bold;
        padding: 0 1;
    }
    ActionOutput #action-command {
        height: auto;
        color: $text-muted;
        padding: 0 1;
    }
    ActionOutput Log {
        height: 1fr;
    }
    ActionOutput.-succeeded { border: round $success; }
    ActionOutput.-succeeded #action-status { color: $success; }
    ActionOutput.-failed { border: round $error; }
    ActionOutput.-failed #action-status { color: $error; }
    ActionOutput.-cancelled { border: round $warning; }
    ActionOutput.-cancelled #action-status { color: $warning; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "cancel_action", "Cancel action", priority=True)
    ]

    class CancelRequested(Message):
        """The user asked to stop the running action (SIGINT, then SIGTERM)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    run: reactive[ActionRun | None] = reactive(None, always_update=True)
    """The latest snapshot of the action shown (each one carries its new lines)."""

    def __init__(
        self,
        *,
        max_lines: int = 5000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        lang: str = EN,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._max_lines = max_lines
        self.lang = lang
        """The language of the pane's words (the runbook's); the output stays as written."""
        self._shown: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(say("no action has run", self.lang), id="action-status", markup=False)
        yield Static("", id="action-command", markup=False)
        yield Log(max_lines=self._max_lines, auto_scroll=True)

    def on_mount(self) -> None:
        if self.run is not None:
            self._show(self.run)

    def watch_run(self, run: ActionRun | None) -> None:
        if self.is_mounted and run is not None:
            self._show(run)

    def _show(self, run: ActionRun) -> None:
        log = self.query_one(Log)
        key = (run.run_id, run.seq)
        if self._shown is not None and key <= self._shown:
            return  # the same snapshot again: its lines are already shown
        if self._shown is None or self._shown[0] != run.run_id:
            log.clear()
            # A pane attached late starts from the tail, then follows new lines.
            lines = run.tail if run.seq > 1 else run.new_lines
        else:
            lines = run.new_lines
        self._shown = key
        if lines:
            log.write_lines(lines)
        for state in ("running", "succeeded", "failed", "cancelled"):
            self.set_class(run.state == state, f"-{state}")
        self.query_one("#action-status", Static).update(status_line(run, self.lang))
        self.query_one("#action-command", Static).update(run.line)

    def action_cancel_action(self) -> None:
        run = self.run
        if run is not None and run.state == "running":
            self.post_message(self.CancelRequested(run.name))

"""A one-line text prompt for a note or a not-applicable reason.

The runbook asks "why is this not applicable?" and "what is the note?" from the keyboard
without leaving the dashboard; the screen dismisses with the text, or None when the
user cancels (escape) so nothing is written.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line of text; dismisses with it (stripped), or None on escape."""

    DEFAULT_CSS = """
    PromptScreen {
        align: center middle;
    }
    PromptScreen > Vertical {
        width: 90%;
        max-width: 80;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    PromptScreen .prompt-title {
        text-style: bold;
    }
    PromptScreen .prompt-subject {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self, title: str, subject: str = "", placeholder: str = "", required: bool = True
    ) -> None:
        super().__init__()
        self._title = title
        self._subject = subject
        self._placeholder = placeholder
        self._required = required

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="prompt-title", markup=False)
            if self._subject:
                yield Static(self._subject, classes="prompt-subject", markup=False)
            yield Input(placeholder=self._placeholder)

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self._required and not text:
            self.app.bell()
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without an answer: nothing is written."""
        self.dismiss(None)

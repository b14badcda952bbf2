"""The status-update composer: a pre-filled draft the user edits, then sends or drops.

The screen composes the draft from live state (`warroom.services.escalation.ladder.compose_status`)
and pushes this modal; the result is the text to send (journal and webhooks), or None.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from warroom.services.sanitize import clean_block
from warroom.widgets.words import EN, say


class StatusComposer(ModalScreen[str | None]):
    """Edit a status update; ctrl+s sends it, escape cancels."""

    DEFAULT_CSS = """
    StatusComposer {
        align: center middle;
    }
    StatusComposer > Vertical {
        width: 80%;
        max-width: 100;
        min-width: 30;
        height: auto;
        max-height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    StatusComposer #title { text-style: bold; }
    StatusComposer TextArea { height: 10; }
    StatusComposer #empty { display: none; color: $text-error; }
    StatusComposer.-empty #empty { display: block; }
    StatusComposer Horizontal { height: auto; align-horizontal: right; }
    StatusComposer Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, draft: str, title: str | None = None, lang: str = EN) -> None:
        super().__init__()
        self._draft = draft
        self._lang = lang
        """The language of the dialog's own words (the runbook's); the draft is as written."""
        self._heading = title or say("Status update", lang)

    def compose(self) -> ComposeResult:
        with Vertical():
            lang = self._lang
            keys = say("(ctrl+s send · esc cancel)", lang)
            yield Static(f"{self._heading}  {keys}", id="title", markup=False)
            yield TextArea(self._draft, id="text", soft_wrap=True, show_line_numbers=False)
            empty = say("Nothing to send: the update is empty.", lang)
            yield Static(empty, id="empty", markup=False)
            with Horizontal():
                yield Button(say("Cancel", lang), id="cancel")
                yield Button(say("Send", lang), id="send", variant="primary")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        """The update as it would be sent: controls made visible, edges trimmed."""
        return clean_block(self.query_one(TextArea).text).strip()

    def action_send(self) -> None:
        """Send the edited text; an empty update is refused with a note."""
        text = self.text
        if not text:
            self.add_class("-empty")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()

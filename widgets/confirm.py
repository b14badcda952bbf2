"""Confirmation dialogs: the exact operations are shown before anything runs.

`ConfirmScreen` answers True (y / enter / Confirm) or False (n / escape / Cancel).
`TypedConfirmScreen` guards the rollback: it answers True only once the previous
version is typed exactly. Operations are plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 90%;
    max-width: 110;
    height: auto;
    max-height: 90%;
    border: thick $accent;
    background: $surface;
    padding: 1 2;
}}
{name} .confirm-title {{
    text-style: bold;
    margin-bottom: 1;
}}
{name} .confirm-lines {{
    height: auto;
    max-height: 20;
    overflow-y: auto;
    background: $panel;
    padding: 0 1;
    margin-bottom: 1;
}}
{name} .confirm-buttons {{
    height: auto;
    align-horizontal: right;
}}
{name} Button {{
    margin-left: 2;
}}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Shows the operations about to run; dismisses with True to run them."""

    DEFAULT_CSS = _CSS.format(name="ConfirmScreen")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm"),
        Binding("enter", "confirm", "Confirm", show=False),
        Binding("n", "cancel", "Cancel"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, title: str, lines: Sequence[str], confirm_label: str = "Confirm") -> None:
        super().__init__()
        self._title = title
        self._lines = tuple(lines)
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="confirm-title", markup=False)
            yield Static("\n".join(self._lines), classes="confirm-lines", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self._confirm_label} (y)", id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmScreen(ModalScreen[bool]):
    """The rollback guard: True only when `expected` (the previous version) is typed."""

    DEFAULT_CSS = (
        _CSS.format(name="TypedConfirmScreen")
        + """
    TypedConfirmScreen .confirm-problem {
        color: $error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, lines: Sequence[str], expected: str) -> None:
        super().__init__()
        self._title = title
        self._lines = tuple(lines)
        self._expected = expected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="confirm-title", markup=False)
            yield Static("\n".join(self._lines), classes="confirm-lines", markup=False)
            yield Static(
                f"Type {self._expected} to confirm:", classes="confirm-prompt", markup=False
            )
            yield Input(placeholder=self._expected, id="typed")
            yield Static("", classes="confirm-problem", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Roll back", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._attempt(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._attempt(self.query_one("#typed", Input).value)
        else:
            self.dismiss(False)

    def _attempt(self, typed: str) -> None:
        if typed.strip() == self._expected:
            self.dismiss(True)
            return
        problem = self.query_one(".confirm-problem", Static)
        shown = typed.strip() or "nothing"
        problem.update(f"{shown!r} is not {self._expected}; type it exactly, or esc to cancel")
        typed_input = self.query_one("#typed", Input)
        typed_input.value = ""
        typed_input.focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

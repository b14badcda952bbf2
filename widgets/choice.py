"""Pick one of a few alternatives (Blue-Green or Rolling), from the keyboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """A modal list of options; returns the chosen option's id, or None on escape."""

    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ChoiceScreen Label { width: 100%; text-style: bold; }
    ChoiceScreen OptionList { height: auto; max-height: 12; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, options: Sequence[tuple[str, str]], selected: str | None = None
    ) -> None:
        super().__init__()
        self._title = title
        self._options = tuple(options)
        self._selected = selected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._title))
            marks = [
                Option(Content(("● " if oid == self._selected else "○ ") + label), id=oid)
                for oid, label in self._options
            ]
            yield OptionList(*marks)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        ids = [oid for oid, _ in self._options]
        if self._selected in ids:
            options.highlighted = ids.index(self._selected)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

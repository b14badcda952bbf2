"""The help screen: every key, grouped by where it works, in the runbook's language.

The screen that opens it hands the sections over already in that language
(`binding_rows(bindings, lang)`); the screen's own words (its title, its close key)
follow the `lang` it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.widgets.words import say

KeySection = tuple[str, Sequence[tuple[str, str]]]
"""A heading and its (key, what it does) rows."""


class HelpScreen(ModalScreen[None]):
    """Lists the keys of every pane; escape or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close"),
    ]

    def __init__(self, sections: Sequence[KeySection], lang: str = "en") -> None:
        super().__init__()
        self._sections = tuple(sections)
        self._lang = lang

    @property
    def sections(self) -> tuple[KeySection, ...]:
        """What the screen lists."""
        return self._sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = say("Keys", self._lang)
            for title, rows in self.sections:
                table = Table.grid(padding=(0, 2))
                table.add_column(min_width=12, style="bold")
                table.add_column()
                for key, description in rows:
                    table.add_row(Text(key), Text(description))
                yield Static(Text(title, style="bold underline"))
                yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)


def binding_rows(bindings: Sequence[BindingType], lang: str = "en") -> list[tuple[str, str]]:
    """(key, description) for each binding that has a description, in `lang`."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if isinstance(binding, Binding):
            key, description = binding.key_display or binding.key, binding.description
        else:
            key, description = binding[0], binding[2] if len(binding) > 2 else ""
        if description:
            rows.append((key.replace(",", " / "), say(description, lang)))
    return rows

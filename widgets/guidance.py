"""The runbook's standing advice: best practices, escalation guidelines, notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.services.runbook.model import Guidance
from warroom.widgets.words import EN, say


class GuidanceScreen(ModalScreen[None]):
    """Shows the guidance sections of the runbook; escape closes it."""

    DEFAULT_CSS = """
    GuidanceScreen { align: center middle; }
    GuidanceScreen > VerticalScroll {
        width: 90; max-width: 95%; height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    GuidanceScreen .guidance-title { text-style: bold; color: $accent; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,b", "close", "Close"),
    ]

    def __init__(self, guidance: Sequence[Guidance], lang: str = EN) -> None:
        super().__init__()
        self._guidance = tuple(guidance)
        self._lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = say("Guidance", self._lang)
            for section in self._guidance:
                yield Static(Text(section.title), classes="guidance-title")
                yield Static(Text("\n".join(f"• {line}" for line in section.lines)))

    def action_close(self) -> None:
        self.dismiss(None)

"""The incident timeline: every journal event, newest first, with who and when.

Opened with `t` from the runbook. Rows are built by `timeline_rows` (a pure function
over frozen events) and shown as plain text, so a note or an actor name is never read
as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from warroom.services.journal.report import describe
from warroom.services.journal.store import Event
from warroom.services.runbook.model import Runbook


@dataclass(frozen=True)
class TimelineRow:
    """One line of the timeline."""

    seq: int
    time: str
    actor: str
    summary: str


def timeline_rows(events: Sequence[Event], runbook: Runbook) -> list[TimelineRow]:
    """Rows newest first; times in UTC as HH:MM:SS (the date when it is not today's)."""
    ordered = sorted(events, key=lambda e: e.seq, reverse=True)
    return [
        TimelineRow(e.seq, e.at.strftime("%m-%d %H:%M:%S"), e.actor, describe(e, runbook))
        for e in ordered
    ]


class TimelineScreen(ModalScreen[None]):
    """Every event of the incident, newest first; escape, t or q closes it."""

    DEFAULT_CSS = """
    TimelineScreen {
        align: center middle;
    }
    TimelineScreen > Vertical {
        width: 95%;
        height: 90%;
        border: thick $accent;
        background: $surface;
    }
    TimelineScreen .timeline-title {
        text-style: bold;
        padding: 0 1;
    }
    TimelineScreen OptionList {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t,q", "close", "Close"),
    ]

    def __init__(self, events: Sequence[Event], runbook: Runbook, title: str = "Timeline") -> None:
        super().__init__()
        self._rows = timeline_rows(events, runbook)
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"{self._title} ({len(self._rows)})", classes="timeline-title", markup=False
            )
            options = OptionList(
                *[
                    Text.assemble(
                        (f"{row.time} ", "dim"),
                        (f"#{row.seq:<4} ", "dim"),
                        (f"{row.actor}: ", "bold"),
                        row.summary,
                    )
                    for row in self._rows
                ]
            )
            yield options

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

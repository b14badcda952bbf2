"""What the runbook pane draws, without Textual: its words, its rows and their wrapping.

Kept apart from `RunbookView` (the keys, the cursor, the painting) so each reads alone;
nothing here holds state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rich.style import Style
from rich.text import Text

from warroom.services.runbook.model import RunbookState
from warroom.widgets.line_break import wrap_line

RowKind = Literal["phase", "choice", "item", "orphans", "orphan"]

WORDS = {
    "en": {
        "done": "done",
        "na": "n/a",
        "gated": "waits",
        "waits_phase": "waits for phase {n}",
        "waits_phases": "waits for phases {n}",
        "now": "NOW",
        "orphaned": "Orphaned",
        "overall": "Overall",
        "choose": "choose",
        "by": "by",
        "note": "note",
        "needs": "waits for",
        "empty": "No runbook loaded",
    },
    "ja": {
        "done": "完了",
        "na": "対象外",
        "gated": "待機",
        "waits_phase": "フェーズ{n}待ち",
        "waits_phases": "フェーズ{n}待ち",
        "now": "現在",
        "orphaned": "孤立",
        "overall": "全体",
        "choose": "選択",
        "by": "担当",
        "note": "メモ",
        "needs": "前提",
        "empty": "ランブックがありません",
    },
}


def waits_for(state: RunbookState, refs: tuple[str, ...], words: dict[str, str]) -> str:
    """ "waits for phase 8": the phases (by their number on screen) holding the unmet
    requirements `refs`, a phase or an item id each; "waits" when none is found."""
    numbers: list[int] = []
    for number, phase_state in enumerate(state.phases, start=1):
        ids = {phase_state.phase.id, *(s.item.id for s in phase_state.items)}
        if any(ref in ids for ref in refs):
            numbers.append(number)
    if not numbers:
        return words["gated"]
    key = "waits_phase" if len(numbers) == 1 else "waits_phases"
    return words[key].format(n=", ".join(str(n) for n in numbers))


@dataclass(frozen=True)
class Row:
    """One selectable row; `key` keeps the cursor in place across state updates."""

    kind: RowKind
    key: str
    phase_index: int = -1


def wrap(text: str, width: int, indent: int) -> list[str]:
    """Split `text` into lines of at most `width` cells, continuation lines indented."""
    return list(wrapped(text, width, indent))


@lru_cache(maxsize=4096)
def wrapped(text: str, width: int, indent: int) -> tuple[str, ...]:
    # Cached: every new state (any instance's event, a health change journaled)
    # rebuilds the checklist, and re-wrapping 200 long notes each time kept the UI
    # loop busy for seconds. Where a line may break (spaces, 禁則) is line_break's rule.
    return wrap_line(text, width, indent)


@lru_cache(maxsize=4096)
def detail_lines(text: str, width: int, style: Style) -> tuple[Text, ...]:
    """A note or detail as drawn lines, shared between rebuilds (never mutated: only
    rendered), so a long note costs its Text objects once, not on every new event."""
    return tuple(Text(line, style=style, no_wrap=True, end="") for line in wrap(text, width, 8))

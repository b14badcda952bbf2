"""The runbook checklist laid out as lines: phases, choices, items and their details.

`RunbookView` keeps the keys, the cursor and the painting; what it draws for a state is
worked out here, without Textual, from the state, the width, which phases are open and
where the cursor is (an item under the cursor shows its commands). Styles come from the
widget through `style`, so the layout never reads a stylesheet itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from warroom.services.runbook.gates import phase_waits
from warroom.services.runbook.gates import unmet as gate_unmet
from warroom.services.runbook.model import ChoiceState, ItemState, PhaseState, RunbookState
from warroom.services.runbook.placeholders import CommandValues, fill_commands
from warroom.widgets.runbook_rows import Row, detail_lines, waits_for, wrap


@dataclass
class RunbookLayout:
    """The checklist as selectable rows and the lines drawn for them, in order."""

    rows: list[Row] = field(default_factory=list)
    lines: list[tuple[int, Text]] = field(default_factory=list)
    """Drawn lines: (row index, or -1 for a line no cursor lands on, text)."""
    row_first_line: list[int] = field(default_factory=list)
    """The first line of each row, by row index."""


def lay_out(
    state: RunbookState | None,
    *,
    width: int,
    words: dict[str, str],
    style: Callable[[str], Style],
    expanded: Callable[[str], bool],
    cursor_key: str | None,
    versions: CommandValues | None,
) -> RunbookLayout:
    """The rows and lines of `state` at `width` cells (`style` maps a component class of
    the pane to its style; `expanded` tells whether a phase, by id, shows its items)."""
    builder = _Builder(state, width, words, style, expanded, cursor_key, versions)
    builder.build()
    return builder.layout


@dataclass
class _Builder:
    """Appends rows and lines to one layout; used once per rebuild."""

    state: RunbookState | None
    width: int
    words: dict[str, str]
    style: Callable[[str], Style]
    expanded: Callable[[str], bool]
    cursor_key: str | None
    versions: CommandValues | None
    layout: RunbookLayout = field(default_factory=RunbookLayout)

    def build(self) -> None:
        state, words = self.state, self.words
        if state is None:
            self.layout.lines.append((-1, Text(words["empty"])))
            return
        overall = f"{words['overall']} {state.finished}/{state.total}"
        self.layout.lines.append((-1, Text(overall, style=self.style("runbook-view--phase"))))
        current = state.current
        for index, phase_state in enumerate(state.phases):
            self._add_phase(index, phase_state, index == current)
        if state.orphaned:
            self._add_row(
                Row("orphans", "orphans"),
                [f"! {words['orphaned']} ({len(state.orphaned)})"],
                self.style("runbook-view--orphan"),
            )
            for item_state in state.orphaned:
                self._add_item(item_state, orphan=True)

    def _add_row(self, row: Row, lines: list[str], style: Style) -> None:
        layout = self.layout
        layout.row_first_line.append(len(layout.lines))
        index = len(layout.rows)
        layout.rows.append(row)
        for line in lines:
            layout.lines.append((index, Text(line, style=style, no_wrap=True, end="")))

    def _add_detail(self, text: str) -> None:
        style = self.style("runbook-view--detail")
        row = len(self.layout.rows) - 1
        self.layout.lines.extend((row, line) for line in detail_lines(text, self.width, style))

    def _add_phase(self, index: int, phase_state: PhaseState, is_current: bool) -> None:
        words, width, state = self.words, self.width, self.state
        phase = phase_state.phase
        expanded = self.expanded(phase.id)
        arrow = "▾" if expanded else "▸"
        progress = f"{phase_state.finished}/{phase_state.total}"
        if phase_state.complete:
            tag, component = f"✓ {words['done']}", "runbook-view--complete"
        elif phase_state.gated:
            waits = waits_for(state, phase_state.unmet, words) if state else ""
            tag, component = f"⊘ {waits or words['gated']}", "runbook-view--gated"
        elif is_current:
            tag, component = f"▶ {words['now']}", "runbook-view--current"
        else:
            tag, component = "", "runbook-view--phase"
        head = f"{arrow} {index + 1:>2}. {phase.title}"
        tail = f" {progress}" + (f" {tag}" if tag else "")
        room = width - cell_len(tail)
        lines = wrap(head, room, 5)
        lines[-1] = lines[-1] + " " * max(0, room - cell_len(lines[-1])) + tail
        self._add_row(Row("phase", f"phase:{phase.id}", index), lines, self.style(component))
        if not expanded:
            return
        if phase_state.gated:
            # Named as the screen numbers them ("phase 8: Staging ..."), never as ids.
            named = phase_waits(state, phase.id) if state is not None else ()
            needs = ", ".join(named or phase_state.unmet)
            self._add_detail(f"    {words['needs']}: {needs}")
        if phase_state.choice is not None:
            self._add_choice(index, phase_state.choice)
        for item_state in phase_state.items:
            self._add_item(item_state, phase_index=index)

    def _add_choice(self, index: int, choice_state: ChoiceState) -> None:
        choice = choice_state.choice
        options = " / ".join(
            f"[{o.label}]" if o.id == choice_state.selected else o.label for o in choice.options
        )
        marker = "◆" if choice_state.selected else "◇"
        suffix = "" if choice_state.selected else f" ({self.words['choose']})"
        lines = wrap(f"  {marker} {choice.title}: {options}{suffix}", self.width, 6)
        self._add_row(
            Row("choice", f"choice:{choice.id}", index), lines, self.style("runbook-view--phase")
        )

    def _item_waits(self, item_state: ItemState, phase_index: int) -> str:
        """ "waits for phase 10" when a gated item has a gate of its own, else "waits"."""
        words, state = self.words, self.state
        if state is None or not 0 <= phase_index < len(state.phases):
            return words["gated"]
        # The phase row already says what the whole phase waits for; an item names
        # only a gate of its own.
        own = gate_unmet(state, item_state.item.requires)
        return waits_for(state, own, words) if own else words["gated"]

    def _add_item(self, item_state: ItemState, phase_index: int = -1, orphan: bool = False) -> None:
        words = self.words
        if item_state.status == "done":
            mark, component = f"[x] {words['done']}", "runbook-view--done"
        elif item_state.status == "na":
            mark, component = f"[-] {words['na']}", "runbook-view--na"
        elif item_state.gated:
            mark, component = (
                f"[ ] ({self._item_waits(item_state, phase_index)})",
                "runbook-view--gated",
            )
        else:
            mark, component = "[ ]", ""
        if orphan:
            component = "runbook-view--orphan"
        style = self.style(component) if component else Style()
        key = f"{'orphan' if orphan else 'item'}:{item_state.item.id}"
        lines = wrap(f"  {mark} {item_state.item.text}", self.width, 6)
        self._add_row(Row("orphan" if orphan else "item", key, phase_index), lines, style)
        if item_state.status != "open" and item_state.by:
            at = item_state.at.strftime("%H:%M") if item_state.at is not None else ""
            self._add_detail(f"      {words['by']} {item_state.by} {at}".rstrip())
        if item_state.status == "na" and item_state.reason:
            self._add_detail(f"      {words['na']}: {item_state.reason}")
        for note in item_state.notes:
            self._add_detail(f"      {words['note']}: {note.text} ({note.by})")
        if key == self.cursor_key and item_state.item.commands:
            for command in fill_commands(item_state.item.commands, self.versions).splitlines():
                self._add_detail(f"      $ {command}")

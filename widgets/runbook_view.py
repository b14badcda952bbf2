"""The runbook checklist pane: phases with progress, items ticked from the keyboard.

The widget only shows a `RunbookState` and asks for changes by posting messages; the
screen writes the journal and the new state comes back down through `state`. An item
is therefore never shown done before the journal has it. The lines drawn for a state are
laid out in `warroom.widgets.runbook_layout`; this module keeps the keys, the cursor and
the painting.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.services.runbook.model import ItemState, RunbookState
from warroom.services.runbook.placeholders import CommandValues
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.runbook_layout import lay_out
from warroom.widgets.runbook_rows import WORDS, Row


class RunbookView(PaintCache, ScrollView, can_focus=True):
    """The hotfix runbook as a keyboard-driven, collapsible phase checklist."""

    DEFAULT_CSS = """
    RunbookView {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    RunbookView > .runbook-view--cursor { background: $accent 40%; text-style: bold; }
    RunbookView:focus > .runbook-view--cursor { background: $accent; color: $text; }
    RunbookView > .runbook-view--phase { text-style: bold; }
    RunbookView > .runbook-view--current { color: $warning; text-style: bold; }
    RunbookView > .runbook-view--complete { color: $success; }
    RunbookView > .runbook-view--gated { color: $text-muted; text-style: italic; }
    RunbookView > .runbook-view--done { color: $success; }
    RunbookView > .runbook-view--na { color: $text-muted; }
    RunbookView > .runbook-view--detail { color: $text-muted; }
    RunbookView > .runbook-view--orphan { color: $error; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "runbook-view--cursor",
        "runbook-view--phase",
        "runbook-view--current",
        "runbook-view--complete",
        "runbook-view--gated",
        "runbook-view--done",
        "runbook-view--na",
        "runbook-view--detail",
        "runbook-view--orphan",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_done", "Done", key_display="space"),
        Binding("x", "toggle_done", "Toggle done", show=False),
        Binding("n", "note", "Note"),
        Binding("s", "not_applicable", "N/A"),
        Binding("t", "timeline", "Timeline"),
        Binding("enter", "expand_toggle", "Expand"),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("right", "expand", "Expand phase", show=False),
        Binding("left", "collapse", "Collapse phase", show=False),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "bottom", "Bottom", show=False),
        *[Binding(str(n), f"jump({n})", f"Phase {n}", show=False) for n in range(1, 10)],
    ]

    state: reactive[RunbookState | None] = reactive(None, always_update=True, repaint=False)
    """The checklist to show, replayed from the journal; None before it is loaded.

    A new state repaints only when it changes what is drawn (see `_finish`)."""

    versions: reactive[CommandValues | None] = reactive(None, repaint=False)
    """The release's versions, filled into the commands shown (`{version}` and the like)."""

    class ToggleRequested(Message):
        """Mark an item done (`done=True`) or reopen it (`done=False`)."""

        def __init__(self, item_id: str, done: bool) -> None:
            super().__init__()
            self.item_id = item_id
            self.done = done

    class NoteRequested(Message):
        """The user wants to add a note to an item (the screen asks for the text)."""

        def __init__(self, item_id: str) -> None:
            super().__init__()
            self.item_id = item_id

    class NotApplicableRequested(Message):
        """The user wants to mark an item not applicable (the screen asks why)."""

        def __init__(self, item_id: str) -> None:
            super().__init__()
            self.item_id = item_id

    class TimelineRequested(Message):
        """The user wants the timeline of every event."""

    class ChoiceRequested(Message):
        """The user wants to pick an alternative (e.g. Blue-Green or Rolling)."""

        def __init__(
            self, choice_id: str, options: tuple[tuple[str, str], ...], selected: str | None
        ) -> None:
            super().__init__()
            self.choice_id = choice_id
            self.options = options
            """(option id, label) pairs in runbook order."""
            self.selected = selected

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows: list[Row] = []
        self._lines: list[tuple[int, Text]] = []
        """Rendered lines: (row index or -1 for a header line, text)."""
        self._row_first_line: list[int] = []
        self._cursor_key: str | None = None
        self._expanded: dict[str, bool] = {}
        self._placed = False
        self._drawn: object = None
        """What `_finish` last laid out: the same again needs no repaint."""

    # --- public helpers -----------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        """What the cursor is on: "phase:<id>", "item:<id>", "choice:<id>", ..."""
        return self._cursor_key

    def is_expanded(self, phase_id: str) -> bool:
        """Whether a phase shows its items (user choice, else current/incomplete rule)."""
        if phase_id in self._expanded:
            return self._expanded[phase_id]
        state = self.state
        if state is None:
            return False
        current = state.current
        return current is not None and state.phases[current].phase.id == phase_id

    # --- reacting to state --------------------------------------------------------

    def watch_state(self, state: RunbookState | None) -> None:
        if state is not None and not self._placed:
            self._placed = True
            self._cursor_key = self._start_key(state)
        self._rebuild()

    def watch_versions(self) -> None:
        self._rebuild()

    def on_resize(self) -> None:
        self._rebuild()

    def _start_key(self, state: RunbookState) -> str | None:
        current = state.current
        if current is None:
            return f"phase:{state.phases[0].phase.id}" if state.phases else None
        phase = state.phases[current]
        for item in phase.items:
            if item.status == "open":
                return f"item:{item.item.id}"
        return f"phase:{phase.phase.id}"

    def _words(self) -> dict[str, str]:
        lang = self.state.runbook.lang if self.state is not None else "en"
        return WORDS.get(lang, WORDS["en"])

    def _rebuild(self) -> None:
        width = max(10, self.scrollable_content_region.width or 40)
        layout = lay_out(
            self.state,
            width=width,
            words=self._words(),
            style=self._style,
            expanded=self.is_expanded,
            cursor_key=self._cursor_key,
            versions=self.versions,
        )
        self._rows = layout.rows
        self._lines = layout.lines
        self._row_first_line = layout.row_first_line
        if self.state is not None:
            keys = [row.key for row in self._rows]
            if self._cursor_key not in keys:
                self._cursor_key = self._fallback_key(keys)
        self._finish(width)

    def _fallback_key(self, keys: list[str]) -> str | None:
        """Where the cursor goes when its row vanished (its phase collapsed)."""
        state = self.state
        if state is None or not keys:
            return None
        if self._cursor_key is not None and self._cursor_key.startswith(("item:", "choice:")):
            wanted = self._cursor_key.split(":", 1)[1]
            for phase_state in state.phases:
                ids = [s.item.id for s in phase_state.items]
                choice = phase_state.choice
                if wanted in ids or (choice is not None and choice.choice.id == wanted):
                    return f"phase:{phase_state.phase.id}"
        return keys[0]

    def _finish(self, width: int) -> None:
        # Most new states (a health change, an alert journaled) leave the checklist as it
        # was drawn: then nothing is repainted.
        drawn = (
            width,
            self.scrollable_content_region.height,
            self._cursor_key,
            [(row, text.plain, text.style, text.spans) for row, text in self._lines],
        )
        if drawn == self._drawn:
            return
        self._drawn = drawn
        self.virtual_size = Size(width, len(self._lines))
        self._scroll_cursor_visible()
        self.refresh()

    def _style(self, component: str) -> Style:
        try:
            return self.get_component_rich_style(component, partial=True)
        except Exception:  # before the widget is mounted there is no stylesheet yet
            return Style()

    # --- drawing ------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        row, text = self._lines[index]
        cursor_row = self._cursor_index()
        style = base
        if row >= 0 and row == cursor_row:
            style = base + self._style("runbook-view--cursor")
        segments = [
            Segment(seg.text, style + seg.style if seg.style else style)
            for seg in text.render(self.app.console)
            if seg.text != "\n"
        ]
        strip = Strip(segments)
        return strip.crop_extend(0, width, style)

    def _cursor_index(self) -> int:
        for index, row in enumerate(self._rows):
            if row.key == self._cursor_key:
                return index
        return -1

    def _scroll_cursor_visible(self, top: bool = False) -> None:
        index = self._cursor_index()
        height = self.scrollable_content_region.height
        if index < 0 or not self._lines or height <= 0:
            return
        first = self._row_first_line[index]
        last = first
        while last + 1 < len(self._lines) and self._lines[last + 1][0] == index:
            last += 1
        if last < height and not top:
            # Near the start the header line (overall progress) stays in view.
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        self.scroll_to_region(
            Region(0, first, 1, last - first + 1),
            animate=False,
            force=True,
            immediate=True,
            top=top,
        )

    # --- moving -------------------------------------------------------------------

    def _move_to(self, index: int) -> None:
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        self._cursor_key = self._rows[index].key
        self._rebuild()

    def _current_row(self) -> Row | None:
        index = self._cursor_index()
        return self._rows[index] if index >= 0 else None

    def action_cursor_up(self) -> None:
        """Move to the row above."""
        self._move_to(self._cursor_index() - 1)

    def action_cursor_down(self) -> None:
        """Move to the row below."""
        self._move_to(self._cursor_index() + 1)

    def action_top(self) -> None:
        """Move to the first row."""
        self._move_to(0)

    def action_bottom(self) -> None:
        """Move to the last row."""
        self._move_to(len(self._rows) - 1)

    def action_jump(self, number: int) -> None:
        """Jump to phase `number` (1-based) and open it."""
        state = self.state
        if state is None or not 1 <= number <= len(state.phases):
            self.app.bell()
            return
        phase_id = state.phases[number - 1].phase.id
        self._expanded[phase_id] = True
        self._cursor_key = f"phase:{phase_id}"
        self._rebuild()
        self._scroll_cursor_visible(top=True)

    # --- expanding ----------------------------------------------------------------

    def _phase_id(self) -> str | None:
        row = self._current_row()
        if row is None or row.phase_index < 0 or self.state is None:
            return None
        return self.state.phases[row.phase_index].phase.id

    def _set_expanded(self, expanded: bool) -> None:
        phase_id = self._phase_id()
        if phase_id is None:
            return
        self._expanded[phase_id] = expanded
        if not expanded:
            self._cursor_key = f"phase:{phase_id}"
        self._rebuild()

    def action_expand_toggle(self) -> None:
        """Open or close the phase under the cursor (on a choice: pick an option)."""
        row = self._current_row()
        if row is not None and row.kind == "choice":
            self._request_choice(row)
            return
        phase_id = self._phase_id()
        if phase_id is not None:
            self._set_expanded(not self.is_expanded(phase_id))

    def action_expand(self) -> None:
        """Open the phase under the cursor."""
        self._set_expanded(True)

    def action_collapse(self) -> None:
        """Close the phase under the cursor and move to its header."""
        self._set_expanded(False)

    # --- requests -----------------------------------------------------------------

    def _item_state(self) -> ItemState | None:
        row = self._current_row()
        if row is None or row.kind != "item" or self.state is None:
            return None
        return self.state.item(row.key.split(":", 1)[1])

    def _request_choice(self, row: Row) -> None:
        if self.state is None:
            return
        choice_state = self.state.phases[row.phase_index].choice
        if choice_state is None:
            return
        options = tuple((o.id, o.label) for o in choice_state.choice.options)
        self.post_message(
            self.ChoiceRequested(choice_state.choice.id, options, choice_state.selected)
        )

    def action_toggle_done(self) -> None:
        """Tick the item (or untick it); on a phase, open or close it."""
        row = self._current_row()
        if row is None:
            return
        if row.kind == "phase":
            self.action_expand_toggle()
            return
        if row.kind == "choice":
            self._request_choice(row)
            return
        item_state = self._item_state()
        if item_state is None:
            self.app.bell()
            return
        self.post_message(self.ToggleRequested(item_state.item.id, item_state.status != "done"))

    def action_note(self) -> None:
        """Ask for a note on the item under the cursor."""
        item_state = self._item_state()
        if item_state is None:
            self.app.bell()
            return
        self.post_message(self.NoteRequested(item_state.item.id))

    def action_not_applicable(self) -> None:
        """Ask for the reason the item under the cursor does not apply."""
        item_state = self._item_state()
        if item_state is None:
            self.app.bell()
            return
        self.post_message(self.NotApplicableRequested(item_state.item.id))

    def action_timeline(self) -> None:
        """Ask for the timeline of every event."""
        self.post_message(self.TimelineRequested())

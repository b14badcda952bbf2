"""The rows of the Error log pane: the items it holds, each as drawn, and where each starts.

Plain state without Textual, so the pane (`log_view.py`) keeps only scrolling, keys and
messages. Rows count from the first item ever laid out: when the oldest items fall off
their rows stay counted (`first` moves on), so a batch at the limit shifts nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from rich.cells import cell_len

from warroom.services.logs.lines import LogItem
from warroom.widgets.log_lines import ShownLine, wrap_offsets


class LogRows:
    """The items a log pane holds, each as drawn, and the rows each one takes."""

    def __init__(self, describe: Callable[[LogItem], ShownLine]) -> None:
        self._describe = describe
        self.items: list[LogItem] = []
        """What the pane holds, oldest first."""
        self.shown: dict[int, ShownLine] = {}
        """Each item as drawn, by seq; its strip is dropped on a style or filter change."""
        self.starts: list[int] = []
        """The first row of each item (wrapping: an item may take several rows)."""
        self.rows = 0
        """The row after the last item's; rows count from the first item ever laid out."""
        self.first = 0
        """The first row of the oldest item held (rows shown = `rows - first`)."""
        self.width = 0
        """The widest line, in cells (the virtual width when cutting)."""
        self.wrap_width = 0
        """The width rows were wrapped at."""

    @property
    def height(self) -> int:
        """Rows the items held take."""
        return self.rows - self.first

    def virtual_width(self, wrap: bool) -> int:
        """The width to scroll across: the widest line when cutting, none when wrapping."""
        return self.width if not wrap else 0

    def shown_for(self, item: LogItem) -> ShownLine:
        """The item as drawn, described once and kept until the next layout."""
        shown = self.shown.get(item.seq)
        if shown is None:
            shown = self._describe(item)
            self.shown[item.seq] = shown
        return shown

    def lay_out(self, items: Sequence[LogItem], wrap: bool) -> None:
        """Work out the rows of `items` (wrapping) and the widest line (cutting)."""
        width = self.wrap_width
        for item in items:
            shown = self.shown_for(item)
            if wrap and width > 0:
                indent = shown.indent if width - shown.indent >= 20 else 2
                shown.offsets = wrap_offsets(shown.text, width, width - indent)
            else:
                shown.offsets = [0]
            line_width = cell_len(shown.text)
            if line_width > self.width:
                self.width = line_width

    def count_rows(self, start: int = 0) -> None:
        """Rows of the items from `start` on; the rows before are as counted last time
        (`start` > 0 only right after appending, when `rows` covers the older items)."""
        del self.starts[start:]
        row = self.rows if start else 0
        if not start:
            self.first = 0
        for item in self.items[start:]:
            self.starts.append(row)
            row += len(self.shown_for(item).offsets)
        self.rows = row

    def relayout(self, width: int, wrap: bool) -> None:
        """Lay every item out again at `width` (a new width, a new day, wrap switched)."""
        self.shown.clear()
        self.width = 0
        self.wrap_width = width
        self.lay_out(self.items, wrap)
        self.count_rows()

    def append(self, items: Sequence[LogItem], wrap: bool, max_lines: int) -> int:
        """Add a batch, the oldest falling off past `max_lines`; the rows that fell off."""
        held = len(self.items)
        self.items.extend(items)
        self.lay_out(items, wrap)
        self.count_rows(held)
        dropped = len(self.items) - max_lines
        if dropped <= 0:
            return 0
        for item in self.items[:dropped]:
            self.shown.pop(item.seq, None)
        del self.items[:dropped]
        del self.starts[:dropped]
        first = self.starts[0] if self.starts else self.rows
        dropped_rows, self.first = first - self.first, first
        return dropped_rows

    def forget_strips(self) -> None:
        """Drop every drawn strip (the styles or the filter changed), keeping the rows."""
        for shown in self.shown.values():
            shown.strip = None

    def part_at(self, index: int, row: int, top: int, bottom: int) -> int | None:
        """Which row of item `index` to draw on `row` (rows counted as in `item_at`) of a
        view from `top` to `bottom` (the row after its last); None: leave `row` blank.

        A line cut by the top edge with newer lines under it is left out: a row such as
        "         checks evaluated" under the pinned error read as a line of its own. A
        line taller than the whole view shows its first rows, so its time and level show.
        """
        start = self.starts[index] - self.first
        if start >= top:
            return row - start
        if start + len(self.shown_for(self.items[index]).offsets) < bottom:
            return None
        return row - top

    def item_at(self, row: int) -> int | None:
        """The index of the item on `row` (counted from the top of what is held)."""
        if not self.items or row >= self.height or row < 0:
            return None
        return bisect.bisect_right(self.starts, row + self.first) - 1

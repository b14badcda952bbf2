"""The Error log pane: the latest matching log lines, followed or paused, as plain text.

A line is shown as a compact time ("04:19:52", the date only when not today; the zone is
said once, in the pane title), then the rest of the line: the level and the message get
the width a 24-character timestamp used to take. Long lines wrap by default (`c` cuts
them at the edge instead, with a horizontal scroll). The newest ERROR-or-worse line is
posted up (`LogView.Headline`) so the pane can pin it above the scrolling lines.

Lines arrive as frozen `LogLine`/`LogEvent` values already filtered by the screen (see
`warroom.services.logs.buffer.LogBuffer`); this widget only draws them. Text is drawn as plain
segments, never parsed as markup, and cleaned once more before drawing so no escape
sequence can reach the terminal (`log_lines.py` draws each item). Severity and matches
are styled through component classes whose colours come from the theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import LogItem, LogLine
from warroom.widgets.log_lines import (
    ShownLine,
    describe_item,
    item_strip,
    newest_headline,
)
from warroom.widgets.log_rows import LogRows
from warroom.widgets.paint_cache import PaintCache


class LogView(PaintCache, ScrollView, can_focus=True):
    """A bounded, scrollable view of log lines that follows the end unless paused.

    Feed it with `append(items)` for each new batch (or `hold(items)`, shown at the next
    `flush()`) and `replace(items, log_filter)` when the filter changes; `f` toggles
    following, PgUp/Home pause it, End resumes; `c` switches between wrapping long lines
    and cutting them at the edge.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--critical",
        "log-view--error",
        "log-view--warning",
        "log-view--info",
        "log-view--debug",
        "log-view--status",
        "log-view--match",
        "log-view--source",
        "log-view--time",
    }

    # The scrollbar is one cell wide and shows only while paused: following, the view is
    # at the end anyway, and a thumb beside the lines read as data. Its gutter stays, so
    # pausing does not re-wrap every line.
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        overflow: hidden auto;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
        scrollbar-visibility: hidden;
        scrollbar-gutter: stable;
        &.-cut { overflow: auto auto; }
        &:focus { background-tint: $foreground 5%; }
        &.-paused { border-left: outer $warning; scrollbar-visibility: visible; }
        & > .log-view--critical { color: $error; text-style: bold; }
        & > .log-view--error { color: $error; }
        & > .log-view--warning { color: $warning; }
        & > .log-view--info { color: $foreground; }
        & > .log-view--debug { color: $text-muted; }
        & > .log-view--status { color: $accent; text-style: italic; }
        & > .log-view--match { background: $accent 35%; text-style: bold; }
        & > .log-view--source { color: $secondary; }
        & > .log-view--time { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow/pause"),
        Binding("c", "toggle_wrap", "Wrap/cut lines"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Oldest", show=False),
        Binding("end", "scroll_end", "Newest", show=False),
    ]

    following: reactive[bool] = reactive(True, init=False)
    """True: new lines scroll into view. False (paused): the view stays where it is."""
    wrap: reactive[bool] = reactive(True, init=False)
    """True: a long line wraps onto the next rows. False: it is cut at the pane's edge."""

    class FollowChanged(Message):
        """Following was switched on or off (by `f`, scrolling back, or End)."""

        def __init__(self, log_view: LogView, following: bool) -> None:
            super().__init__()
            self.log_view = log_view
            self.following = following

        @property
        def control(self) -> LogView:
            return self.log_view

    class Headline(Message):
        """The newest ERROR-or-worse line shown changed, or the zone of the times did.

        The pane pins `line` on its first row; `at` is its time (its own timestamp, else
        when it arrived; None when neither is known); `zone` names the zone of the times.
        """

        def __init__(
            self, log_view: LogView, line: LogLine | None, at: datetime | None, zone: str
        ) -> None:
            super().__init__()
            self.log_view = log_view
            self.line = line
            self.at = at
            self.zone = zone

        @property
        def control(self) -> LogView:
            return self.log_view

        def can_replace(self, message: Message) -> bool:
            # Only the newest headline matters.
            return isinstance(message, LogView.Headline) and message.log_view is self.log_view

    def __init__(
        self,
        max_lines: int = 10_000,
        show_source: bool = False,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self.show_source = show_source
        self.now: datetime | None = None
        """The wall time now (set by the screen): lines of today show no date, and a
        pinned error with no timestamp of its own is dated from its arrival."""
        self._layout = LogRows(self._describe)
        self._held: list[LogItem] = []
        """Batches waiting for `flush`."""
        self._filter = LogFilter()
        self._today: date | None = None
        self._headline: tuple[LogLine | None, datetime | None, str] = (None, None, "local")
        self._paint: tuple[int, Style] | None = None
        """Width and base style for the lines of the paint under way."""

    @property
    def items(self) -> tuple[LogItem, ...]:
        """What the view holds, oldest first."""
        return tuple(self._layout.items)

    @property
    def log_filter(self) -> LogFilter:
        """The filter whose matches are highlighted."""
        return self._filter

    @property
    def headline(self) -> tuple[LogLine | None, datetime | None, str]:
        """The newest ERROR-or-worse line, its time, and the zone of the times."""
        return self._headline

    def append(self, items: Sequence[LogItem], *, announce: bool = True) -> None:
        """Add a batch of lines to show (already filtered); the oldest fall off.

        A new headline is posted (`Headline`) unless `announce` is False: a caller that
        reads `headline` itself right after, in the same frame, needs no message.
        """
        if not items:
            return
        self._check_day()
        width_before = self.virtual_size.width
        dropped_rows = self._layout.append(items, self.wrap, self.max_lines)
        self._find_headline(items, arrived=True, post=announce)
        size = Size(self._layout.virtual_width(self.wrap), self._layout.height)
        if self._scrollbars_stay(size) and size.width == width_before:
            # Only the line count changed and the scrollbars stay as they are: tell the
            # scrollbar, skip the screen-wide layout a new virtual size would ask for.
            self.set_reactive(LogView.virtual_size, size)
            bar = self.vertical_scrollbar
            bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            if not self._scrollbar_hidden():
                bar.refresh()
            if self.following:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        else:
            self.virtual_size = size
            if self.following:
                self._to_end()
        if not self.following and dropped_rows > 0:
            # Keep the lines being read still on screen while older ones fall off.
            self.scroll_to(y=max(0, self.scroll_y - dropped_rows), animate=False, immediate=True)
        self.refresh()

    def hold(self, items: Sequence[LogItem]) -> None:
        """Keep a batch to show at the next `flush`, so batches arriving between two
        flushes (e.g. the screen's clock ticks) cost one repaint, not one each."""
        self._held.extend(items)

    def flush(self) -> None:
        """Show the batches held since the last flush."""
        if self._held:
            held, self._held = self._held, []
            self.append(held)

    def _scrollbars_stay(self, size: Size) -> bool:
        """Whether `size` keeps the vertical scrollbar shown (and so the layout as is)."""
        return (
            self.show_vertical_scrollbar
            and self.is_mounted
            and size.height > self.scrollable_content_region.height
            and self.virtual_size.height > 0
        )

    def replace(self, items: Sequence[LogItem], log_filter: LogFilter | None = None) -> None:
        """Show `items` instead of what is held (a new filter applied to the backlog)."""
        if log_filter is not None:
            self._filter = log_filter
        self._held = []  # `items` stands for everything, held batches included
        self._layout.items = list(items[-self.max_lines :])
        self._relayout()
        self._headline = (None, None, self._headline[2])
        self._find_headline(self._layout.items, arrived=False, always=True)
        if self.following:
            self._to_end()
        self.refresh()

    def set_filter(self, log_filter: LogFilter) -> None:
        """Highlight the matches of `log_filter` (the lines shown are not changed)."""
        self._filter = log_filter
        self._layout.forget_strips()
        self.refresh()

    def clear(self) -> None:
        """Forget every line."""
        self.replace(())

    # --- layout: what each item shows, and on which rows ------------------------------

    def _check_day(self) -> None:
        """A new day: yesterday's lines now show their date."""
        today = self.now.date() if self.now is not None else None
        if today != self._today:
            self._today = today
            if self._layout.shown:
                self._relayout()

    def _describe(self, item: LogItem) -> ShownLine:
        return describe_item(item, show_source=self.show_source, today=self._today, now=self.now)

    def _content_width(self) -> int:
        return self.scrollable_content_region.width if self.is_mounted else 0

    def _relayout(self) -> None:
        """Lay every item out again (a new width, a new day, wrap switched, new items)."""
        self._layout.relayout(self._content_width(), self.wrap)
        self.virtual_size = Size(self._layout.virtual_width(self.wrap), self._layout.height)

    # --- the pinned error ---------------------------------------------------------------

    def _find_headline(
        self, items: Sequence[LogItem], *, arrived: bool, always: bool = False, post: bool = True
    ) -> None:
        """Post the newest ERROR-or-worse line among `items`, if newer than the pinned one."""
        line, at, zone = newest_headline(
            items, self._headline, today=self._today, now=self.now, arrived=arrived
        )
        if always or (line, at, zone) != self._headline:
            self._headline = (line, at, zone)
            if post:
                self.post_message(self.Headline(self, line, at, zone))

    def _to_end(self) -> None:
        # Forced: until the next layout shows the scrollbar, an unforced scroll is
        # refused and a pane opened on a long backlog would stay on its oldest line.
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        # Once more after the next layout, which may add a scrollbar that takes a row.
        self.scroll_end(animate=False, x_axis=False, force=True)

    def on_resize(self, event: events.Resize) -> None:
        """Wrap again at the new width; keep the newest line in view while following."""
        del event
        if self.wrap and self._content_width() != self._layout.wrap_width:
            self._relayout()
        if self.following:
            self._to_end()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """A scrollbar shown after the view scrolled (a first backlog) starts at its place."""
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def watch_show_horizontal_scrollbar(self, shown: bool) -> None:
        """A horizontal scrollbar takes the bottom row: scroll the newest line above it."""
        if shown and self.following:
            self._to_end()

    # --- keys -------------------------------------------------------------------

    # Following, the scrollbar is hidden (`scrollbar-visibility`), yet every batch moves
    # it: a repaint asked of a widget that is not on screen has Textual arrange the
    # whole screen again before the next frame. So while it is hidden the scrollbar
    # takes its new place and size without a repaint, and repaints once on pause.

    def _scrollbar_hidden(self) -> bool:
        return self.styles.scrollbar_visibility != "visible"

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if not self._scrollbar_hidden():
            super().watch_scroll_y(old_value, new_value)
            return
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.set_reactive(ScrollBar.position, new_value)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    def watch_following(self, following: bool) -> None:
        if not following:
            self.vertical_scrollbar.refresh()  # it shows where the view is now
        self.set_class(not following, "-paused")
        if following:
            self._to_end()
        self.post_message(self.FollowChanged(self, following))

    def watch_wrap(self, wrap: bool) -> None:
        self.set_class(not wrap, "-cut")
        top = self._layout.item_at(self.scroll_offset.y)
        self.scroll_to(x=0, animate=False, immediate=True)
        self._relayout()
        if self.following:
            self._to_end()
        elif top is not None:
            # Keep the line read at the top on top.
            y = self._layout.starts[top] - self._layout.first
            self.scroll_to(y=y, animate=False, immediate=True, force=True)
        self.refresh()

    def action_toggle_follow(self) -> None:
        """Switch between following the newest lines and holding the view still."""
        self.following = not self.following

    def action_toggle_wrap(self) -> None:
        """Switch between wrapping long lines and cutting them at the edge."""
        self.wrap = not self.wrap

    def action_page_up(self) -> None:
        self.following = False
        super().action_page_up()

    def action_scroll_up(self) -> None:
        self.following = False
        super().action_scroll_up()

    def action_scroll_home(self) -> None:
        self.following = False
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.following = True
        super().action_scroll_end()

    # --- drawing ------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._layout.forget_strips()
        self._paint = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # The base style and width are worked out once per paint, not once per line.
        self._paint = None
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if self._paint is None:
            self._paint = (self.size.width, self.rich_style)
        width, base = self._paint
        layout = self._layout
        index = layout.item_at(row)
        if index is None:
            return Strip.blank(width, base)
        item = layout.items[index]
        shown = layout.shown_for(item)
        strip = shown.strip
        if strip is None:
            strip = shown.strip = self._render_item(item, shown, base)
        offsets = shown.offsets
        if len(offsets) == 1:
            return strip.crop_extend(scroll_x, scroll_x + width, base)
        # Whole lines from the bottom up: the oldest line, wrapped and cut by the top
        # edge, is left out rather than shown from its middle (see `LogRows.part_at`).
        bottom = scroll_y + self.scrollable_content_region.height
        part = layout.part_at(index, row, scroll_y, bottom)
        if part is None:
            return Strip.blank(width, base)
        start = offsets[part]
        end = offsets[part + 1] if part + 1 < len(offsets) else cell_len(shown.text)
        piece = strip.crop(start, end)
        if part > 0:
            indent = shown.indent if layout.wrap_width - shown.indent >= 20 else 2
            piece = Strip([Segment(" " * indent, base), *piece])
        return piece.crop_extend(0, width, base)

    def _render_item(self, item: LogItem, shown: ShownLine, base: Style) -> Strip:
        return item_strip(
            item,
            shown,
            base,
            self.get_component_rich_style,
            self._filter,
            show_source=self.show_source,
        )

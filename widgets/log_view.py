"""The Error log pane: the latest matching log lines, followed or paused, as plain text.

Lines arrive as frozen `LogLine`/`LogEvent` values already filtered by the screen (see
`warroom.services.logs.follow.LogBuffer`); this widget only draws them. Text is drawn as plain
segments, never parsed as markup, and cleaned once more before drawing so no escape
sequence can reach the terminal. Severity and matches are styled through component
classes whose colours come from the theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogEvent, LogItem, LogLine
from warroom.services.sanitize import clean
from warroom.widgets.paint_cache import PaintCache

_LEVEL_CLASSES = {
    "critical": "log-view--critical",
    "error": "log-view--error",
    "warning": "log-view--warning",
    "info": "log-view--info",
    "debug": "log-view--debug",
}


class LogView(PaintCache, ScrollView, can_focus=True):
    """A bounded, scrollable view of log lines that follows the end unless paused.

    Feed it with `append(items)` for each new batch (or `hold(items)`, shown at the next
    `flush()`) and `replace(items, log_filter)` when the filter changes; `f` toggles
    following, PgUp/Home pause it, End resumes.
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
    }

    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        overflow: auto auto;
        &:focus { background-tint: $foreground 5%; }
        &.-paused { border-left: outer $warning; }
        & > .log-view--critical { color: $error; text-style: bold; }
        & > .log-view--error { color: $error; }
        & > .log-view--warning { color: $warning; }
        & > .log-view--info { color: $foreground; }
        & > .log-view--debug { color: $text-muted; }
        & > .log-view--status { color: $accent; text-style: italic; }
        & > .log-view--match { background: $accent 35%; text-style: bold; }
        & > .log-view--source { color: $secondary; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow/pause"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Oldest", show=False),
        Binding("end", "scroll_end", "Newest", show=False),
    ]

    following: reactive[bool] = reactive(True, init=False)
    """True: new lines scroll into view. False (paused): the view stays where it is."""

    class FollowChanged(Message):
        """Following was switched on or off (by `f`, scrolling back, or End)."""

        def __init__(self, log_view: LogView, following: bool) -> None:
            super().__init__()
            self.log_view = log_view
            self.following = following

        @property
        def control(self) -> LogView:
            return self.log_view

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
        self._items: list[LogItem] = []
        self._held: list[LogItem] = []
        """Batches waiting for `flush`."""
        self._filter = LogFilter()
        self._width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._paint: tuple[int, Style] | None = None
        """Width and base style for the lines of the paint under way."""

    @property
    def items(self) -> tuple[LogItem, ...]:
        """What the view holds, oldest first."""
        return tuple(self._items)

    @property
    def log_filter(self) -> LogFilter:
        """The filter whose matches are highlighted."""
        return self._filter

    def append(self, items: Sequence[LogItem]) -> None:
        """Add a batch of lines to show (already filtered); the oldest fall off."""
        if not items:
            return
        self._items.extend(items)
        dropped = len(self._items) - self.max_lines
        if dropped > 0:
            del self._items[:dropped]
        width_before = self.virtual_size.width
        self._grow_width(items)
        size = Size(self._width, len(self._items))
        if self._scrollbars_stay(size) and size.width == width_before:
            # Only the line count changed and the scrollbars stay as they are: tell the
            # scrollbar, skip the screen-wide layout a new virtual size would ask for.
            self.set_reactive(LogView.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            self.vertical_scrollbar.refresh()
            if self.following:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        else:
            self.virtual_size = size
            if self.following:
                self._to_end()
        if not self.following and dropped > 0:
            # Keep the lines being read still on screen while older ones fall off.
            self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
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
        self._items = list(items[-self.max_lines :])
        self._cache.clear()
        self._width = 0
        self._grow_width(self._items)
        self.virtual_size = Size(self._width, len(self._items))
        if self.following:
            self._to_end()
        self.refresh()

    def set_filter(self, log_filter: LogFilter) -> None:
        """Highlight the matches of `log_filter` (the lines shown are not changed)."""
        self._filter = log_filter
        self._cache.clear()
        self.refresh()

    def clear(self) -> None:
        """Forget every line."""
        self.replace(())

    def _to_end(self) -> None:
        # Forced: until the next layout shows the scrollbar, an unforced scroll is
        # refused and a pane opened on a long backlog would stay on its oldest line.
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        # Once more after the next layout, which may add a scrollbar that takes a row.
        self.scroll_end(animate=False, x_axis=False, force=True)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the newest line in view when the pane changes size while following."""
        del event
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

    def _grow_width(self, items: Sequence[LogItem]) -> None:
        extra = 0
        if self.show_source:
            extra = max((cell_len(i.source) + 1 for i in items), default=0)
        for item in items:
            width = cell_len(item.text) + extra + (6 if isinstance(item, LogEvent) else 0)
            if width > self._width:
                self._width = width

    # --- keys -------------------------------------------------------------------

    def watch_following(self, following: bool) -> None:
        self.set_class(not following, "-paused")
        if following:
            self._to_end()
        self.post_message(self.FollowChanged(self, following))

    def action_toggle_follow(self) -> None:
        """Switch between following the newest lines and holding the view still."""
        self.following = not self.following

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
        self._cache.clear()
        self._paint = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # The base style and width are worked out once per paint, not once per line.
        self._paint = None
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        if self._paint is None:
            self._paint = (self.size.width, self.rich_style)
        width, base = self._paint
        if index >= len(self._items):
            return Strip.blank(width, base)
        item = self._items[index]
        strip = self._cache.get(item.seq)
        if strip is None:
            strip = self._render_item(item, base)
            self._cache[item.seq] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _render_item(self, item: LogItem, base: Style) -> Strip:
        segments: list[Segment] = []
        if self.show_source:
            source_style = base + self.get_component_rich_style("log-view--source")
            segments.append(Segment(f"{clean(item.source)} ", source_style))
        text = clean(item.text).expandtabs(4)
        if isinstance(item, LogEvent):
            status = base + self.get_component_rich_style("log-view--status")
            segments.append(Segment(f"── {text} ──", status))
            return Strip(segments)
        style = base
        if isinstance(item, LogLine) and item.level in _LEVEL_CLASSES:
            style = base + self.get_component_rich_style(_LEVEL_CLASSES[item.level])
        spans = self._filter.spans(text)
        if not spans:
            segments.append(Segment(text, style))
            return Strip(segments)
        marked = self.get_component_rich_style("log-view--match")
        # Only the background and emphasis: the level's colour stays readable.
        match = style + Style(
            bgcolor=marked.bgcolor,
            bold=marked.bold,
            italic=marked.italic,
            underline=marked.underline,
            reverse=marked.reverse,
        )
        position = 0
        for start, end in spans:
            if start > position:
                segments.append(Segment(text[position:start], style))
            segments.append(Segment(text[start:end], match))
            position = end
        if position < len(text):
            segments.append(Segment(text[position:], style))
        return Strip(segments)

"""One line of plain text that repaints without asking the screen for a new layout.

`Static.update` always re-lays out the screen (its size might change); a line that
changes every second (a countdown) would reflow the whole dashboard every second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.color import Color
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from widgets.paint_cache import PaintCache

if TYPE_CHECKING:
    _Base = Widget
else:
    _Base = object  # a plain mixin at run time, like `PaintCache`


class LinePaint(_Base):
    """Paints a one-row widget whose `render()` is a `Text` straight into a strip.

    Textual's general path (a visual, its strips, then the styled line) costs about a
    third of a millisecond for a single row; the clock's lines are repainted every
    second. This draws the same cells from the widget's own style: its colours, text
    style and background over its ancestors'. A widget with padding or a border, more
    than one row, or a text selection in it, takes Textual's path. (It reads the
    private update counts of styles: safe only with Textual pinned to one version.)
    """

    def render_lines(self, crop: Region) -> list[Strip]:
        width, height = self.size
        text = self.render()
        if (
            height != 1
            or not isinstance(text, Text)
            or self.styles.gutter
            or self.styles.opacity < 1
            or self.text_selection is not None
        ):
            return super().render_lines(crop)
        style = self._line_style()
        line = text.copy()
        line.truncate(width, overflow=line.overflow or "fold")
        segments: list[Segment] = []
        x = 0
        for segment in line.render(self.app.console):
            # The offset in the meta is what lets the mouse select this text.
            offset = RichStyle.from_meta({"offset": (x, 0)})
            segments.append(Segment(segment.text, style + segment.style + offset))
            x += len(segment.text)
        if (room := width - line.cell_len) > 0:
            segments.append(Segment(" " * room, RichStyle(bgcolor=style.bgcolor)))
        strip = Strip(segments, width)
        background = Color.from_rich_color(style.bgcolor)
        for line_filter in self.get_line_filters():
            strip = strip.apply_filter(line_filter, background)
        x1, x2 = crop.column_span
        return [strip.crop(x1, x2) for _ in crop.line_range]

    _style: tuple[tuple[object, ...], RichStyle] | None = None
    """The last `rich_style` and what it was worked out from."""

    def _line_style(self) -> RichStyle:
        # `rich_style` walks every ancestor's rules; it changes only when one of their
        # styles (their update counts cover rules, classes and pseudo-classes) or the
        # theme does.
        key = (self.app.theme, *(node.styles._cache_key for node in self.ancestors_with_self))
        if self._style is None or self._style[0] != key:
            self._style = (key, self.rich_style)
        return self._style[1]


class TextLine(PaintCache, LinePaint, Widget):
    """A single row of untrusted-safe text: a `Text`, never parsed as markup."""

    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    text: reactive[Text] = reactive(Text, layout=False)
    """What the line shows; cut with an ellipsis when the pane is narrower."""

    def __init__(self, text: Text | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        if text is not None:
            self.set_reactive(TextLine.text, text)

    @property
    def content(self) -> str:
        """The plain text shown."""
        return self.text.plain

    def render(self) -> Text:
        line = self.text.copy()
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

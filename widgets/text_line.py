"""One line of plain text that repaints without asking the screen for a new layout.

`Static.update` always re-lays out the screen (its size might change); a line that
changes every second (a countdown) would reflow the whole dashboard every second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from warroom.widgets.internals import enabled, style_parser, styles_key
from warroom.widgets.paint_cache import PaintCache

if TYPE_CHECKING:
    _Base = Widget
else:
    _Base = object  # a plain mixin at run time, like `PaintCache`


_LINE_PAINT = enabled("line_paint")


class LinePaint(_Base):
    """Paints a widget whose `render()` is a `Text` or `Content` that fits on its first row
    straight into strips.

    Textual's general path (a visual, its strips, then the styled line) costs about a
    third of a millisecond for a single row; the clock's lines are repainted every
    second. This draws the same cells from the widget's own style: its colours, text
    style and background over its ancestors', and blank rows under the first when the
    widget is taller (a line that may wrap onto a second row but fits on one). A widget
    with padding or a border, text on more than one row, or a text selection in it,
    takes Textual's path. (The styles' update counts it keys on are private: read
    through `widgets/internals.py`.)
    """

    def render_lines(self, crop: Region) -> list[Strip]:
        width, height = self.size
        visual = self.render()
        if (
            not _LINE_PAINT
            or not height
            or not isinstance(visual, (Text, Content))
            or self.styles.gutter
            or self.styles.opacity < 1
            or self.text_selection is not None
            or (height > 1 and not _fits_one_row(visual, width))
            or (isinstance(visual, Content) and visual.cell_length > width)
        ):
            return super().render_lines(crop)
        if isinstance(visual, Text):
            segments, used, background = self._text_segments(visual, width)
        else:
            segments, used, background = self._content_segments(visual)
        if (room := width - used) > 0:
            segments.append(Segment(" " * room, RichStyle(bgcolor=background)))
        rows = [Strip(segments, width)]
        if height > 1:
            # As Textual pads a visual to the widget's height: blank in the widget's style.
            rows.append(Strip.blank(width, self.visual_style.rich_style))
        under = Color.from_rich_color(background)
        for line_filter in self.get_line_filters():
            rows = [strip.apply_filter(line_filter, under) for strip in rows]
        x1, x2 = crop.column_span
        first, blank = rows[0].crop(x1, x2), rows[-1].crop(x1, x2)
        return [first if y == 0 else blank for y in crop.line_range]

    def _text_segments(self, text: Text, width: int) -> tuple[list[Segment], int, Any]:
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
        return segments, line.cell_len, style.bgcolor

    def _content_segments(self, content: Content) -> tuple[list[Segment], int, Any]:
        # As Textual draws a line of content: each piece over the widget's style.
        base = self.visual_style
        segments: list[Segment] = []
        x = 0
        for text, style in content.render(base, end="", parse_style=style_parser(self)):
            segments.append(Segment(text, (base + style).rich_style_with_offset(x, 0)))
            x += len(text)
        return segments, content.cell_length, base.background_style.rich_style.bgcolor

    _kept_style: tuple[tuple[object, ...], RichStyle] | None = None
    """The last `rich_style` and what it was worked out from."""

    def _line_style(self) -> RichStyle:
        # `rich_style` walks every ancestor's rules; it changes only when one of their
        # styles (their update counts cover rules, classes and pseudo-classes) or the
        # theme does.
        key = styles_key(self)
        if self._kept_style is None or self._kept_style[0] != key:
            self._kept_style = (key, self.rich_style)
        return self._kept_style[1]


def _fits_one_row(visual: Text | Content, width: int) -> bool:
    """Whether `visual` is drawn on one row of `width` cells, whatever its wrapping."""
    plain = visual.plain
    return "\n" not in plain and cell_len(plain) <= width


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

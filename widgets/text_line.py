"""One line of plain text that repaints without asking the screen for a new layout.

`Static.update` always re-lays out the screen (its size might change); a line that
changes every second (a countdown) would reflow the whole dashboard every second.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    (or a `Text` whose rows the widget gives, `wrapped_rows`) straight into strips.

    Textual's general path (a visual, its strips, then the styled line) costs about a
    third of a millisecond for a single row and more for a wrapped one; the clock's
    lines, the pinned error's age and the "Next:" line are repainted every second. This
    draws the same cells from the widget's own style: its colours, text style and
    background over its ancestors', and blank rows under the text when the widget is
    taller; only the rows asked for are painted (a repaint of the age's row paints that
    row). A widget with padding or a border, text on more rows it does not give, or a
    text selection in it, takes Textual's path. (The styles' update counts it keys on
    are private: read through `widgets/internals.py`.)
    """

    def wrapped_rows(self, visual: Text, width: int) -> list[tuple[int, Text]] | None:
        """The rows `visual` takes at `width` when it does not fit on one, each with the
        offset in `visual` it starts at; None leaves such a visual to Textual's path.

        A widget that wraps its own text says how here; `textual_wrap` wraps as Textual
        would for the widget's styles.
        """
        del visual, width
        return None

    def textual_wrap(self, visual: Text, width: int) -> list[tuple[int, Text]] | None:
        """`visual` wrapped at `width` as Textual wraps it for this widget's styles (its
        `Content.wrap`, left-aligned); None for a wrap Textual does some other way."""
        styles = self.styles
        if styles.text_wrap != "wrap" or styles.text_align not in ("left", "start"):
            return None
        content = Content.from_rich_text(visual, console=self.app.console)
        rows: list[tuple[int, Text]] = []
        plain, start = visual.plain, 0
        for row in content.wrap(width, overflow=styles.text_overflow):
            start = plain.find(row.plain, start)
            if start < 0 or row.cell_length > width:
                return None
            rows.append((start, visual[start : start + len(row.plain)]))
            start += len(row.plain)
        return rows

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
            or (isinstance(visual, Content) and visual.cell_length > width)
        ):
            return super().render_lines(crop)
        rows: Sequence[tuple[int, Text | Content]] = [(0, visual)]
        if height > 1 and not _fits_one_row(visual, width):
            wrapped = self.wrapped_rows(visual, width) if isinstance(visual, Text) else None
            if not wrapped:
                return super().render_lines(crop)
            rows = wrapped
        # Only the rows asked for are painted: a repaint of one row (the age, the
        # countdown) asks for that row alone.
        filters = self.get_line_filters()
        under: Color | None = None
        x1, x2 = crop.column_span
        lines: list[Strip] = []
        for y in crop.line_range:
            if y < len(rows) and y < height:
                start, row = rows[y]
                if isinstance(row, Text):
                    segments, used, background = self._text_segments(row, width, start)
                else:
                    segments, used, background = self._content_segments(row)
                if (room := width - used) > 0:
                    segments.append(Segment(" " * room, RichStyle(bgcolor=background)))
                strip = Strip(segments, width)
            else:
                # As Textual pads a visual to the widget's height: blank in its style.
                strip = Strip.blank(width, self.visual_style.rich_style)
                background = self._line_style().bgcolor
            if filters:
                under = under or Color.from_rich_color(background)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, under)
            lines.append(strip.crop(x1, x2))
        return lines

    def _text_segments(
        self, text: Text, width: int, start: int = 0
    ) -> tuple[list[Segment], int, Any]:
        style = self._line_style()
        line = text.copy()
        line.truncate(width, overflow=line.overflow or "fold")
        segments: list[Segment] = []
        x = start
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

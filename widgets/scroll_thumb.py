"""Scrollbar thumbs drawn in whole cells, so a scrollbar never draws a graph's glyphs.

Textual draws a thumb's ends in eighths of a cell with the block glyphs ▁▂▃▄▅▆▇ (and
▉▊▋▌▍▎▏ across). On this dashboard those glyphs mean data: a help list's thumb
ending in `▃▃` beside "Resolve" reads as a metric graph showing through the dialog.
Whole-cell thumbs move in steps of a cell instead, and only graphs draw bars.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender


class WholeCellThumb(ScrollBarRender):
    """Textual's scrollbar renderer with no fractional ends: set as `ScrollBar.renderer`.

    A blank end glyph is Textual's own "no partial cell here" case: the thumb covers
    the cells from the one its start falls in up to the one its end falls in.
    """

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * len(ScrollBarRender.VERTICAL_BARS)
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * len(ScrollBarRender.HORIZONTAL_BARS)


def use_whole_cell_thumbs() -> Callable[[], None]:
    """Make every scrollbar draw whole-cell thumbs; returns the function that undoes it.

    `ScrollBar.renderer` is Textual's public switch for this, and it is process-wide:
    the app undoes it when it ends, so another app in the same process (a test's
    harness) draws Textual's own thumbs.
    """
    before = ScrollBar.renderer
    ScrollBar.renderer = WholeCellThumb

    def undo() -> None:
        ScrollBar.renderer = before

    return undo

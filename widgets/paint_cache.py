"""A widget that hands back its last painted lines while nothing about them changed.

Every frame, the compositor asks each widget under the updated area for its lines, even
one whose own content did not change (a pane border under a ticking clock). Textual
keeps the styled lines, but still works out colours, regions and filters for every such
widget on every frame. `PaintCache` returns the lines of its previous paint instead,
for as long as the widget was not marked dirty (any `refresh`, style or size change
marks it) and the crop, size, theme and line filters are the same. That is the rule
Textual's own line cache follows; the lines it keeps are the same.

A scrolling widget's scrollbars keep their lines too, for as long as they would draw
the same cells (see `_ScrollBar`).

The private Textual parts this needs (the notice of a repaint request, the scrollbar
slots, the styles' update counts) are reached through `widgets/internals.py`; with
its hooks off, widgets paint as stock Textual does. What each buys in idle CPU is
listed with the hooks' names there (`HOOKS`).
"""

from __future__ import annotations

from math import ceil
from typing import Any

from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarCorner, ScrollBarRender
from textual.strip import Strip

from warroom.widgets.internals import RepaintWatch, enabled, own_scrollbar, styles_key

_PAINT_CACHE = enabled("paint_cache")
_SCROLLBAR_CACHE = enabled("scrollbar_cache")


class PaintCache(RepaintWatch):
    """Mix in before the widget's base class: `class Pane(PaintCache, Vertical)`."""

    _painted: tuple[Any, list[Strip]] | None = None
    """The key of the last paint and its lines."""

    def repaint_requested(self) -> None:
        self._painted = None

    def render_lines(self, crop: Region) -> list[Strip]:
        if not _PAINT_CACHE:
            return super().render_lines(crop)
        app = self.app
        key = (crop, self.outer_size, app.theme, app.ansi_color, *self.get_line_filters())
        painted = self._painted
        if painted is not None and painted[0] == key:
            return painted[1]
        lines = super().render_lines(crop)
        self._painted = (key, lines)
        return lines

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        if not _SCROLLBAR_CACHE:
            return super().vertical_scrollbar
        return own_scrollbar(
            self,
            "vertical",
            lambda: _ScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            ),
        )

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        if not _SCROLLBAR_CACHE:
            return super().horizontal_scrollbar
        return own_scrollbar(
            self,
            "horizontal",
            lambda: _ScrollBar(
                vertical=False, name="horizontal", thickness=self.scrollbar_size_horizontal
            ),
        )

    @property
    def scrollbar_corner(self) -> ScrollBarCorner:
        if not _SCROLLBAR_CACHE:
            return super().scrollbar_corner
        return own_scrollbar(self, "corner", _ScrollBarCorner)


class _ScrollBar(ScrollBar):
    """A scrollbar that keeps its lines while it would draw the same cells.

    Textual repaints a scrolling pane's scrollbar on every frame that touches the pane
    (the Runbook's and the Metrics pane's did, about once a second while idle), and a
    followed log moves its scrollbar with every batch of lines, yet the thumb mostly
    stays on the same cells. The lines are kept for as long as the thumb's cells
    (worked out as Textual's scrollbar renderer does, in eighths of a cell), the
    renderer, the hover and grab state, and the styles of the bar and everything above
    it are the same.
    """

    _drawn: tuple[tuple[object, ...], list[Strip]] | None = None
    """What the last paint showed, and its lines."""

    def __init__(
        self, vertical: bool = True, name: str | None = None, *, thickness: int = 1
    ) -> None:
        super().__init__(vertical, name, thickness=thickness)
        self.display = False  # until the layout finds something to scroll

    def render_lines(self, crop: Region) -> list[Strip]:
        look = (
            self._thumb(),
            self.renderer,
            self.thickness,
            self.grabbed,
            self.mouse_over,
            crop,
            self.outer_size,
            self.app.ansi_color,
            *self.get_line_filters(),
            *styles_key(self),
        )
        drawn = self._drawn
        if drawn is not None and drawn[0] == look:
            return drawn[1]
        lines = super().render_lines(crop)
        self._drawn = (look, lines)
        return lines

    def _thumb(self) -> tuple[int, int] | None:
        """The thumb's first and last eighth of a cell; None when there is no thumb."""
        width, height = self.outer_size
        size = height if self.vertical else width
        virtual = ceil(self.window_virtual_size)
        window = ceil(self.window_size if self.window_size < self.window_virtual_size else 0)
        if not (window and size and virtual and size != virtual):
            return None
        thumb = max(1, window / (virtual / size))
        offset = (size - thumb) * (self.position / (virtual - window))
        start = int(offset * _EIGHTHS)
        return start, start + ceil(thumb * _EIGHTHS)


_EIGHTHS = len(ScrollBarRender.VERTICAL_BARS)
"""Textual draws a thumb's ends in eighths of a cell."""


class _ScrollBarCorner(PaintCache, ScrollBarCorner):
    """The corner between two scrollbars, likewise."""

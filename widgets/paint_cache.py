"""A widget that hands back its last painted lines while nothing about them changed.

Every frame, the compositor asks each widget under the updated area for its lines, even
one whose own content did not change (a pane border under a ticking clock). Textual
keeps the styled lines, but still works out colours, regions and filters for every such
widget on every frame. `PaintCache` returns the lines of its previous paint instead,
for as long as the widget was not marked dirty (any `refresh`, style or size change
marks it) and the crop, size, theme and line filters are the same. That is the rule
Textual's own line cache follows; the lines it keeps are the same.

A scrolling widget's scrollbars keep their lines the same way.

This overrides Textual's private `_set_dirty` and starts scrollbars the way Textual
does (`_start_widget`), which is safe only because Textual is pinned to one version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.geometry import Region, Size
from textual.scrollbar import ScrollBar, ScrollBarCorner
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    # A plain mixin at run time: Textual follows a widget's first DOM base class for
    # its default CSS, which must stay the widget's own base (`Vertical`, `ScrollView`).
    _Base = object


class PaintCache(_Base):
    """Mix in before the widget's base class: `class Pane(PaintCache, Vertical)`."""

    _painted: tuple[Any, list[Strip]] | None = None
    """The key of the last paint and its lines."""

    def _set_dirty(self, *regions: Region) -> None:
        # Every repaint request (refresh, style change, scroll, resize) comes through
        # here: the lines painted before are stale from now on.
        self._painted = None
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
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
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = _ScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            self._start_bar(self._vertical_scrollbar)
        return self._vertical_scrollbar

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        if self._horizontal_scrollbar is None:
            self._horizontal_scrollbar = _ScrollBar(
                vertical=False, name="horizontal", thickness=self.scrollbar_size_horizontal
            )
            self._start_bar(self._horizontal_scrollbar)
        return self._horizontal_scrollbar

    def _start_bar(self, bar: ScrollBar) -> None:
        bar.display = False  # until the layout finds something to scroll
        self.app._start_widget(self, bar)

    @property
    def scrollbar_corner(self) -> ScrollBarCorner:
        corner = self._scrollbar_corner
        if corner is None:
            corner = _ScrollBarCorner()
            self._scrollbar_corner = corner
            self.app._start_widget(self, corner)
        return corner


class _ScrollBar(PaintCache, ScrollBar):
    """A scrollbar that keeps its lines (it repaints under every change beside it)."""


class _ScrollBarCorner(PaintCache, ScrollBarCorner):
    """The corner between two scrollbars, likewise."""


class SizedScrollbars(_Base):
    """For a `ScrollView`: its scrollbars are sized again only when what they show changed.

    After every layout of the screen (a toast's too), Textual gives each widget its size
    with the region's content size as the virtual size. A scroll view keeps its own
    virtual size, so the two always differ, and Textual sizes and repaints the view's
    scrollbars after every layout. This hands Textual the view's own virtual size once
    the scrollbars were sized for it, so only a change of size, container or content
    sizes them again.
    """

    _scrollbars_for: Size | None = None
    """The virtual size the scrollbars were last sized for."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        own = self.virtual_size
        if self._scrollbars_for == own:
            virtual_size = own
        self._scrollbars_for = own
        return super()._size_updated(size, virtual_size, container_size, layout)

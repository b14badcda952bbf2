"""A widget that hands back its last painted lines while nothing about them changed.

Every frame, the compositor asks each widget under the updated area for its lines, even
one whose own content did not change (a pane border under a ticking clock). Textual
keeps the styled lines, but still works out colours, regions and filters for every such
widget on every frame. `PaintCache` returns the lines of its previous paint instead,
for as long as the widget was not marked dirty (any `refresh`, style or size change
marks it) and the crop, size, theme and line filters are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.geometry import Region
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
        key = (crop, self.region.size, app.theme, app.ansi_color, *self.get_line_filters())
        painted = self._painted
        if painted is not None and painted[0] == key:
            return painted[1]
        lines = super().render_lines(crop)
        self._painted = (key, lines)
        return lines

"""A widget that hands back its last painted lines while nothing about them changed.

Every frame, the compositor asks each widget under the updated area for its lines, even
one whose own content did not change (a pane border under a ticking clock). Textual
keeps the styled lines, but still works out colours, regions and filters for every such
widget on every frame. `PaintCache` returns the lines of its previous paint instead,
for as long as the widget was not marked dirty (any `refresh`, style or size change
marks it) and the crop, size, theme and line filters are the same. That is the rule
Textual's own line cache follows; the lines it keeps are the same.

Textual gives no public notice of a repaint request, so this hears of them through
`widgets/internals.py` (`RepaintWatch`); with its hooks off, widgets paint as stock
Textual does.

What it buys (benchmarks/idle_hooks.py, the demo idling 60 s, medians of 3 interleaved
rounds on a shared 2-core machine): idle CPU 1.73% of a core with it, 1.91% without,
2.27% with every hook off. Within the noise of one round (±0.4), but the largest
share of what the hooks together buy; the scrollbar cache and the one-row strip
painting, measured the same way, bought nothing (+0.10, -0.05) and were removed.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
from textual.strip import Strip

from warroom.widgets.internals import RepaintWatch, enabled

_PAINT_CACHE = enabled("paint_cache")


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

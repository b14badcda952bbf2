"""A dashboard pane: a bordered, titled container that `z` may maximize.

Also the plain containers the dashboard lays its panes out with. They repaint under
every change of a pane inside them, so they keep their painted lines (`PaintCache`).
"""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Container, Horizontal, Vertical

from warroom.widgets.paint_cache import PaintCache


class Pane(PaintCache, Vertical):
    """One of the five panes; its border title names it."""

    ALLOW_MAXIMIZE: ClassVar[bool | None] = True


class Row(PaintCache, Horizontal):
    """Panes side by side."""


class Column(PaintCache, Vertical):
    """Panes one above the other."""


class Stack(PaintCache, Container):
    """Panes laid out by the stylesheet (a column, or a grid on a wide screen)."""

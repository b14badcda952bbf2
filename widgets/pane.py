"""A dashboard pane: a bordered, titled container that `z` may maximize."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical

from widgets.paint_cache import PaintCache


class Pane(PaintCache, Vertical):
    """One of the five panes; its border title names it."""

    ALLOW_MAXIMIZE: ClassVar[bool | None] = True

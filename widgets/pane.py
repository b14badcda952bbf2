"""A dashboard pane: a bordered, titled container that `z` may maximize."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical


class Pane(Vertical):
    """One of the five panes; its border title names it."""

    ALLOW_MAXIMIZE: ClassVar[bool | None] = True

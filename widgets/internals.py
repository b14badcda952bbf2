"""The one door to Textual's private internals.

Every hook that reads or overrides something private in Textual lives here (or is
switched on from here), so a maintainer finds them in one place. Each is enabled only
on the Textual version it was written against; on any other version warroom uses
Textual's stock behaviour.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.geometry import Region
    from textual.screen import Screen
    from textual.strip import Strip
    from textual.widget import Widget

    _WidgetBase = Widget
else:
    # Mixins are plain classes at run time: Textual follows a widget's first DOM base
    # class for its default CSS, which must stay the widget's own base.
    _WidgetBase = object

WRITTEN_FOR = "8.2.8"
"""The Textual release every private hook here was read from and tested against."""


def _installed() -> str:
    try:
        return version("textual")
    except PackageNotFoundError:  # pragma: no cover - textual is a dependency
        return ""


INSTALLED = _installed()
"""The Textual version installed now."""

HOOKS_ENABLED = INSTALLED == WRITTEN_FOR and not os.environ.get("WARROOM_STOCK_TEXTUAL")
"""Whether the private hooks are used: only on the version they were written for, and
not when `WARROOM_STOCK_TEXTUAL` is set (to compare against stock Textual)."""

HOOKS = ("paint_cache", "quiet_driver")
"""The hooks by name, for `WARROOM_HOOKS_OFF` (a benchmark turns them off one by one).

benchmarks/idle_hooks.py, the demo idling 60 s, medians of 3 interleaved rounds: idle
CPU 1.73% of a core with every hook, 2.27% with none; without `paint_cache` 1.91%
(see widgets/paint_cache.py), without `quiet_driver` (tui/driver.py) 1.61%: the quiet
driver bought nothing measurable here."""

_OFF = frozenset(os.environ.get("WARROOM_HOOKS_OFF", "").replace(",", " ").split())


def enabled(hook: str) -> bool:
    """Whether the named hook is used: hooks are on, and it is not in `WARROOM_HOOKS_OFF`."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}; known: {', '.join(HOOKS)}")
    return HOOKS_ENABLED and hook not in _OFF


def painted_lines(screen: Screen[object]) -> list[Strip]:
    """What the terminal shows while `screen` is on top: every row, as Textual composes it.

    Textual offers the composed screen only as an SVG screenshot; tests that look at
    cells (is a graph glyph inside a dialog?) read its compositor here instead.
    """
    return list(screen._compositor.render_strips())


class RepaintWatch(_WidgetBase):
    """A mixin told of every repaint request, so a cache of painted lines can drop them.

    Every request (a refresh, a style change, a scroll, a resize) reaches Textual's
    private `_set_dirty`; Textual has no public notice of it. With the hooks off this
    adds nothing and `repaint_requested` is never called.
    """

    def repaint_requested(self) -> None:
        """The widget will be painted again: what was painted before is stale."""

    if HOOKS_ENABLED:

        def _set_dirty(self, *regions: Region) -> None:
            self.repaint_requested()
            super()._set_dirty(*regions)

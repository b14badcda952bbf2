"""The theme names a config's `ui.theme` and `--theme` may take.

The config is validated in services, which may not import Textual or the themes; the
composition root knows both, so it hands the names to the loader.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES

from warroom.themes import THEMES


def theme_names() -> frozenset[str]:
    """warroom's own themes and Textual's built-in ones (all the app registers)."""
    return frozenset(theme.name for theme in THEMES) | frozenset(BUILTIN_THEMES)

"""Colours: Textual themes for warroom. Nothing else in the project names a colour."""

from warroom.themes.palette import DEFAULT_THEME, THEMES

__all__ = ["DEFAULT_THEME", "THEMES"]

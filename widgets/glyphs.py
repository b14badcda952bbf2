"""The symbols the widgets put beside words: state glyphs and trend arrows.

The engine says what a state or a trend is in words and numbers; how it is drawn is
presentation, so the glyphs live here, one table for every widget. A glyph always
goes with a word: colour and symbols are never the only signal.
"""

from __future__ import annotations

from warroom.services.health.state_words import state_words
from warroom.services.health.status import EndpointStatus

STATE_GLYPHS = {
    "pending": "…",
    "up": "✔",
    "warn": "▲",
    "down": "✖",
    "stale": "◌",
    "flapping": "⇅",
}
"""An endpoint state's key (`StateWords.key`) -> a one-cell symbol."""

TREND_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}
"""A trend's direction (`metrics.sampler.trend_direction`) -> its arrow."""

NO_DATA = "--"
"""What a figure with no current value reads: never the last good value."""


def endpoint_label(status: EndpointStatus) -> str:
    """ "✔ UP · 1 of 3 failing · 500": the glyph and the one wording of the state."""
    words = state_words(status)
    return f"{STATE_GLYPHS.get(words.key, '?')} {words.text}"

"""A number drawn as large as its box allows: block digits that grow with the room.

Textual's `Digits` are always three rows tall; on a projector at 300x80 that is a
fraction of the screen. `BigNumber` draws a five-row block font scaled by the largest
whole factor that fits its size, falls back to the three-row digits in a small box,
and to plain bold text in a one-row box, so the same widget serves 80x24 and 300x80.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widget import Widget

FONT: dict[str, tuple[str, ...]] = {
    "0": ("███", "█ █", "█ █", "█ █", "███"),
    "1": (" █ ", "██ ", " █ ", " █ ", "███"),
    "2": ("███", "  █", "███", "█  ", "███"),
    "3": ("███", "  █", " ██", "  █", "███"),
    "4": ("█ █", "█ █", "███", "  █", "  █"),
    "5": ("███", "█  ", "███", "  █", "███"),
    "6": ("███", "█  ", "███", "█ █", "███"),
    "7": ("███", "  █", "  █", "  █", "  █"),
    "8": ("███", "█ █", "███", "█ █", "███"),
    "9": ("███", "█ █", "███", "  █", "███"),
    ":": (" ", "█", " ", "█", " "),
    ".": (" ", " ", " ", " ", "█"),
    "-": ("   ", "   ", "███", "   ", "   "),
    "+": ("   ", " █ ", "███", " █ ", "   "),
    " ": ("  ", "  ", "  ", "  ", "  "),
}
"""A five-row block font: every character a figure or a clock needs."""

FONT_ROWS = 5
DIGITS_ROWS = 3
"""Rows of Textual's own digits, the fallback below `FONT_ROWS`."""


def _glyph(char: str) -> tuple[str, ...]:
    return FONT.get(char, FONT["-"] if char in "−–" else FONT[" "])


def big_width(text: str, scale: int) -> int:
    """Cells `text` takes in the block font at `scale` (a gap of one cell per scale)."""
    if not text:
        return 0
    return sum(len(_glyph(c)[0]) * scale for c in text) + (len(text) - 1) * scale


def big_lines(text: str, scale: int) -> list[str]:
    """`text` in the block font, each cell repeated `scale` times across and down."""
    rows: list[str] = []
    gap = " " * scale
    for row in range(FONT_ROWS):
        line = gap.join("".join(cell * scale for cell in _glyph(c)[row]) for c in text)
        rows.extend([line] * scale)
    return rows


def fit_scale(text: str, width: int, height: int) -> int:
    """The largest scale at which `text` fits `width` x `height`; 0 when not even 1 does."""
    scale = 0
    while big_width(text, scale + 1) <= width and FONT_ROWS * (scale + 1) <= height:
        scale += 1
    return scale


class BigNumber(Widget):
    """A figure (a clock, a countdown, a value) as large as the widget's box allows."""

    DEFAULT_CSS = """
    BigNumber { height: 1fr; min-height: 1; text-style: bold; }
    """

    value: reactive[str] = reactive("--")
    """The figure to draw: digits, ":", ".", "-", "+" (anything else is a space)."""

    def _fits_digits(self) -> bool:
        value = self.value
        return self.size.height >= DIGITS_ROWS and DigitsRenderable.get_width(value) <= (
            self.size.width
        )

    def drawn_large(self) -> bool:
        """Whether the value is drawn in block or three-row digits, not as plain text
        (a box too small for them): the one case where a plain copy says something."""
        value = self.value
        return fit_scale(value, *self.size) > 0 or self._fits_digits()

    def render(self) -> RenderableType:
        width, height = self.size.width, self.size.height
        value = self.value
        scale = fit_scale(value, width, height)
        if scale:
            return Text("\n".join(big_lines(value, scale)), no_wrap=True, end="")
        if self._fits_digits():
            return DigitsRenderable(value.replace("−", "-"))
        return Text(value, no_wrap=True, overflow="ellipsis", end="")

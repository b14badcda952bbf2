"""One line of plain text that repaints without asking the screen for a new layout.

`Static.update` always re-lays out the screen (its size might change); a line that
changes every second (a countdown) would reflow the whole dashboard every second.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from warroom.widgets.paint_cache import PaintCache


class TextLine(PaintCache, Widget):
    """A single row of untrusted-safe text: a `Text`, never parsed as markup."""

    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    text: reactive[Text] = reactive(Text, layout=False)
    """What the line shows; cut with an ellipsis when the pane is narrower."""

    def __init__(self, text: Text | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        if text is not None:
            self.set_reactive(TextLine.text, text)

    @property
    def content(self) -> str:
        """The plain text shown."""
        return self.text.plain

    def render(self) -> Text:
        line = self.text.copy()
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

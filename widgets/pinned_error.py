"""The Error log's first line: the newest ERROR-or-worse line, in full, with its age.

When an error is followed by a burst of INFO lines it scrolls out of a small pane, and
"what was the last auth error?" had no answer on screen. This line keeps it, whatever
came after, wrapped so that it reads in full. Its text is untrusted and drawn plain.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import Reactive, reactive
from textual.strip import Strip
from textual.widget import Widget

from warroom.services.logs.lines import LogLine
from warroom.services.sanitize import clean
from warroom.services.stamps import age_text, split_stamp
from warroom.widgets.text_line import LinePaint
from warroom.widgets.words import EN, say

_DIGIT = re.compile(r"[0-9]")


def _same_but_digits(a: str, b: str) -> bool:
    """Whether `a` and `b` differ only in which digits they show (an age's figures):
    each digit takes one cell, so both wrap into the same rows."""
    return len(a) == len(b) and _DIGIT.sub("0", a) == _DIGIT.sub("0", b)


def pinned_text(
    line: LogLine | None, at: datetime | None, now: datetime | None, lang: str = EN
) -> str:
    """The words of the pinned line: "last error 3m10s ago: ERROR auth-api: login failed"."""
    if line is None:
        return say("no ERROR lines yet", lang)
    _, rest = split_stamp(clean(line.text))
    if at is None or now is None:
        return say("last error: {line}", lang).format(line=rest)
    if at.tzinfo is None or now.tzinfo is None:
        at, now = at.replace(tzinfo=None), now.replace(tzinfo=None)
    age = age_text(max(0.0, (now - at).total_seconds()))
    if age == "now":
        return say("last error now: {line}", lang).format(line=rest)
    return say("last error {age} ago: {line}", lang).format(age=age, line=rest)


class PinnedError(LinePaint, Widget):
    """The newest ERROR-or-worse line matching the filter, wrapped in full, with its age."""

    DEFAULT_CSS = """
    /* Up to three quarters of the pane: at 80x24 the log column is 36 cells, and a
       login failure with its user, reason and request id takes five rows of it. */
    PinnedError {
        height: auto;
        max-height: 75%;
        color: $text-muted;
        &.-error { color: $error; text-style: bold; }
    }
    """

    # The clock hands `now` down every second, and a new error comes with its own
    # `at`: the line repaints only when its words change (an age shown in minutes and
    # hours changes less often than the clock), and asks for a new layout only when
    # its words take another number of rows.
    # Textual gives a widget its content's size as `virtual_size`, and a change of it
    # asks for a second layout after the one that resized the line; nothing scrolls
    # here, so the first layout placed everything.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    line: reactive[LogLine | None] = reactive(None, repaint=False)
    """The line to pin; None before the first error."""
    at: reactive[datetime | None] = reactive(None, repaint=False)
    """When it was written (its own timestamp) or arrived."""
    now: reactive[datetime | None] = reactive(None, repaint=False)
    """The wall time now, for the age."""

    def __init__(self, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        """The language of the line's own words (the runbook's); the log line stays as written."""
        self._shown = pinned_text(None, None, None, lang)
        """The words painted last (or about to be)."""
        self._wrapped: dict[tuple[str, int], list[tuple[int, Text]]] = {}
        """The last wrappings of the words, by words and width (see `_wrap`)."""
        self._painted: tuple[str, int, Style | None, list[Strip]] = ("", -1, None, [])
        """The rows of `_shown` as painted: words, width, style, one strip per row."""

    def watch_line(self, line: LogLine | None) -> None:
        self.set_class(line is not None, "-error")
        self._follow()

    def watch_at(self) -> None:
        self._follow()

    def watch_now(self) -> None:
        self._follow()

    def _follow(self) -> None:
        """Repaint the rows whose words changed; lay out again if they take another height."""
        text = pinned_text(self.line, self.at, self.now, self.lang)
        if text == self._shown:
            return
        shown, self._shown = self._shown, text
        width, height = self.size
        if width and _same_but_digits(text, shown):
            # Only figures of the age changed: digits for digits wrap the same, and only
            # the rows holding the age are painted again (each second, the first row).
            before = self._rows(shown, width)
            after = self._rows(text, width)
            for y, (old, new) in enumerate(zip(before, after, strict=False)):
                if old != new:
                    self.refresh(Region(0, y, width, 1))
            return
        # No padding or border: the content's rows are the widget's height, unless
        # max-height cuts them (then a layout is asked for that changes nothing).
        rows = len(self._rows(text, width)) if width else -1
        self.refresh(layout=rows != height)

    def _wrap(self, text: str, width: int) -> list[tuple[int, Text]]:
        """`text` wrapped at `width`, a row each with the offset it starts at: how it is
        measured and painted alike.

        Each second the new words are compared with the last ones, measured and painted:
        the last two wrappings are kept, so each is made once; words that differ from
        a kept wrapping only in digits (the age) are cut where that one was.
        """
        key = (text, width)
        rows = self._wrapped.get(key)
        if rows is None:
            rows = self._recut(text, width) or self._wrap_words(text, width)
            if len(self._wrapped) >= 2:
                del self._wrapped[next(iter(self._wrapped))]
            self._wrapped[key] = rows
        return rows

    def _wrap_words(self, text: str, width: int) -> list[tuple[int, Text]]:
        rows: list[tuple[int, Text]] = []
        start = 0
        for line in Text(text).wrap(self.app.console, max(1, width)):
            line.rstrip()  # the space a row was broken at is not painted
            start = max(start, text.find(line.plain, start))
            rows.append((start, line))
            start += len(line.plain)
        return rows

    def _recut(self, text: str, width: int) -> list[tuple[int, Text]] | None:
        """`text` cut as a kept wrapping of the same words with other digits was: no
        wrapping needed."""
        for (kept, kept_width), rows in self._wrapped.items():
            if kept_width == width and _same_but_digits(kept, text):
                return [(start, Text(text[start : start + len(row.plain)])) for start, row in rows]
        return None

    def _rows(self, text: str, width: int) -> list[str]:
        return [line.plain for _, line in self._wrap(text, width)]

    def wrapped_rows(self, visual: Text, width: int) -> list[tuple[int, Text]] | None:
        # Painted straight into strips (see `LinePaint`): the rows as measured.
        del visual
        return self._wrap(self._shown, width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._rows(self._shown, width)))

    def render_line(self, y: int) -> Strip:
        # Line by line (Textual's line API), so a repaint of the age's row paints one row.
        width = self.size.width
        style = self.rich_style
        text, painted_width, painted_style, rows = self._painted
        if (text, painted_width, painted_style) != (self._shown, width, style):
            console = self.app.console
            pad = Style(bgcolor=style.bgcolor)  # the words' colour and weight stop with them
            rows = [
                Strip(line.render(console)).apply_style(style).extend_cell_length(width, pad)
                for _, line in self._wrap(self._shown, width)
            ]
            self._painted = (self._shown, width, style, rows)
        if y < len(rows):
            return rows[y].crop(0, width)
        return Strip.blank(width, style)

    def render(self) -> Text:
        return Text(self._shown)

"""The Error log's first line: the newest ERROR-or-worse line, in full, with its age.

When an error is followed by a burst of INFO lines it scrolls out of a small pane, and
"what was the last auth error?" had no answer on screen. This line keeps it, whatever
came after, wrapped so that it reads in full. Its text is untrusted and drawn plain.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive, reactive
from textual.widget import Widget

from warroom.services.logs.lines import LogLine
from warroom.services.sanitize import clean
from warroom.services.stamps import age_text, split_stamp
from warroom.widgets.words import EN, say

_DIGIT = re.compile(r"[0-9]")


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


class PinnedError(Widget):
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

    def watch_line(self, line: LogLine | None) -> None:
        self.set_class(line is not None, "-error")
        self._follow()

    def watch_at(self) -> None:
        self._follow()

    def watch_now(self) -> None:
        self._follow()

    def _follow(self) -> None:
        """Repaint if the words changed; lay out again if they take another height."""
        text = pinned_text(self.line, self.at, self.now, self.lang)
        if text == self._shown:
            return
        shown, self._shown = self._shown, text
        if _DIGIT.sub("0", text) == _DIGIT.sub("0", shown):
            # Only figures of the age changed: digits for digits wrap the same.
            self.refresh()
            return
        # No padding or border: the content's rows are the widget's height, unless
        # max-height cuts them (then a layout is asked for that changes nothing).
        width, height = self.size
        rows = len(Content(text).wrap(width)) if width else -1
        self.refresh(layout=rows != height)

    def render(self) -> Text:
        self._shown = pinned_text(self.line, self.at, self.now, self.lang)
        return Text(self._shown)

"""The Error log's first line: the newest ERROR-or-worse line, in full, with its age.

When an error is followed by a burst of INFO lines it scrolls out of a small pane, and
"what was the last auth error?" had no answer on screen. This line keeps it, whatever
came after, wrapped so that it reads in full. Its text is untrusted and drawn plain.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from warroom.services.logs.lines import LogLine
from warroom.services.sanitize import clean
from warroom.services.stamps import age_text, split_stamp
from warroom.widgets.words import EN, say


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

    line: reactive[LogLine | None] = reactive(None, layout=True)
    """The line to pin; None before the first error."""
    at: reactive[datetime | None] = reactive(None)
    """When it was written (its own timestamp) or arrived."""
    now: reactive[datetime | None] = reactive(None)
    """The wall time now, for the age."""

    def __init__(self, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        """The language of the line's own words (the runbook's); the log line stays as written."""

    def watch_line(self, line: LogLine | None) -> None:
        self.set_class(line is not None, "-error")

    def render(self) -> Text:
        return Text(pinned_text(self.line, self.at, self.now, self.lang))

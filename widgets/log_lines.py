"""One log item as the Error log pane draws it: its text, its rows, its styled segments.

Pure functions of the item, the clock and the styles, so the pane (`log_view.py`)
keeps only its state, scrolling and messages. Text is cleaned once more here and
drawn as plain segments, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import LogEvent, LogItem, LogLine
from warroom.services.sanitize import clean
from warroom.services.stamps import compact_time, split_stamp, zone_name

ERROR_LEVELS = frozenset({"error", "critical"})
"""Levels the pane pins: the newest such line stays on its first row."""

LEVEL_CLASSES = {
    "critical": "log-view--critical",
    "error": "log-view--error",
    "warning": "log-view--warning",
    "info": "log-view--info",
    "debug": "log-view--debug",
}
"""The component class that colours each level."""


def wrap_offsets(text: str, first: int, rest: int) -> list[int]:
    """Cell offsets where each row of `text` starts: a row of `first` cells, then `rest`.

    Breaks after a space where there is one (words stay whole); a word longer than a row,
    or a line that is not plain ASCII, is cut at the row's edge.
    """
    total = cell_len(text)
    first, rest = max(1, first), max(1, rest)
    if total <= first:
        return [0]
    offsets = [0]
    start, limit = 0, first
    words = text.isascii()
    while total - start > limit:
        end = start + limit
        cut = end
        if words:
            space = text.rfind(" ", start + 1, end + 1)
            if space > start:
                cut = space + 1
        offsets.append(cut)
        start, limit = cut, rest
    return offsets


class ShownLine:
    """One item as drawn: its text, the width of its time column, its row starts."""

    __slots__ = ("indent", "offsets", "strip", "text")

    def __init__(self, text: str, indent: int, strip: Strip | None = None) -> None:
        self.text = text
        self.indent = indent
        self.strip = strip
        self.offsets: list[int] = [0]


Headline = tuple[LogLine | None, datetime | None, str]
"""The newest ERROR-or-worse line, its time, and the zone of the times."""


def describe_item(
    item: LogItem, *, show_source: bool, today: date | None, now: datetime | None
) -> ShownLine:
    """The text an item shows: its source (if shown), a compact time, then the rest."""
    source = f"{clean(item.source)} " if show_source else ""
    text = clean(item.text).expandtabs(4)
    if isinstance(item, LogEvent):
        return ShownLine(f"{source}── {text} ──", 0)
    at, rest = split_stamp(text, today)
    if at is None:
        return ShownLine(source + text, cell_len(source))
    time = compact_time(at, now)
    return ShownLine(f"{source}{time} {rest}", cell_len(source) + len(time) + 1)


def newest_headline(
    items: Sequence[LogItem],
    previous: Headline,
    *,
    today: date | None,
    now: datetime | None,
    arrived: bool,
) -> Headline:
    """The headline after `items`: the newest ERROR-or-worse line among them (else the
    `previous` one) and the zone of their newest timestamp. A line without a zoned
    timestamp of its own is dated `now` when it has just `arrived`."""
    line, at, zone = previous
    for item in reversed(items):
        if isinstance(item, LogLine):
            stamp, _ = split_stamp(item.text, today)
            if stamp is not None:
                zone = zone_name(stamp)
                break
    for item in reversed(items):
        if isinstance(item, LogLine) and item.level in ERROR_LEVELS:
            stamp, _ = split_stamp(item.text, today)
            line = item
            at = stamp if stamp is not None and stamp.tzinfo is not None else None
            if at is None and arrived:
                at = now
            break
    return line, at, zone


def item_strip(
    item: LogItem,
    shown: ShownLine,
    base: Style,
    style_of: Callable[[str], Style],
    log_filter: LogFilter,
    *,
    show_source: bool,
) -> Strip:
    """One item's whole line as styled segments: source, time, level colour, matches.

    `style_of` gives a component class's style (the pane's theme colours).
    """
    segments: list[Segment] = []
    text = shown.text
    if show_source:
        source = clean(item.source)
        source_style = base + style_of("log-view--source")
        segments.append(Segment(f"{source} ", source_style))
        text = text[len(source) + 1 :]
    if isinstance(item, LogEvent):
        status = base + style_of("log-view--status")
        segments.append(Segment(text, status))
        return Strip(segments)
    time_width = shown.indent - (cell_len(shown.text) - cell_len(text))
    if time_width > 0:
        time_style = base + style_of("log-view--time")
        segments.append(Segment(text[:time_width], time_style))
        text = text[time_width:]
    style = base
    if isinstance(item, LogLine) and item.level in LEVEL_CLASSES:
        style = base + style_of(LEVEL_CLASSES[item.level])
    spans = log_filter.spans(text)
    if not spans:
        segments.append(Segment(text, style))
        return Strip(segments)
    marked = style_of("log-view--match")
    # Only the background and emphasis: the level's colour stays readable.
    match = style + Style(
        bgcolor=marked.bgcolor,
        bold=marked.bold,
        italic=marked.italic,
        underline=marked.underline,
        reverse=marked.reverse,
    )
    position = 0
    for start, end in spans:
        if start > position:
            segments.append(Segment(text[position:start], style))
        segments.append(Segment(text[start:end], match))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:], style))
    return Strip(segments)

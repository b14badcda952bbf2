"""One metric as a small graph: the trend over a window, its thresholds, the deploy mark.

The title carries the current value ("--" when the latest sample failed, never the last
good one) with its trend over the window (an arrow and the signed change), its age
when older than two intervals (dimmed), min/max and unit, and the state in words
(never colour alone); a line below gives the change against the pre-deploy baseline.
The graph is drawn with block characters, one column per time bucket, with the warn
and crit levels as dashed lines and the deploy as a dotted column. It works from a
single row (title only) up; the state also colours the bars and the state word
(component classes `metric-graph--bars-crit`, `metric-graph--state-warn`). On a
narrow row the state shrinks to its glyph before the trend is cut: "is it getting
better?" is read off that row.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from textual.content import Content
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from warroom.services.metrics.series import MetricSeries, trend_direction
from warroom.services.sanitize import clean
from warroom.widgets.glyphs import NO_DATA, TREND_ARROWS
from warroom.widgets.health_table import format_age
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.text_line import LinePaint
from warroom.widgets.words import EN, say

FULL = "▁▂▃▄▅▆▇█"
THRESHOLD_CHAR = "╌"
DEPLOY_CHAR = "┊"


_STATE_COLOURED = frozenset({"bars", "state"})
"""The parts of a graph drawn in its state's colour when it is WARN or CRIT."""

STATE_WORDS = {"warn": "▲ WARN", "crit": "✖ CRIT", "unknown": "? NO DATA"}
"""A metric's state as a glyph and a word (never colour alone); "ok" says nothing."""


def format_value(value: float | None) -> str:
    """A figure for a title: "0.42", "12.3", "512", "12k", "3.4M", or "--"."""
    if value is None or math.isnan(value):
        return NO_DATA
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_window(seconds: float) -> str:
    """ "5m", "30m", "2h"."""
    if seconds >= 3600:
        return f"{seconds / 3600:g}h"
    return f"{seconds / 60:g}m"


def signed(value: float) -> str:
    """ "+1.3", "−0.42": a change always carries its sign (a real minus sign)."""
    return ("+" if value >= 0 else "−") + format_value(abs(value))


def trend_text(series: MetricSeries, window: float) -> str:
    """ "↑ +1.3": which way the figure went over the window and by how much; "" unknown."""
    change = series.change_over(window)
    if change is None or series.current is None:
        return ""
    return f"{TREND_ARROWS[trend_direction(change, series.current)]} {signed(change)}"


def baseline_text(series: MetricSeries, lang: str = EN, short: bool = False) -> str:
    """ "↓ −82% vs baseline" once a deploy is marked and both sides have points; else "".
    `short` says "vs base", for a title that has little room."""
    if series.delta_pct is None:
        return ""
    arrow = TREND_ARROWS[trend_direction(series.delta_pct, 100.0)]
    sign = "+" if series.delta_pct >= 0 else "−"
    change = f"{sign}{abs(series.delta_pct):.0f}%"
    words = say("{change} vs base" if short else "{change} vs baseline", lang)
    return f"{arrow} {words.format(change=change)}"


def age_text(series: MetricSeries, now: float | None, lang: str = EN) -> str:
    """ "40s old" when the figure is older than two intervals; "" while it is fresh."""
    if now is None or not series.is_old(now):
        return ""
    return say("{age} old", lang).format(age=format_age(series.age(now)))


def _time(point: tuple[float, float]) -> float:
    return point[0]


def bucket(
    points: Sequence[tuple[float, float]], columns: int, start: float, end: float
) -> list[float | None]:
    """The highest value in each of `columns` equal time slices of [start, end].

    `points` are in time order (as a series keeps them): only those inside the window
    are visited, so a short window over four hours of history stays cheap.
    """
    out: list[float | None] = [None] * columns
    if columns <= 0 or end <= start:
        return out
    span = end - start
    first = bisect.bisect_left(points, start, key=_time)
    for index in range(first, len(points)):
        t, v = points[index]
        if t > end:
            break
        index = min(columns - 1, int((t - start) / span * columns))
        current = out[index]
        out[index] = v if current is None else max(current, v)
    return out


def value_range(
    values: Sequence[float], thresholds: Sequence[float], direction: str
) -> tuple[float, float]:
    """The vertical range: anchored at zero for "above" metrics, thresholds included."""
    every = [*values, *thresholds]
    if not every:
        return 0.0, 1.0
    low, high = min(every), max(every)
    if direction == "above" and low >= 0:
        low = 0.0
    elif high > low:
        low -= (high - low) * 0.1
    if high <= low:
        high = low + (abs(low) or 1.0)
    return low, high + (high - low) * 0.05


def graph_cells(columns: Sequence[float | None], height: int, low: float, high: float) -> list[str]:
    """Rows of block characters, top row first, for the bucketed values."""
    rows: list[str] = []
    span = high - low
    for row in range(height - 1, -1, -1):
        line: list[str] = []
        for value in columns:
            if value is None:
                line.append(" ")
                continue
            eighths = (value - low) / span * height * 8 - row * 8
            if eighths >= 8:
                line.append(FULL[7])
            elif eighths >= 1:
                line.append(FULL[int(eighths) - 1])
            elif row == 0 and value > low:
                line.append(FULL[0])  # a non-zero value always shows
            else:
                line.append(" ")
        rows.append("".join(line))
    return rows


def level_row(value: float, height: int, low: float, high: float) -> int:
    """The row (top row 0) in which a horizontal level such as a threshold falls."""
    from_bottom = int((value - low) / (high - low) * height)
    return max(0, min(height - 1, height - 1 - from_bottom))


class MetricGraph(PaintCache, LinePaint, Widget):
    """A metric's trend with its thresholds and deploy mark; set `series` to redraw."""

    DEFAULT_CSS = """
    MetricGraph {
        height: 1fr;
        min-height: 1;
    }
    MetricGraph > .metric-graph--title { text-style: bold; }
    MetricGraph > .metric-graph--bars { color: $accent; }
    MetricGraph > .metric-graph--bars-warn { color: $warning; }
    MetricGraph > .metric-graph--bars-crit { color: $error; }
    MetricGraph > .metric-graph--state { text-style: bold; }
    MetricGraph > .metric-graph--state-warn { color: $warning; text-style: bold; }
    MetricGraph > .metric-graph--state-crit { color: $error; text-style: bold reverse; }
    MetricGraph > .metric-graph--warn-line { color: $warning; }
    MetricGraph > .metric-graph--crit-line { color: $error; }
    MetricGraph > .metric-graph--deploy { color: $secondary; text-style: bold; }
    MetricGraph > .metric-graph--muted { color: $text-muted; }
    MetricGraph > .metric-graph--age { color: $text-muted; text-style: dim italic; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "metric-graph--title",
        "metric-graph--bars",
        "metric-graph--bars-warn",
        "metric-graph--bars-crit",
        "metric-graph--state",
        "metric-graph--state-warn",
        "metric-graph--state-crit",
        "metric-graph--warn-line",
        "metric-graph--crit-line",
        "metric-graph--deploy",
        "metric-graph--muted",
        "metric-graph--age",
    }

    series: reactive[MetricSeries | None] = reactive(None)
    """The metric to draw; None until its first sample."""
    window: reactive[float] = reactive(300.0)
    """Seconds of history shown (the screen cycles 5m, 30m, 2h)."""
    now: reactive[float | None] = reactive(None)
    """Wall seconds of the snapshot the series came in, to age the figure."""
    lang: reactive[str] = reactive(EN)
    """The language of the graph's words (the runbook's); the metric's name stays as written."""

    def _style(self, name: str) -> Style:
        # The bars and the state word take the state's colour from a component class of
        # their own (`bars-crit`), not from a class on the graph: a metric changing state
        # then repaints its row instead of restyling the graph and its eight parts.
        series = self.series
        if name in _STATE_COLOURED and series is not None and series.state in ("warn", "crit"):
            name = f"{name}-{series.state}"
        return self.get_visual_style(f"metric-graph--{name}", partial=True)

    def _head(self, series: MetricSeries, width: int) -> Content:
        """Name, figure, state, trend arrow with its signed change, and age: what the
        one-row form keeps. The richest form that fits `width` is chosen: the age goes
        first, then the state shrinks to its glyph (✖, ▲, ?), so the trend and its
        change stay on a narrow pane's row; only then is the row cut."""
        forms = [
            self._head_form(series, word=True, age=True),
            self._head_form(series, word=False, age=True),
            self._head_form(series, word=False, age=False),
        ]
        for form in forms:
            if form.cell_length <= width:
                return form
        return forms[-1]

    def _head_form(self, series: MetricSeries, *, word: bool, age: bool) -> Content:
        unit = clean(series.unit, 12)
        current = f"{format_value(series.current)} {unit}".strip()
        if series.current is None:
            current = NO_DATA
        parts = [
            Content(clean(series.name, 40)).stylize(self._style("title")),
            Content(f" {current}"),
        ]
        # The state before the trend; `word=False` keeps its glyph only, for a narrow row.
        state_word = STATE_WORDS.get(series.state, "")
        if state_word:
            shown = state_word if word else state_word.split()[0]
            parts.append(Content(" "))
            parts.append(Content(shown).stylize(self._style("state")))
        trend = trend_text(series, self.window)
        if trend:
            parts.append(Content(f" {trend}"))
        old = age_text(series, self.now, self.lang) if age else ""
        if old:
            parts.append(Content(f" {old}").stylize(self._style("age")))
        return Content.assemble(*parts)

    def _title(self, series: MetricSeries, width: int, with_delta: bool) -> Content:
        low, high = say("min", self.lang), say("max", self.lang)
        extra = f"  {low} {format_value(series.minimum)} {high} {format_value(series.maximum)}"
        extra += f"  [{format_window(self.window)}]"
        if series.state == "unknown" and series.error:
            extra = f"  {clean(series.error, 200)}"
        if with_delta and series.delta_pct is not None:
            extra = f"  {baseline_text(series, self.lang, short=True)}" + extra
        tail = Content(extra).stylize(self._style("muted"))
        head = self._head(series, width)
        return Content.assemble(head, tail).truncate(width, ellipsis=True)

    def render(self) -> Content:
        series = self.series
        width = max(1, self.size.width)
        height = max(1, self.size.height)
        if series is None:
            return Content(say("waiting for the first sample…", self.lang))
        if height == 1:
            return self._compact(series, width)
        lines: list[Content] = []
        delta = baseline_text(series, self.lang) or None
        delta_line = delta is not None and height >= 5
        lines.append(self._title(series, width, with_delta=delta is not None and not delta_line))
        if delta_line and delta is not None:
            lines.append(Content(delta).truncate(width, ellipsis=True))
        axis = height >= 7
        graph_height = height - len(lines) - (1 if axis else 0)
        if graph_height >= 1:
            lines.extend(self._graph(series, width, graph_height))
        if axis:
            left, right = f"-{format_window(self.window)}", say("now", self.lang)
            gap = max(1, width - len(left) - cell_len(right))
            lines.append(Content(left + " " * gap + right).stylize(self._style("muted")))
        return Content("\n").join(lines)

    def _compact(self, series: MetricSeries, width: int) -> Content:
        """One row: name, value, state and trend (and the baseline change when it fits),
        then a sparkline of the window in the rest."""
        core = self._head(series, width)
        base = baseline_text(series, self.lang, short=True)
        if base and core.cell_length + 2 + cell_len(base) <= width:
            core = Content.assemble(core, Content(f"  {base}").stylize(self._style("muted")))
        room = width - core.cell_length - 1
        if room < 6 or not series.points:
            # No room for a sparkline: the figures alone, not a min/max cut to "min 1…".
            return core.truncate(width, ellipsis=True)
        end = series.points[-1][0]
        columns = bucket(series.points, room, end - self.window, end)
        values = [v for v in columns if v is not None]
        thresholds = [t for t in (series.warn, series.crit) if t is not None]
        low, high = value_range(values, thresholds, series.direction)
        spark = "".join(
            " " if v is None else SPARK[_level(v, low, high, len(SPARK))] for v in columns
        )
        return Content.assemble(core, Content(" "), Content(spark).stylize(self._style("bars")))

    def _graph(self, series: MetricSeries, width: int, height: int) -> list[Content]:
        end = series.points[-1][0] if series.points else 0.0
        start = end - self.window
        columns = bucket(series.points, width, start, end)
        values = [v for v in columns if v is not None]
        thresholds = [t for t in (series.warn, series.crit) if t is not None]
        low, high = value_range(values, thresholds, series.direction)
        cells = [list(row) for row in graph_cells(columns, height, low, high)]
        kinds = [["bars"] * width for _ in range(height)]
        for level, kind in ((series.warn, "warn-line"), (series.crit, "crit-line")):
            if level is None:
                continue
            row = level_row(level, height, low, high)
            for x in range(width):
                if cells[row][x] == " ":
                    cells[row][x], kinds[row][x] = THRESHOLD_CHAR, kind
        if series.deploy_at is not None and start <= series.deploy_at <= end and end > start:
            x = min(width - 1, int((series.deploy_at - start) / (end - start) * width))
            for row in range(height):
                if cells[row][x] == " " or row == 0:
                    cells[row][x], kinds[row][x] = DEPLOY_CHAR, "deploy"
        out: list[Content] = []
        for row in range(height):
            parts: list[Content] = []
            run_start = 0
            for x in range(1, width + 1):
                if x == width or kinds[row][x] != kinds[row][run_start]:
                    text = "".join(cells[row][run_start:x])
                    style = self._style(kinds[row][run_start])
                    parts.append(Content(text).stylize(style))
                    run_start = x
            out.append(Content.assemble(*parts))
        return out


SPARK = "▁▂▃▄▅▆▇█"


def _level(value: float, low: float, high: float, steps: int) -> int:
    """Which of `steps` bar heights `value` gets between `low` and `high`."""
    if high <= low:
        return 0
    return max(0, min(steps - 1, int((value - low) / (high - low) * (steps - 1) + 0.5)))

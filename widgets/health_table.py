"""The Health pane: one row per endpoint, readable in a narrow pane or across a projector.

Each row shows the state as a glyph and the one wording every view uses
(`state_words`: "✔ UP · 1 of 3 failing · 500", "⇅ FLAPPING · now DOWN"), the HTTP code,
latency last/p50/p95, uptime, how long the state has held, the age of the latest probe
once it is older than two intervals (dimmed), and a latency sparkline. Columns are
dropped by importance when the pane is narrow, so the name and state always fit.
Enter posts `HealthTable.Selected`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from warroom.services.health.state_words import state_words
from warroom.services.health.status import EndpointStatus, HealthSnapshot, ProbeState
from warroom.services.sanitize import clean
from warroom.widgets.glyphs import NO_DATA, endpoint_label
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN, say

BARS = "▁▂▃▄▅▆▇█"


def sparkline_text(values: Sequence[float], width: int) -> str:
    """The last `width` values as one row of block characters, scaled min to max."""
    if width <= 0:
        return ""
    tail = list(values)[-width:]
    if not tail:
        return ""
    low, high = min(tail), max(tail)
    if high == low:
        return BARS[0] * len(tail)
    span = high - low
    return "".join(BARS[min(7, int((v - low) / span * 8))] for v in tail)


def format_ms(value: float | None) -> str:
    """A latency for a narrow cell: "12", "1.2s", or "--"."""
    if value is None:
        return NO_DATA
    if value >= 10_000:
        return f"{value / 1000:.0f}s"
    if value >= 1000:
        return f"{value / 1000:.1f}s"
    return f"{value:.0f}"


def format_pct(value: float | None) -> str:
    """An uptime share: "100%", "99.9%", or "--"."""
    if value is None:
        return NO_DATA
    if value >= 100.0:
        return "100%"
    return f"{value:.1f}%"


def format_age(seconds: float | None) -> str:
    """How long ago, compactly: "42s", "7m", "3h", or "-"."""
    if seconds is None or seconds < 0:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m"
    return f"{seconds // 3600:.0f}h"


@dataclass(frozen=True)
class _Column:
    key: str
    header: str
    """The column's head in English, the key of its word in the table (`say`)."""
    width: int
    priority: int
    """Lower is kept first when the pane is narrow."""
    cell: Callable[[EndpointStatus, datetime, str], str]
    right: bool = False


def probe_age(status: EndpointStatus, now: datetime) -> float | None:
    """Seconds since the latest probe when older than two intervals, else None."""
    if status.last is None or status.interval <= 0:
        return None
    age = (now - status.last.at).total_seconds()
    return age if age > 2 * status.interval else None


def _age(status: EndpointStatus, now: datetime, lang: str) -> str:
    age = probe_age(status, now)
    return "" if age is None else say("{age} ago", lang).format(age=format_age(age))


def _since(status: EndpointStatus, now: datetime, lang: str) -> str:
    if status.last_change is None:
        return "-"
    return format_age((now - status.last_change).total_seconds())


_COLUMNS: tuple[_Column, ...] = (
    _Column("state", "STATE", 42, 1, lambda s, _, __: endpoint_label(s)),
    _Column("age", "AGE", 8, 2, _age, right=True),
    _Column("code", "HTTP", 4, 4, lambda s, _, __: str(s.status_code or NO_DATA), right=True),
    _Column("last", "MS", 5, 3, lambda s, _, __: format_ms(s.latency_ms), right=True),
    _Column("p50", "P50", 5, 8, lambda s, _, __: format_ms(s.p50_ms), right=True),
    _Column("p95", "P95", 5, 6, lambda s, _, __: format_ms(s.p95_ms), right=True),
    _Column("uptime", "UP%", 6, 5, lambda s, _, __: format_pct(s.uptime_pct), right=True),
    _Column(
        "deploy",
        "DEPL%",
        7,
        9,
        lambda s, _, __: format_pct(s.uptime_since_deploy_pct),
        right=True,
    ),
    _Column("since", "FOR", 4, 7, _since, right=True),
)

SPARK_MIN = 6
SPARK_MAX = 30
SPARK_PRIORITY = 5


def choose_columns(width: int, name_width: int, widths: dict[str, int]) -> tuple[list[str], int]:
    """Which columns fit in `width` cells (in display order) and the sparkline's width.

    `widths` holds the cells each column needs for the current rows; a column missing
    from it is not shown (the deploy column before a deploy is marked).
    """
    budget = width - name_width
    chosen: set[str] = set()
    spark = 0
    candidates = [(c.priority, c.key) for c in _COLUMNS if c.key in widths]
    candidates.append((SPARK_PRIORITY, "spark"))
    for _priority, key in sorted(candidates):
        cell_width = SPARK_MIN if key == "spark" else widths[key]
        if cell_width + 1 > budget:
            break  # never show a less important column in place of a more important one
        chosen.add(key)
        budget -= cell_width + 1
        if key == "spark":
            spark = SPARK_MIN
    if spark:
        spark = min(SPARK_MAX, spark + budget)
    return [c.key for c in _COLUMNS if c.key in chosen], spark


def column_widths(snapshot: HealthSnapshot, lang: str = EN) -> dict[str, int]:
    """The width each column needs for these rows (its header, its widest cell, its cap)."""
    has_deploy = any(e.uptime_since_deploy_pct is not None for e in snapshot.endpoints)
    widths: dict[str, int] = {}
    for column in _COLUMNS:
        if column.key == "deploy" and not has_deploy:
            continue
        cells = [cell_len(column.cell(e, snapshot.at, lang)) for e in snapshot.endpoints]
        if column.key == "age" and not any(cells):
            continue  # every probe is fresh: no column of blanks
        header = cell_len(say(column.header, lang))
        widths[column.key] = min(column.width, max([header, *cells]))
    return widths


def fit(text: str, size: int, right: bool = False) -> str:
    """`text` in exactly `size` cells: padded, or cut with an ellipsis (a Japanese
    character takes two cells, so cells are counted, not characters)."""
    if cell_len(text) > size:
        text = set_cell_size(text, max(0, size - 1)).rstrip(" ") + "…"
    pad = " " * max(0, size - cell_len(text))
    return pad + text if right else text + pad


class HealthTable(PaintCache, Widget, can_focus=True):
    """Endpoint health as a table that adapts to its width; a cursor picks a row."""

    DEFAULT_CSS = """
    HealthTable {
        height: 1fr;
        min-height: 1;
    }
    HealthTable > .health-table--header { text-style: bold; color: $text-muted; }
    HealthTable > .health-table--up { color: $success; }
    HealthTable > .health-table--warn { color: $warning; text-style: bold; }
    HealthTable > .health-table--down { color: $error; text-style: bold reverse; }
    HealthTable > .health-table--stale { color: $warning; text-style: italic; }
    HealthTable > .health-table--pending { color: $text-muted; }
    HealthTable > .health-table--flapping { color: $warning; text-style: bold reverse; }
    HealthTable > .health-table--age { color: $text-muted; text-style: dim; }
    HealthTable > .health-table--spark { color: $accent; }
    HealthTable > .health-table--cursor { background: $boost; text-style: bold; }
    HealthTable:focus > .health-table--cursor { background: $block-cursor-background; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "health-table--header",
        "health-table--up",
        "health-table--warn",
        "health-table--down",
        "health-table--stale",
        "health-table--pending",
        "health-table--flapping",
        "health-table--age",
        "health-table--spark",
        "health-table--cursor",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("enter", "select", "Details"),
    ]

    snapshot: reactive[HealthSnapshot | None] = reactive(None)
    """The endpoints to show; None until the first probe comes back."""
    lang: reactive[str] = reactive(EN)
    """The language of the column heads and the table's words (the runbook's)."""
    cursor: reactive[int] = reactive(0)
    """Index of the highlighted row."""

    class Selected(Message):
        """The user asked for the details of endpoint `name`."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    _rows = 0
    """Rows drawn last time: a change of count needs a new layout."""

    def watch_snapshot(self, snapshot: HealthSnapshot | None) -> None:
        count = len(snapshot.endpoints) if snapshot else 0
        if count and self.cursor >= count:
            self.cursor = count - 1
        down = bool(snapshot) and any(
            e.state is ProbeState.DOWN for e in (snapshot.endpoints if snapshot else ())
        )
        self.set_class(down, "-down")
        # A new row count may change the table's height; new values only need a repaint.
        self.refresh(layout=count != self._rows)
        self._rows = count

    def validate_cursor(self, value: int) -> int:
        count = len(self.snapshot.endpoints) if self.snapshot else 0
        return max(0, min(value, count - 1)) if count else 0

    def action_cursor(self, step: int) -> None:
        """Move the highlight."""
        self.cursor += step

    def action_select(self) -> None:
        """Ask for the highlighted endpoint's details."""
        if self.snapshot and self.snapshot.endpoints:
            self.post_message(self.Selected(self.snapshot.endpoints[self.cursor].name))

    def on_click(self, event: Click) -> None:
        if not self.snapshot or not self.snapshot.endpoints:
            return
        row = event.y - (1 if self._shows_header() else 0) + self._first_row()
        if 0 <= row < len(self.snapshot.endpoints):
            if row == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = row

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        count = len(self.snapshot.endpoints) if self.snapshot else 0
        return max(1, count + 1)

    def _shows_header(self) -> bool:
        count = len(self.snapshot.endpoints) if self.snapshot else 0
        # In a pane too short for every row, rows matter more than the header.
        return self.size.height > count or self.size.height >= 6

    def _first_row(self) -> int:
        count = len(self.snapshot.endpoints) if self.snapshot else 0
        visible = max(1, self.size.height - (1 if self._shows_header() else 0))
        if count <= visible:
            return 0
        return max(0, min(self.cursor - visible + 1, count - visible))

    def _state_style(self, status: EndpointStatus) -> str:
        return f"health-table--{state_words(status).key}"

    def render(self) -> Content:
        snapshot = self.snapshot
        lang = self.lang
        if snapshot is None:
            return Content(say("waiting for the first probe…", lang))
        if not snapshot.endpoints:
            return Content(say("no [[endpoint]] configured", lang))
        width = max(10, self.size.width)
        names = [clean(e.name, 40) for e in snapshot.endpoints]
        name_width = max(4, min(20, max(len(n) for n in names), width // 3))
        widths = column_widths(snapshot, lang)
        # The state is what the pane is for: in a narrow pane it is cut, never dropped.
        widths["state"] = min(widths["state"], max(6, width - name_width - 1))
        keys, spark = choose_columns(width, name_width, widths)
        columns = [c for c in _COLUMNS if c.key in keys]

        lines: list[Content] = []
        if self._shows_header():
            header = fit(say("NAME", lang), name_width) + "".join(
                " " + fit(say(c.header, lang), widths[c.key], c.right) for c in columns
            )
            if spark:
                header += " " + fit(say("LATENCY", lang), spark)
            style = self.get_visual_style("health-table--header", partial=True)
            lines.append(Content(header.rstrip()).stylize(style))
        first = self._first_row()
        visible = max(1, self.size.height - len(lines)) if self.size.height else len(names)
        for index in range(first, min(len(names), first + visible)):
            status = snapshot.endpoints[index]
            parts: list[Content] = [Content(fit(names[index], name_width))]
            for column in columns:
                text = fit(column.cell(status, snapshot.at, lang), widths[column.key], column.right)
                cell = Content(" " + text)
                if column.key == "state":
                    state_style = self.get_visual_style(self._state_style(status), partial=True)
                    cell = cell.stylize(state_style, 1, 1 + len(text.rstrip()))
                elif column.key == "age":
                    cell = cell.stylize(self.get_visual_style("health-table--age", partial=True))
                parts.append(cell)
            if spark:
                line = sparkline_text(status.latencies, spark)
                spark_style = self.get_visual_style("health-table--spark", partial=True)
                parts.append(Content(" " + line).stylize(spark_style, 1))
            row = Content.assemble(*parts)
            if index == self.cursor:
                cursor_style = self.get_visual_style("health-table--cursor", partial=True)
                row = row.stylize_before(cursor_style)
            lines.append(row)
        return Content("\n").join(lines)

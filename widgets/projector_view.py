"""Projector mode: what matters from across a room, filling the screen at every size.

Top: the incident clock, the current phase with its progress, and the next escalation
(role, person, contact, and a countdown labelled "Escalates in", which bare reads as a
time of day). Then every endpoint's state in the same words as the Health pane, the
headline figures large with their value also in plain text beside the trend arrow (a
block-font "12.1" can pass for "121"), a graph of the window, the last error line in
full, and the projector's own keys. Rows share the
height (`fr`), and numbers grow with their box (`BigNumber`), so 80x24 and 300x80
both fill. Fed the same values as the panes; untrusted text is drawn plain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from warroom.services.escalation.countdown import format_hms
from warroom.services.escalation.ladder import EscalationState
from warroom.services.health.state_words import state_words
from warroom.services.health.status import HealthSnapshot
from warroom.services.metrics.sampler import MetricSeries, MetricsSnapshot
from warroom.services.runbook.model import RunbookState
from warroom.services.sanitize import clean
from warroom.widgets.big_figure import BigNumber
from warroom.widgets.escalation_view import (
    NO_CLOCK,
    countdown_text,
    next_level_text,
    who_text,
)
from warroom.widgets.glyphs import NO_DATA, endpoint_label
from warroom.widgets.metric_graph import (
    STATE_WORDS,
    age_text,
    baseline_text,
    bucket,
    graph_cells,
    trend_text,
    value_range,
)
from warroom.widgets.text_line import TextLine
from warroom.widgets.words import EN, say


def keys_text(lang: str = EN) -> str:
    """The projector's own key line: how to leave it, not the dashboard's keys."""
    return f" p / escape  {say('leave projector', lang)}    q  {say('quit', lang)}"


KEYS = keys_text()
"""The key line in English."""


def digits_text(value: float | None) -> str:
    """A figure to draw large: "1732", "12.4", or "--" without a value."""
    if value is None:
        return NO_DATA
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


def progress_bar(done: int, total: int, width: int) -> str:
    """ "██████░░░░": `done` of `total` across `width` cells."""
    if width <= 0:
        return ""
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def phase_lines(state: RunbookState | None, lang: str = EN) -> tuple[str, str, int, int]:
    """(heading, title, done, total) of the current phase: what the room is doing now."""
    if state is None or not state.phases:
        return say("Runbook", lang), say("no runbook loaded", lang), 0, 0
    current = state.current
    count = len(state.phases)
    if current is None:
        heading = say("All {n} phases complete", lang).format(n=count)
        return heading, "", state.finished, state.total
    phase = state.phases[current]
    heading = say("Phase {n} of {total}", lang).format(n=current + 1, total=count)
    return heading, phase.phase.title, phase.finished, phase.total


class _Wrapped(TextLine):
    """A line that wraps onto three rows and repaints without a new layout: it
    changes every second (a countdown), and `Static.update` would lay out the screen."""

    DEFAULT_CSS = """
    _Wrapped { height: 3; text-wrap: wrap; }
    """

    def render(self) -> Text:
        return self.text.copy()


COUNTDOWN_LABEL = "Escalates in"
"""The label left of the countdown's digits: short, for a third of an 80-column screen."""


class _Spark(Widget):
    """The figure's window as block columns, filling its box (one row or many)."""

    DEFAULT_CSS = """
    _Spark { height: 1fr; min-height: 1; color: $accent; }
    """

    series: reactive[MetricSeries | None] = reactive(None)
    window: reactive[float] = reactive(300.0)

    def render(self) -> Text:
        series = self.series
        width, height = self.size.width, max(1, self.size.height)
        if series is None or not series.points or width <= 0:
            return Text("")
        end = series.points[-1][0]
        columns = bucket(series.points, width, end - self.window, end)
        values = [v for v in columns if v is not None]
        thresholds = [t for t in (series.warn, series.crit) if t is not None]
        low, high = value_range(values, thresholds, series.direction)
        return Text("\n".join(graph_cells(columns, height, low, high)), end="")


class _Figure(Vertical):
    """A headline figure: name and state, the number large, its trend, its graph."""

    DEFAULT_CSS = """
    _Figure { height: 1fr; padding: 0 1; border-left: tall $panel-lighten-2; }
    _Figure.-warn { border-left: tall $warning; }
    _Figure.-crit { border-left: tall $error; }
    _Figure > .figure-label { text-style: bold; }
    _Figure.-warn > .figure-label { color: $text-warning; }
    _Figure.-crit > .figure-label { color: $text-error; }
    _Figure > BigNumber { height: 3fr; min-height: 1; max-height: 15; }
    _Figure > .figure-trend { text-style: bold; }
    _Figure > .figure-age { color: $text-muted; text-style: dim italic; }
    _Figure > _Spark { height: 1fr; }
    """

    def __init__(self, label: str, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = clean(label, 60)
        self._lang = lang

    def compose(self) -> ComposeResult:
        yield TextLine(Text(self._label), id="label").add_class("figure-label")
        yield BigNumber()
        yield TextLine(id="trend").add_class("figure-trend")
        yield TextLine(id="age").add_class("figure-age")
        yield _Spark()

    def show(self, series: MetricSeries, window: float, now: float | None) -> None:
        """Draw `series`: value (or "--"), state word, trend and baseline, age, graph."""
        word = STATE_WORDS.get(series.state, "")
        unit = clean(series.unit, 12)
        label = f"{self._label} ({unit})" if unit else self._label
        self.query_one("#label", TextLine).text = Text(f"{label}  {word}".rstrip())
        big = self.query_one(BigNumber)
        big.value = digits_text(series.current)
        lang = self._lang
        # The value once more in plain text before the arrow, where the block font is
        # drawn: its decimal point is a single block. Drawn as text, it says it already.
        plain = ""
        if series.current is not None and big.drawn_large():
            plain = f"{big.value} {unit}".rstrip()
        trend = " · ".join(
            t for t in (trend_text(series, window), baseline_text(series, lang)) if t
        )
        if plain and trend:
            trend = f"{plain} {trend}"
        if series.current is None and series.error:
            trend = clean(series.error, 200)
        self.query_one("#trend", TextLine).text = Text(trend or say("→ no trend yet", self._lang))
        age = age_text(series, now, lang)
        age_line = self.query_one("#age", TextLine)
        age_line.text = Text(age)
        age_line.display = bool(age)
        spark = self.query_one(_Spark)
        spark.window = window
        spark.series = series
        self.set_class(series.state == "warn", "-warn")
        self.set_class(series.state == "crit", "-crit")


class ProjectorView(Widget):
    """The war-room projector's view of the incident."""

    DEFAULT_CSS = """
    ProjectorView { height: 1fr; layout: vertical; padding: 0 1; }
    ProjectorView > #projector-top { height: 3fr; min-height: 5; max-height: 24; }
    ProjectorView #projector-top > Vertical { width: 1fr; padding: 0 1; }
    ProjectorView #projector-top .top-label { text-style: bold; color: $text-muted; }
    ProjectorView #projector-top BigNumber { height: 1fr; content-align: left middle; }
    /* The right column gives up its right padding (the view's own stays): at 80
       columns, 25 cells hold the label, a gap and the 15 of "14:00" in digits. */
    ProjectorView #projector-top > #projector-next { padding: 0 0 0 1; }
    ProjectorView #next-row { height: 1fr; }
    ProjectorView #next-row > BigNumber { width: 1fr; }
    /* Nine cells ("Escalates"): beside the three-row digits of "14:00" at 80x24. */
    ProjectorView #next-in {
        width: auto; max-width: 9; height: 1fr; margin-right: 1;
        content-align: left middle; text-style: bold; color: $text-muted;
    }
    ProjectorView #projector-next.-approaching BigNumber { color: $warning; }
    ProjectorView #projector-next.-unacked .top-label { color: $text-error; }
    ProjectorView #phase-title { height: auto; max-height: 3; text-style: bold; }
    ProjectorView #projector-health { height: auto; padding: 0 1; text-style: bold; }
    ProjectorView > #projector-metrics {
        grid-size: 3; grid-gutter: 0 1; height: 5fr; min-height: 5;
    }
    ProjectorView > #projector-error {
        height: auto; max-height: 4; padding: 0 1; color: $text-error; text-style: bold;
    }
    ProjectorView > #projector-keys { background: $footer-background; color: $footer-foreground; }
    ProjectorView > .projector-view--down { color: $error; }
    ProjectorView > .projector-view--flapping { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "projector-view--down",
        "projector-view--flapping",
    }

    escalation: reactive[EscalationState | None] = reactive(None, repaint=False)
    """The incident clock and ladder."""
    health: reactive[HealthSnapshot | None] = reactive(None, repaint=False)
    """Every endpoint's state."""
    metrics: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    """The figures; `names` picks the headline ones."""
    runbook: reactive[RunbookState | None] = reactive(None, always_update=True, repaint=False)
    """The checklist: the current phase and its progress."""
    last_error: reactive[str] = reactive("", repaint=False)
    """The newest error line, shown in full (sanitized upstream, drawn plain)."""
    window: reactive[float] = reactive(300.0, repaint=False)
    """Seconds of history the trends and graphs cover (the dashboard's graph window)."""

    def __init__(self, names: Sequence[str], *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = tuple(names)
        self.lang = lang
        """The language of the view's own words (the runbook's); names stay as written."""
        self._shown: dict[str, Text] = {}
        """What each wrapping Static shows: an update costs a screen layout, so only news."""
        self._built = False
        """Composed only when first shown: hidden, its ~50 widgets would double the
        dashboard's, and with them the cost of every screen layout and of the start."""
        self._composing = False

    @property
    def built(self) -> bool:
        """Composed and filled in: it has been shown once and laid out."""
        return self._built

    @property
    def _showing(self) -> bool:
        return self._built and self.display

    def _update(self, selector: str, text: Text) -> None:
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(text)

    def compose(self) -> ComposeResult:
        if not self._composing:
            return
        with Horizontal(id="projector-top"):
            with Vertical(id="projector-clock"):
                clock = Text(say("Incident clock", self.lang))
                yield TextLine(clock, id="clock-label").add_class("top-label")
                yield BigNumber(id="clock-number")
            with Vertical(id="projector-phase"):
                runbook = Text(say("Runbook", self.lang))
                yield TextLine(runbook, id="phase-label").add_class("top-label")
                yield Static("", id="phase-title", markup=False)
                yield TextLine(id="phase-progress")
            with Vertical(id="projector-next"):
                upcoming = Text(say("Next escalation", self.lang))
                yield _Wrapped(upcoming, id="next-label").add_class("top-label")
                with Horizontal(id="next-row"):
                    yield Static(say(COUNTDOWN_LABEL, self.lang), id="next-in", markup=False)
                    yield BigNumber(id="next-number")
        yield Static("", id="projector-health", markup=False)
        with Grid(id="projector-metrics"):
            for index, name in enumerate(self.names):
                yield _Figure(name, lang=self.lang, id=f"projector-metric-{index}")
        yield Static("", id="projector-error", markup=False)
        yield TextLine(Text(keys_text(self.lang)), id="projector-keys")

    async def on_show(self) -> None:
        if self._built:
            self._catch_up()
        elif not self._composing:
            self._composing = True
            await self.recompose()
            grid = self.query_one("#projector-metrics", Grid)
            grid.styles.grid_size_columns = min(3, max(1, len(self.names)))
            # Once laid out: a figure's form (block digits or text) depends on its size.
            self.call_after_refresh(self._first_shown)

    def _first_shown(self) -> None:
        self._built = True
        self._catch_up()

    def _catch_up(self) -> None:
        # Hidden, it ignores updates (they would cost a layout each); catch up when shown.
        self.watch_escalation(self.escalation)
        self.watch_health(self.health)
        self.watch_metrics(self.metrics)
        self.watch_runbook(self.runbook)
        self.watch_last_error(self.last_error)

    def watch_escalation(self, state: EscalationState | None) -> None:
        if state is None or not self._showing:
            return
        clock = format_hms(state.elapsed)
        self.query_one("#clock-number", BigNumber).value = clock
        lang = self.lang
        label = f"{say('Incident clock', lang)} · {state.severity}"
        if state.resolved:
            label += f" · {say('RESOLVED', lang)}"
        self.query_one("#clock-label", TextLine).text = Text(label)
        countdown = countdown_text(state)
        self.query_one("#next-number", BigNumber).value = countdown
        next_in = self.query_one("#next-in", Static)
        if next_in.display != (countdown != NO_CLOCK):  # nothing to count to: no label
            next_in.display = countdown != NO_CLOCK
        who = next_level_text(state, lang)
        if state.reached_unacked and state.reached is not None:
            reached = state.reached
            call = " ".join(p for p in (who_text(reached, lang), reached.contact) if p)
            who = say("CALL {who} · UNACKED · then {next}", lang).format(who=call, next=who)
        elif state.next is not None and not state.resolved:
            who = say("Next: {who}", lang).format(who=who)
        self.query_one("#next-label", _Wrapped).text = Text(who)
        upcoming = self.query_one("#projector-next")
        upcoming.set_class(state.approaching, "-approaching")
        upcoming.set_class(state.reached_unacked, "-unacked")

    def watch_runbook(self, state: RunbookState | None) -> None:
        if not self._showing:
            return
        heading, title, done, total = phase_lines(state, self.lang)
        self.query_one("#phase-label", TextLine).text = Text(heading)
        self._update("#phase-title", Text(title))
        width = max(10, self.query_one("#projector-phase").size.width - 14)
        overall = ""
        if state is not None:
            every = say("all {done}/{total}", self.lang)
            overall = " · " + every.format(done=state.finished, total=state.total)
        line = f"{progress_bar(done, total, min(width, 40))} {done}/{total}{overall}"
        self.query_one("#phase-progress", TextLine).text = Text(line if total else "")

    def watch_health(self, snapshot: HealthSnapshot | None) -> None:
        if snapshot is None or not self._showing:
            return
        line = Text()
        for endpoint in snapshot.endpoints:
            if line:
                line.append("   ")
            key = state_words(endpoint).key
            style = None
            if key in ("down", "flapping"):
                style = self.get_component_rich_style(f"projector-view--{key}")
            line.append(f"{clean(endpoint.name, 40)} {endpoint_label(endpoint)}", style)
        self._update("#projector-health", line or Text(say("no endpoints", self.lang)))

    def watch_metrics(self, snapshot: MetricsSnapshot | None) -> None:
        if snapshot is None or not self._showing:
            return
        now = snapshot.at.timestamp()
        for index, name in enumerate(self.names):
            series = snapshot.get(name)
            if series is not None:
                self.query_one(f"#projector-metric-{index}", _Figure).show(series, self.window, now)

    def watch_window(self) -> None:
        self.watch_metrics(self.metrics)

    def watch_last_error(self, line: str) -> None:
        if not self.is_mounted or not self._showing:
            return
        if line:
            text = say("Last error: {line}", self.lang).format(line=line)
        else:
            text = say("No error lines yet", self.lang)
        self._update("#projector-error", Text(text))

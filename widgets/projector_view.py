"""Projector mode: what matters from across a room, large.

The incident clock, the next escalation and the headline metrics as three-row Digits,
and every endpoint's state as a glyph and a word. Fed the same values as the panes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Static

from warroom.services.escalation.ladder import EscalationState, format_countdown, format_hms
from warroom.services.health.probe import HealthSnapshot
from warroom.services.metrics.sampler import MetricSeries, MetricsSnapshot
from warroom.widgets.metric_graph import STATE_WORDS
from warroom.widgets.text_line import TextLine


def digits_text(value: float | None) -> str:
    """A figure Digits can draw: "1732", "12.4", "-"."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


class _Figure(Vertical):
    """A label over a large number, with its state in words."""

    DEFAULT_CSS = """
    _Figure { height: auto; border: round $panel-lighten-2; padding: 0 1; }
    _Figure.-warn { border: round $warning; }
    _Figure.-crit { border: round $error; }
    _Figure > .figure-label { text-style: bold; }
    _Figure > Digits { width: auto; }
    """

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label

    def compose(self) -> ComposeResult:
        yield Static(Text(self._label), classes="figure-label")
        yield Digits("-")
        yield TextLine(id="note")

    def show(self, number: str, note: str, state: str = "ok") -> None:
        """Set the big number, the line under it, and the -warn/-crit class."""
        self.query_one(Digits).update(number)
        self.query_one("#note", TextLine).text = Text(note)
        self.set_class(state == "warn", "-warn")
        self.set_class(state == "crit", "-crit")


class ProjectorView(Widget):
    """The war-room projector's view of the incident."""

    DEFAULT_CSS = """
    ProjectorView { height: 1fr; layout: vertical; padding: 0 1; }
    ProjectorView > #projector-top { height: auto; layout: horizontal; }
    ProjectorView #projector-top > _Figure { width: 1fr; }
    ProjectorView > #projector-health { height: auto; text-style: bold; padding: 0 1; }
    ProjectorView > #projector-metrics {
        grid-size: 3; grid-gutter: 0 1; height: auto;
    }
    """

    escalation: reactive[EscalationState | None] = reactive(None, repaint=False)
    """The incident clock and ladder."""
    health: reactive[HealthSnapshot | None] = reactive(None, repaint=False)
    """Every endpoint's state."""
    metrics: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    """The figures; `names` picks the headline ones."""

    def __init__(self, names: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = tuple(names)

    def compose(self) -> ComposeResult:
        with Vertical(id="projector-top"):
            yield _Figure("Incident clock", id="projector-clock")
            yield _Figure("Next escalation", id="projector-next")
        yield TextLine(id="projector-health")
        with Grid(id="projector-metrics"):
            for index, name in enumerate(self.names):
                yield _Figure(name, id=f"projector-metric-{index}")

    def on_show(self) -> None:
        # Hidden, it ignores updates (they would cost a layout each); catch up when shown.
        self.watch_escalation(self.escalation)
        self.watch_health(self.health)
        self.watch_metrics(self.metrics)

    def watch_escalation(self, state: EscalationState | None) -> None:
        if state is None or not self.display:
            return
        clock = self.query_one("#projector-clock", _Figure)
        call = f"  call {state.reached.who} {state.reached.contact}" if state.reached else ""
        note = "RESOLVED" if state.resolved else f"{state.severity}{call}".rstrip()
        clock.show(format_hms(state.elapsed), note, "warn" if state.reached_unacked else "ok")
        upcoming = self.query_one("#projector-next", _Figure)
        if state.next is None or state.resolved:
            upcoming.show("-", "top of the ladder" if not state.resolved else "")
        else:
            soon = "warn" if state.approaching else "ok"
            upcoming.show(format_countdown(state.next.remaining), state.next.level.role, soon)

    def watch_health(self, snapshot: HealthSnapshot | None) -> None:
        if snapshot is None or not self.display:
            return
        line = "   ".join(f"{e.name} {e.state.glyph} {e.state.word}" for e in snapshot.endpoints)
        self.query_one("#projector-health", TextLine).text = Text(line)

    def watch_metrics(self, snapshot: MetricsSnapshot | None) -> None:
        if snapshot is None or not self.display:
            return
        for index, name in enumerate(self.names):
            series = snapshot.get(name)
            figure = self.query_one(f"#projector-metric-{index}", _Figure)
            if series is None:
                continue
            figure.show(digits_text(series.current), _note(series), series.state)


def _note(series: MetricSeries) -> str:
    word = STATE_WORDS.get(series.state, "OK")
    delta = series.delta_text()
    return f"{series.unit}  {word}" + (f"  {delta}" if delta else "")

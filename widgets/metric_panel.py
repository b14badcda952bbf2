"""The Metrics pane: one graph per configured metric, fed from one snapshot.

When the pane is too short for a graph per metric (80x24 holds two or three rows for
five metrics), each metric becomes one row, its figure, state, trend arrow and signed
change first and a sparkline in the rest (`-compact`), in config order: a graph with
one bar row under a cut title hid the numbers the pane is there to give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive

from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.widgets.metric_graph import MetricGraph
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN

GRAPH_ROWS = 3
"""The fewest rows a metric needs to be a graph: its title and two rows of bars."""


class MetricPanel(PaintCache, VerticalScroll):
    """Graphs for the named metrics, in config order; one row each when the pane is short
    (`-compact`); scrolls when even those do not fit."""

    DEFAULT_CSS = """
    MetricPanel {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    MetricPanel.-compact > MetricGraph {
        height: 1;
    }
    """

    snapshot: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    """Every metric's latest series; each graph picks its own by name."""

    def __init__(self, names: Sequence[str], *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = tuple(names)
        self._stale: set[int] = set()
        """The graphs (by position) not yet given the latest snapshot."""
        self.lang = lang
        """The language of the graphs' words (the runbook's)."""

    def compose(self) -> ComposeResult:
        for _ in self.names:
            graph = MetricGraph()
            graph.set_reactive(MetricGraph.lang, self.lang)
            yield graph

    def on_resize(self, event: events.Resize) -> None:
        """Graphs while each metric gets `GRAPH_ROWS`, one row per metric below that."""
        del event
        self.set_class(self.size.height < len(self.names) * GRAPH_ROWS, "-compact")
        self._hand_out()

    def watch_snapshot(self, snapshot: MetricsSnapshot | None) -> None:
        if snapshot is not None:
            self._stale = set(range(len(self.names)))
            self._hand_out()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._hand_out()

    def _hand_out(self) -> None:
        """Give each graph in view the latest snapshot's series, if it has not had it."""
        snapshot = self.snapshot
        if snapshot is None or not self._stale:
            return
        now = snapshot.at.timestamp()
        in_view = self._rows_in_view()
        for index, graph in enumerate(self.query(MetricGraph)):
            if index in self._stale and index in in_view:
                self._stale.discard(index)
                graph.now = now  # before the series, so one repaint shows both
                graph.series = snapshot.get(self.names[index])

    def _rows_in_view(self) -> range:
        """The graphs (by position) the pane shows: all of them unless rows scroll."""
        height = self.size.height
        if not self.has_class("-compact") or height <= 0:
            return range(len(self.names))
        top = self.scroll_y  # one row per metric, in config order
        return range(math.floor(top), math.ceil(top + height))

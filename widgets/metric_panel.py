"""The Metrics pane: one graph per configured metric, fed from one snapshot."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive

from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.widgets.metric_graph import MetricGraph
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN


class MetricPanel(PaintCache, VerticalScroll):
    """Graphs for the named metrics, in config order; scrolls when the pane is short."""

    DEFAULT_CSS = """
    MetricPanel {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    snapshot: reactive[MetricsSnapshot | None] = reactive(None, repaint=False)
    """Every metric's latest series; each graph picks its own by name."""

    def __init__(self, names: Sequence[str], *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names = tuple(names)
        self.lang = lang
        """The language of the graphs' words (the runbook's)."""

    def compose(self) -> ComposeResult:
        for _ in self.names:
            graph = MetricGraph()
            graph.set_reactive(MetricGraph.lang, self.lang)
            yield graph

    def watch_snapshot(self, snapshot: MetricsSnapshot | None) -> None:
        if snapshot is None:
            return
        now = snapshot.at.timestamp()
        for name, graph in zip(self.names, self.query(MetricGraph), strict=False):
            graph.now = now  # before the series, so one repaint shows both
            graph.series = snapshot.get(name)

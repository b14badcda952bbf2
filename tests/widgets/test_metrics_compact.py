"""A Metrics pane too short for graphs gives one row per metric: figure, state, trend.

At 80x24 the pane holds two or three rows for five metrics; a graph there was a cut
title over one row of bars, and "is the error rate getting better?" had no answer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from textual.app import App, ComposeResult

from tests.widgets.test_metric_graph import T0, Harness, rendered, series
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.widgets.metric_graph import MetricGraph
from warroom.widgets.metric_panel import MetricPanel

NAMES = ["Response time p95", "Error rate", "Auth success", "CPU", "Memory"]


def rising(start: float, step: float) -> tuple[tuple[float, float], ...]:
    return tuple((T0 + i * 5, start + i * step) for i in range(60))


def snapshot() -> MetricsSnapshot:
    """Five metrics, the first three critical, each moving one way over the window."""
    shapes = [
        ("Response time p95", "ms", rising(1000.0, 15.0), "crit"),
        ("Error rate", "%", rising(8.0, 0.1), "crit"),
        ("Auth success", "%", rising(60.0, -0.3), "crit"),
        ("CPU", "%", rising(30.0, 0.0), "ok"),
        ("Memory", "%", rising(40.0, 0.05), "ok"),
    ]
    return MetricsSnapshot(
        series=tuple(
            series(name=name, unit=unit, points=points, current=points[-1][1], state=state)
            for name, unit, points, state in shapes
        ),
        at=datetime.fromtimestamp(T0 + 300, UTC),
    )


class PanelHarness(App[None]):
    def compose(self) -> ComposeResult:
        yield MetricPanel(NAMES)


def panel_rows(app: App[None]) -> list[str]:
    """The rows the panel shows, top to bottom, as a reader sees them."""
    panel = app.query_one(MetricPanel)
    rows: list[str] = []
    for graph in panel.query(MetricGraph):
        if not panel.region.y <= graph.region.y < panel.region.bottom:
            continue  # scrolled out of the pane
        for strip in graph.render_lines(graph.region.reset_offset):
            rows.append("".join(segment.text for segment in strip).rstrip())
    return rows


FIGURE = re.compile(r"^(?P<name>.+?) -?[\d.]+k? ?\S* (?:✖ |▲ |✖ CRIT |▲ WARN )?[↑↓→] [+−][\d.]+")


@pytest.mark.parametrize("height", [2, 3, 5])
async def test_a_short_pane_shows_each_metric_as_its_figure_and_trend(height: int) -> None:
    app = PanelHarness()
    async with app.run_test(size=(36, height)) as pilot:
        app.query_one(MetricPanel).snapshot = snapshot()
        await pilot.pause()
        panel = app.query_one(MetricPanel)
        assert panel.has_class("-compact")
        rows = panel_rows(app)
    # One row per metric, in config order, as many as fit: the error rate among them.
    assert len(rows) == height
    names = []
    for row in rows:
        match = FIGURE.match(row)
        assert match, f"no figure and trend in {row!r}"
        names.append(match["name"])
    assert names == NAMES[:height]
    assert rows[1].startswith("Error rate 13.9 % ✖ CRIT ↑ +5.40")
    assert rows[2:3] == [] or rows[2].startswith("Auth success 42.3 % ✖ CRIT ↓ −16.2")


async def test_a_pane_with_room_draws_graphs_again() -> None:
    app = PanelHarness()
    async with app.run_test(size=(60, 12)) as pilot:
        app.query_one(MetricPanel).snapshot = snapshot()
        await pilot.pause()
        panel = app.query_one(MetricPanel)
        assert panel.has_class("-compact")
        await pilot.resize_terminal(60, 30)
        await pilot.pause()
        assert not panel.has_class("-compact")
        heights = [graph.region.height for graph in panel.query(MetricGraph)]
        assert min(heights) >= 3
        # A graph: the title with its trend, bars below it.
        first = app.query_one(MetricGraph)
        text = "\n".join(
            "".join(segment.text for segment in strip)
            for strip in first.render_lines(first.region.reset_offset)
        )
        assert text.startswith("Response time p95 1885 ms ✖ CRIT ↑ +810")
        assert "█" in text


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (60, "Response time p95 1885 ms ✖ CRIT ↑ +810"),
        # Too narrow for the state's word: its glyph stays, and so does the trend.
        (36, "Response time p95 1885 ms ✖ ↑ +810"),
    ],
)
async def test_a_narrow_row_keeps_the_trend_before_the_state_word(
    width: int, expected: str
) -> None:
    app = Harness()
    points = rising(1000.0, 15.0)
    async with app.run_test(size=(width, 1)) as pilot:
        app.query_one(MetricGraph).series = series(
            name="Response time p95", unit="ms", points=points, current=points[-1][1], state="crit"
        )
        await pilot.pause()
        row = rendered(app)
    assert row.startswith(expected)
    assert "…" not in row


async def test_a_row_carries_the_change_against_the_baseline_once_the_deploy_is_marked() -> None:
    app = Harness()
    points = rising(8.0, -0.1)
    marked = series(
        name="Error rate",
        points=points,
        current=points[-1][1],
        deploy_at=T0 + 150,
        baseline=10.0,
        delta_pct=-82.0,
    )
    async with app.run_test(size=(50, 1)) as pilot:
        app.query_one(MetricGraph).series = marked
        await pilot.pause()
        row = rendered(app)
    assert row.startswith("Error rate 2.10 % ↓ −5.40  ↓ −82% vs base")


def later(snapshot: MetricsSnapshot, factor: float) -> MetricsSnapshot:
    """The same metrics a sample later, every figure scaled by `factor`."""
    return MetricsSnapshot(
        series=tuple(
            series(
                name=s.name,
                unit=s.unit,
                points=(*s.points, (s.points[-1][0] + 5, s.points[-1][1] * factor)),
                current=s.points[-1][1] * factor,
                state=s.state,
            )
            for s in snapshot.series
        ),
        at=datetime.fromtimestamp(snapshot.at.timestamp() + 5, UTC),
    )


async def test_a_row_scrolled_into_view_shows_the_latest_figure() -> None:
    # Rows out of view are not repainted with each snapshot; scrolled back in, they
    # must show the newest figures, not the ones from when they scrolled out.
    app = PanelHarness()
    async with app.run_test(size=(36, 2)) as pilot:
        panel = app.query_one(MetricPanel)
        first = snapshot()
        panel.snapshot = first
        await pilot.pause()
        panel.snapshot = later(first, 2.0)  # CPU 30 % -> 60 %, while scrolled out
        await pilot.pause()
        assert [row.split(" ")[0] for row in panel_rows(app)] == ["Response", "Error"]
        panel.scroll_end(animate=False)
        await pilot.pause()
        rows = panel_rows(app)
    cpu = [row for row in rows if row.startswith("CPU ")]
    assert cpu and cpu[0].startswith("CPU 60.0 %"), rows

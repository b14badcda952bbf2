"""The metric graph in a harness app, from one row to a projector-sized pane."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

from warroom.services.metrics.sampler import MetricSeries
from warroom.widgets.metric_graph import (
    DEPLOY_CHAR,
    THRESHOLD_CHAR,
    MetricGraph,
    bucket,
    format_value,
    format_window,
    graph_cells,
    level_row,
    value_range,
)

T0 = 1_767_225_600.0


def series(**kw: object) -> MetricSeries:
    points = tuple((T0 + i * 5, float(v)) for i, v in enumerate([1, 2, 3, 8, 2, 1] * 10))
    fields: dict[str, object] = {
        "name": "error rate",
        "unit": "%",
        "points": points,
        "current": 1.0,
        "minimum": 1.0,
        "maximum": 8.0,
        "warn": 5.0,
        "crit": 10.0,
        "direction": "above",
        "state": "ok",
    }
    fields.update(kw)
    return MetricSeries(**fields)  # type: ignore[arg-type]


class Harness(App[None]):
    CSS = "MetricGraph { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield MetricGraph()


def rendered(app: App[None]) -> str:
    graph = app.query_one(MetricGraph)
    lines = graph.render_lines(graph.region.reset_offset)
    return "\n".join("".join(seg.text for seg in line) for line in lines)


async def test_title_graph_and_threshold_lines() -> None:
    app = Harness()
    async with app.run_test(size=(60, 8)) as pilot:
        app.query_one(MetricGraph).series = series()
        await pilot.pause()
        text = rendered(app)
    title = text.splitlines()[0]
    assert title.startswith("error rate 1.00 %") and "min 1.00 max 8.00" in title
    assert "[5m]" in title
    assert "█" in text and THRESHOLD_CHAR in text
    assert text.splitlines()[-1].startswith("-5m") and text.splitlines()[-1].endswith("now")


def _colours(graph: MetricGraph, word: str) -> tuple[str, str]:
    """The colour (hex) of the state `word` and of the bars, as painted."""
    strips = graph.render_lines(graph.region.reset_offset)
    segments = [segment for strip in strips for segment in strip]
    state = next(s.style for s in segments if word in s.text)
    bars = next(s.style for s in segments if "█" in s.text)
    assert state is not None and state.color is not None
    assert bars is not None and bars.color is not None
    return state.color.get_truecolor().hex.lower(), bars.color.get_truecolor().hex.lower()


async def test_state_is_a_word_and_a_colour() -> None:
    app = Harness()
    async with app.run_test(size=(60, 6)) as pilot:
        graph = app.query_one(MetricGraph)
        graph.series = series(state="ok", current=1.0)
        await pilot.pause()
        ok_bars = _colours(graph, "error rate")[1]
        graph.series = series(state="crit", current=12.0)
        await pilot.pause()
        assert "✖ CRIT" in rendered(app)
        error = app.theme_variables["error"].lower()
        assert _colours(graph, "CRIT") == (error, error)
        assert ok_bars != error
        graph.series = series(state="warn", current=6.0)
        await pilot.pause()
        assert "▲ WARN" in rendered(app)
        warning = app.theme_variables["warning"].lower()
        assert _colours(graph, "WARN") == (warning, warning)
        graph.series = series(state="unknown", current=None, error="HTTP 503")
        await pilot.pause()
        assert "? NO DATA" in rendered(app) and "HTTP 503" in rendered(app)


async def test_deploy_marker_and_baseline_delta() -> None:
    app = Harness()
    marked = series(deploy_at=T0 + 150, baseline=5.0, delta_pct=-82.0)
    async with app.run_test(size=(60, 6)) as pilot:
        app.query_one(MetricGraph).series = marked
        await pilot.pause()
        text = rendered(app)
    assert "↓ −82% vs baseline" in text.splitlines()[1]
    assert DEPLOY_CHAR in text


@pytest.mark.parametrize("height", [1, 2, 3, 4])
async def test_small_heights(height: int) -> None:
    app = Harness()
    marked = series(deploy_at=T0 + 150, baseline=5.0, delta_pct=-82.0)
    async with app.run_test(size=(38, height)) as pilot:
        app.query_one(MetricGraph).series = marked
        await pilot.pause()
        lines = rendered(app).splitlines()
    assert len(lines) == height
    assert lines[0].startswith("error rate 1.00 %")
    assert all(len(line) <= 38 for line in lines)
    if height >= 2:
        assert any(c in "".join(lines[1:]) for c in "▁▂▃▄▅▆▇█")


async def test_waiting_and_window_change() -> None:
    app = Harness()
    async with app.run_test(size=(60, 8)) as pilot:
        graph = app.query_one(MetricGraph)
        await pilot.pause()
        assert "waiting for the first sample" in rendered(app)
        graph.series = series()
        graph.window = 7200.0
        await pilot.pause()
        assert "[2h]" in rendered(app)


async def test_untrusted_text_is_not_markup() -> None:
    app = Harness()
    async with app.run_test(size=(60, 4)) as pilot:
        app.query_one(MetricGraph).series = series(
            state="unknown", current=None, error="[bold]boom[/]\x1b]0;x\x07"
        )
        await pilot.pause()
        text = rendered(app)
    assert "[bold]boom[/]" in text and "\x1b" not in text


def test_bucket_takes_the_highest_value_per_slice() -> None:
    points = [(0.0, 1.0), (1.0, 5.0), (6.0, 2.0), (20.0, 9.0)]
    assert bucket(points, 2, 0.0, 10.0) == [5.0, 2.0]
    assert bucket(points, 0, 0.0, 10.0) == []


def test_graph_cells_and_levels() -> None:
    assert graph_cells([0.0, 5.0, 10.0, None], 2, 0.0, 10.0) == [" " + " █ ", " ██ "]
    assert graph_cells([0.1], 1, 0.0, 10.0) == ["▁"]  # a small value still shows
    assert level_row(10.0, 4, 0.0, 10.0) == 0
    assert level_row(0.0, 4, 0.0, 10.0) == 3


@pytest.mark.parametrize(
    ("values", "thresholds", "direction", "low_is_zero"),
    [([5.0, 8.0], [10.0], "above", True), ([97.0, 99.0], [95.0], "below", False)],
)
def test_value_range(
    values: list[float], thresholds: list[float], direction: str, low_is_zero: bool
) -> None:
    low, high = value_range(values, thresholds, direction)
    assert (low == 0.0) is low_is_zero
    assert low <= min(values + thresholds) and high > max(values + thresholds)
    assert value_range([], [], "above") == (0.0, 1.0)


def test_formats() -> None:
    assert [format_value(v) for v in (None, 0.4242, 12.34, 512.0, 12345.0, 3.4e6)] == [
        "--", "0.42", "12.3", "512", "12k", "3.4M"
    ]  # fmt: skip
    assert [format_window(s) for s in (300.0, 1800.0, 7200.0)] == ["5m", "30m", "2h"]


@pytest.mark.parametrize("state", ["ok", "warn", "crit", "unknown"])
async def test_one_row_paints_the_same_cells_as_textual_would(state: str) -> None:
    app = Harness()
    async with app.run_test(size=(60, 1)) as pilot:
        graph = app.query_one(MetricGraph)
        graph.series = series(state=state, error="scrape failed" if state == "unknown" else None)
        await pilot.pause()
        crop = graph.region.reset_offset
        direct = [list(strip) for strip in graph.render_lines(crop)]
        graph._set_dirty()
        textual = [list(strip) for strip in Widget.render_lines(graph, crop)]
        assert direct == textual
        assert "error rate" in "".join(segment.text for segment in direct[0])

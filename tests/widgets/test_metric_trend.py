"""A figure says which way it is going, how old it is, and "--" when it has no value."""

from __future__ import annotations

import pytest

from tests.widgets.test_metric_graph import T0, Harness, rendered, series
from warroom.services.metrics.series import trend_direction, window_change
from warroom.widgets.metric_graph import MetricGraph


def rising(n: int = 60, step: float = 5.0) -> tuple[tuple[float, float], ...]:
    return tuple((T0 + i * step, 1.0 + i * 0.1) for i in range(n))


def test_window_change_compares_the_ends_of_the_window() -> None:
    points = rising()
    change = window_change(points, 300.0)
    assert change is not None and change == pytest.approx(5.4, abs=0.01)
    # Only the points inside the window count: the last minute rose by less.
    short = window_change(points, 60.0)
    assert short is not None and short < change
    assert window_change(points[:1], 300.0) is None
    assert window_change((), 300.0) is None


@pytest.mark.parametrize(
    ("change", "reference", "expected"),
    [(1.0, 10.0, "up"), (-1.0, 10.0, "down"), (0.1, 10.0, "flat"), (None, 1.0, "flat"),
     (0.0, 0.0, "flat"), (0.5, 0.0, "up")],
)  # fmt: skip
def test_trend_direction(change: float | None, reference: float, expected: str) -> None:
    assert trend_direction(change, reference) == expected


async def test_title_carries_the_arrow_and_signed_change() -> None:
    app = Harness()
    points = rising()
    async with app.run_test(size=(70, 8)) as pilot:
        app.query_one(MetricGraph).series = series(points=points, current=points[-1][1])
        await pilot.pause()
        up = rendered(app).splitlines()[0]
        falling = tuple((t, 10.0 - v) for t, v in points)
        app.query_one(MetricGraph).series = series(points=falling, current=falling[-1][1])
        await pilot.pause()
        down = rendered(app).splitlines()[0]
    assert up.startswith("error rate 6.90 % ↑ +5.40")
    assert down.startswith("error rate 3.10 % ↓ −5.40")


async def test_a_missing_value_reads_dashes_never_the_last_good_one() -> None:
    app = Harness()
    async with app.run_test(size=(70, 1)) as pilot:
        app.query_one(MetricGraph).series = series(current=None, state="unknown", error="HTTP 502")
        await pilot.pause()
        line = rendered(app)
    assert line.startswith("error rate -- ") and "1.00" not in line.split("NO DATA")[0]


async def test_an_old_figure_shows_its_age_and_a_fresh_one_does_not() -> None:
    app = Harness()
    points = rising()
    last = points[-1][0]
    async with app.run_test(size=(80, 8)) as pilot:
        graph = app.query_one(MetricGraph)
        graph.series = series(points=points, current=6.9, interval=5.0, sampled_at=last)
        graph.now = last + 9.0
        await pilot.pause()
        fresh = rendered(app).splitlines()[0]
        graph.now = last + 40.0
        await pilot.pause()
        old = rendered(app).splitlines()[0]
    assert " old" not in fresh
    assert "40s old" in old

"""The Health pane says what the hysteresis holds back, names flapping, and ages old probes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.widgets.test_health_table import NOW, Harness, screen_text, status
from warroom.services.health.status import HealthSnapshot, ProbeResult, ProbeState, Reason
from warroom.widgets.health_table import HealthTable


def rows(*statuses: object) -> HealthSnapshot:
    return HealthSnapshot(tuple(statuses), NOW)  # type: ignore[arg-type]


async def test_up_with_a_failing_probe_says_so_beside_its_code() -> None:
    failing = replace(
        status("login smoke", ProbeState.UP, Reason.STATUS, code=500),
        fail_streak=1,
        failure_threshold=3,
    )
    flapping = replace(status("search", ProbeState.DOWN, Reason.STATUS, code=503), recent_flaps=4)
    app = Harness()
    async with app.run_test(size=(100, 6)) as pilot:
        table = app.query_one(HealthTable)
        table.snapshot = rows(failing, flapping)
        await pilot.pause()
        text = screen_text(app)
    assert "login smoke ✔ UP · 1 of 3 failing · 500" in " ".join(text.split("  "))
    assert "⇅ FLAPPING · now DOWN · 503 · 4 changes" in text
    assert "✔ UP " not in text.replace("✔ UP · 1 of 3", "")  # never a bare UP beside a 500


async def test_an_old_probe_shows_its_age_and_a_fresh_one_does_not() -> None:
    old_result = ProbeResult(ProbeState.UP, None, NOW - timedelta(seconds=40), status_code=200)
    old = replace(status("api", ProbeState.UP), last=old_result, interval=5.0)
    fresh = replace(status("web", ProbeState.UP), interval=5.0)
    app = Harness()
    async with app.run_test(size=(100, 6)) as pilot:
        table = app.query_one(HealthTable)
        table.snapshot = rows(fresh)
        await pilot.pause()
        assert "AGE" not in screen_text(app)
        table.snapshot = rows(fresh, old)
        await pilot.pause()
        text = screen_text(app)
    assert "AGE" in text
    assert "40s ago" in next(line for line in text.splitlines() if line.startswith("api"))
    assert "ago" not in next(line for line in text.splitlines() if line.startswith("web"))

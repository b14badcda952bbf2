"""Projector mode in a harness: it fills every size and says what the room must see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.tui.fixtures import until
from warroom.services.config import EscalationConfig, EscalationLevel
from warroom.services.escalation import ladder as esc
from warroom.services.health.status import (
    EndpointStatus,
    HealthSnapshot,
    ProbeResult,
    ProbeState,
    Reason,
)
from warroom.services.metrics.sampler import MetricSeries, MetricsSnapshot
from warroom.services.runbook.model import builtin_runbook, replay
from warroom.widgets.big_figure import BigNumber, big_lines, big_width, fit_scale
from warroom.widgets.projector_view import KEYS, ProjectorView, progress_bar

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
AUTH_ERROR = (
    "2026-01-01T11:59:58Z ERROR auth-api: login failed for tenant acme-prod: "
    "token signature mismatch (kid=2025-rotation, issuer=https://id.example.com/) [req 7f3a]"
)
NAMES = ("Error rate", "Response time", "Auth success")


def endpoint(name: str, state: ProbeState, code: int, **kw: Any) -> EndpointStatus:
    reason = Reason.STATUS if code >= 500 else None
    last = ProbeResult(state, reason, NOW, status_code=code, latency_ms=40.0)
    fields: dict[str, Any] = {
        "name": name,
        "state": state,
        "reason": reason,
        "status_code": code,
        "latency_ms": 40.0,
        "p50_ms": 40.0,
        "p95_ms": 90.0,
        "uptime_pct": 90.0,
        "uptime_since_deploy_pct": None,
        "last_change": NOW - timedelta(minutes=2),
        "flaps": 0,
        "latencies": (30.0, 40.0),
        "last": last,
        "history": (last,),
        "interval": 5.0,
        "failure_threshold": 3,
        "success_threshold": 2,
    }
    fields.update(kw)
    return EndpointStatus(**fields)


HEALTH = HealthSnapshot(
    (
        endpoint("api health", ProbeState.DOWN, 503),
        endpoint("login smoke", ProbeState.UP, 500, fail_streak=1),
        endpoint("checkout", ProbeState.UP, 200, recent_flaps=4, flaps=4),
    ),
    NOW,
)


def series(name: str, values: list[float], unit: str, **kw: Any) -> MetricSeries:
    start = NOW.timestamp() - 5 * len(values)
    points = tuple((start + 5 * i, v) for i, v in enumerate(values))
    fields: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "points": points,
        "current": values[-1],
        "minimum": min(values),
        "maximum": max(values),
        "warn": None,
        "crit": None,
        "direction": "above",
        "state": "ok",
        "interval": 5.0,
        "sampled_at": points[-1][0],
    }
    fields.update(kw)
    return MetricSeries(**fields)


METRICS = MetricsSnapshot(
    (
        series("Error rate", [1.0 + i * 0.2 for i in range(40)], "%", state="warn", warn=5.0),
        series("Response time", [400.0 - i * 5 for i in range(40)], "ms"),
        series("Auth success", [99.0] * 40, "%", current=None, error="HTTP 502", state="unknown"),
    ),
    NOW,
)

LEVELS = [
    EscalationLevel(after=900, role="Senior engineer", name="Aiko Tanaka", contact="@aiko"),
    EscalationLevel(after=1800, role="Engineering manager", name="Sam Ito", contact="@sam"),
]


def escalation(seconds: float) -> esc.EscalationState:
    start = NOW - timedelta(seconds=seconds)
    return esc.compute_state(EscalationConfig(levels=LEVELS), start, NOW, [])


class Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield ProjectorView(NAMES)

    def on_mount(self) -> None:
        view = self.query_one(ProjectorView)
        view.escalation = escalation(11 * 60 + 22)
        view.health = HEALTH
        view.metrics = METRICS
        view.runbook = replay(builtin_runbook("en"), [])
        view.last_error = AUTH_ERROR


async def ready(pilot: Pilot[None], app: App[None]) -> None:
    """Wait for the view to be composed and filled in (it is, the first time it shows)."""
    view = app.query_one(ProjectorView)
    await until(pilot, lambda: view.built)
    await pilot.pause()


def screen_rows(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def shown_in(app: App[None], selector: str) -> str:
    """The text on screen inside one widget's box, its wrapped rows joined by spaces."""
    region = app.query_one(selector).region
    rows = screen_rows(app)[region.y : region.bottom]
    return " ".join(row[region.x : region.right].strip() for row in rows).strip()


def test_block_font_scales_to_its_box() -> None:
    assert big_lines("1:2", 1) == [
        " █    ███",
        "██  █   █",
        " █    ███",
        " █  █ █  ",
        "███   ███",
    ]
    assert len(big_lines("12", 3)) == 15 and big_width("12", 3) == 3 * 3 + 3 + 3 * 3
    assert fit_scale("0:11:22", 60, 10) == 2
    assert fit_scale("0:11:22", 20, 10) == 0
    assert progress_bar(3, 7, 14) == "██████░░░░░░░░"


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50), (300, 80)])
async def test_fills_the_screen_and_says_everything(size: tuple[int, int]) -> None:
    app = Harness()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        await pilot.pause()
        rows = screen_rows(app)
        text = "\n".join(rows)
        health = shown_in(app, "#projector-health")
        phase = shown_in(app, "#projector-phase")
        upcoming = shown_in(app, "#next-label")
        error = shown_in(app, "#projector-error")
    _width, height = size
    assert "Phase 1 of 18" in phase and "Emergency assessment and triage" in phase
    assert "api health ✖ DOWN · 503" in health
    assert "login smoke ✔ UP · 1 of 3 failing · 500" in health
    assert "checkout ⇅ FLAPPING · now UP" in health
    assert "↑ +" in text and "↓ −" in text  # rising error rate, falling response time
    assert upcoming == "Next: Senior engineer · Aiko Tanaka @aiko · in 3:38"
    assert "HTTP 502" in text  # a figure with no value says why, and shows no number
    # The last error in full, wrapped if it must be, never cut.
    assert error.replace(" ", "") == f"Last error: {AUTH_ERROR}".replace(" ", "")
    assert KEYS.strip() in rows[-1] and "Release" not in rows[-1]
    # Filled: no run of blank rows anywhere (80x24 left 24 rows blank before).
    blank_run = longest = 0
    for row in rows:
        blank_run = blank_run + 1 if not row.strip() else 0
        longest = max(longest, blank_run)
    assert longest <= max(2, height // 10), f"{longest} blank rows at {size}"


async def test_numbers_grow_where_there_is_room() -> None:
    heights = []
    for size in ((80, 24), (300, 80)):
        app = Harness()
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app)
            await pilot.pause()
            clock = app.query_one("#clock-number", BigNumber)
            drawn = [r for r in screen_rows(app)[clock.region.y : clock.region.bottom] if "█" in r]
            heights.append(len(drawn) or 3)
    assert heights[1] >= 2 * heights[0]


async def test_unacked_level_is_called_out() -> None:
    app = Harness()
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot, app)
        view = app.query_one(ProjectorView)
        crossed = esc.compute_state(
            EscalationConfig(levels=LEVELS),
            NOW - timedelta(minutes=16),
            NOW,
            [_Ev(1, NOW - timedelta(minutes=1), "warroom", esc.ESCALATION_CROSSED, {"level": 0})],
        )
        view.escalation = crossed
        await pilot.pause()
        upcoming = shown_in(app, "#next-label")
    assert "CALL Senior engineer (Aiko Tanaka) @aiko · UNACKED" in upcoming
    assert "Engineering manager · Sam Ito @sam · in 14:00" in upcoming


class _Ev:
    def __init__(self, seq: int, at: datetime, actor: str, kind: str, payload: Any) -> None:
        self.seq, self.at, self.actor, self.kind, self.payload = seq, at, actor, kind, payload


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_countdown_is_labelled_beside_its_digits(size: tuple[int, int]) -> None:
    app = Harness()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        # Five characters, the widest a countdown under an hour takes ("14:00").
        app.query_one(ProjectorView).escalation = escalation(60)
        await pilot.pause()
        number = app.query_one("#next-number", BigNumber)
        label = app.query_one("#next-in")
        said = shown_in(app, "#next-in")
        upcoming = shown_in(app, "#next-label")
        assert number.value == "14:00" and number.drawn_large()
    # Left of the digits, on their rows, and the next level's line still whole above.
    assert said == "Escalates in"
    assert label.region.right <= number.region.x
    assert number.region.y <= label.region.y and label.region.bottom <= number.region.bottom
    assert upcoming == "Next: Senior engineer · Aiko Tanaka @aiko · in 14:00"


async def test_a_figure_drawn_large_also_says_its_value_in_plain_text() -> None:
    app = Harness()
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot, app)
        await pilot.pause()
        assert app.query_one("#projector-metric-0 BigNumber", BigNumber).drawn_large()
        error_rate = shown_in(app, "#projector-metric-0 #trend")
        response = shown_in(app, "#projector-metric-1 #trend")
        failing = shown_in(app, "#projector-metric-2 #trend")
    assert error_rate.startswith("8.8 % ↑ +")  # "8.8" not to be read "88"
    assert response.startswith("205 ms ↓ −")
    assert failing == "HTTP 502"  # no value: nothing to repeat

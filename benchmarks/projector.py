"""Projector mode: what one second of the incident costs it to redraw, by screen size.

Each second the session hands the projector a new escalation state (the countdown),
and every probe and sample round new health and metrics snapshots. This drives the
projector in a headless app at 80x24, 200x50 and 300x80 with six headline figures and
four hours of points, and times one full update (all three snapshots, then the frame).
Goal: p50 below 50 ms at 300x80, so a once-a-second update stays a small share of a core.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

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
from warroom.widgets.projector_view import ProjectorView

SIZES = ((80, 24), (200, 50), (300, 80))
RUNS = 40
GOAL_MS = 50.0
NAMES = tuple(f"Figure {i}" for i in range(6))
START = datetime(2026, 1, 1, tzinfo=UTC)
POINTS = 4 * 3600 // 5


def health(at: datetime, tick: int) -> HealthSnapshot:
    statuses = []
    for i in range(8):
        state = ProbeState.DOWN if i == tick % 8 else ProbeState.UP
        reason = Reason.STATUS if state is ProbeState.DOWN else None
        last = ProbeResult(state, reason, at, status_code=500 if reason else 200, latency_ms=40)
        statuses.append(
            EndpointStatus(
                f"endpoint-{i}", state, reason, last.status_code, 40.0, 40.0, 90.0, 99.0,
                None, at, 0, (40.0,) * 60, last, (last,), interval=5.0,
            )
        )  # fmt: skip
    return HealthSnapshot(tuple(statuses), at)


def metrics(at: datetime, tick: int) -> MetricsSnapshot:
    end = at.timestamp()
    series = []
    for i, name in enumerate(NAMES):
        points = tuple(
            (end - 5 * (POINTS - k), 100 + i * 10 + (k + tick) % 37) for k in range(POINTS)
        )
        series.append(
            MetricSeries(
                name, "ms", points, points[-1][1], 100.0, 146.0, 130.0, 140.0, "above",
                "warn", interval=5.0, sampled_at=end,
            )
        )  # fmt: skip
    return MetricsSnapshot(tuple(series), at)


class Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield ProjectorView(NAMES)


async def measure(size: tuple[int, int]) -> list[float]:
    app = Harness()
    levels = [EscalationLevel(after=900, role="Senior engineer", name="Aiko", contact="@aiko")]
    config = EscalationConfig(levels=levels)
    times: list[float] = []
    async with app.run_test(size=size) as pilot:
        view = app.query_one(ProjectorView)
        view.runbook = replay(builtin_runbook("en"), [])
        view.last_error = "ERROR auth-api: login failed: token signature mismatch"
        await pilot.pause()
        for tick in range(RUNS):
            now = START + timedelta(seconds=600 + tick)
            # The snapshots are built outside the timing: the session builds them.
            state, probes, figures = (
                esc.compute_state(config, START, now, []),
                health(now, tick),
                metrics(now, tick),
            )
            started = time.perf_counter()
            view.escalation = state
            view.health = probes
            view.metrics = figures
            await pilot.pause()  # the refresh and the frame's render, as the terminal gets them
            times.append((time.perf_counter() - started) * 1000.0)
    return times


def main() -> None:
    rows = []
    for size in SIZES:
        times = asyncio.run(measure(size))
        rows.append((f"{size[0]}x{size[1]}", statistics.median(times), max(times)))
    print(f"{'projector update':<20} {'p50 ms':>9} {'max ms':>9}")
    for name, p50, worst in rows:
        print(f"{name:<20} {p50:>9.2f} {worst:>9.2f}")
    ok = rows[-1][1] <= GOAL_MS
    print(f"goal: 300x80 p50 <= {GOAL_MS:g} ms: {'met' if ok else 'MISSED'}")
    print(
        json.dumps(
            {
                "benchmark": "projector",
                "p50_ms": {name: round(p50, 2) for name, p50, _ in rows},
                "max_ms": {name: round(worst, 2) for name, _, worst in rows},
                "goal_met": ok,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Fixed data for dashboard snapshots: a config, and what every pane would show."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from tests.waiting import WAIT
from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.escalation import ladder as esc
from warroom.services.health.status import (
    EndpointStatus,
    HealthSnapshot,
    ProbeResult,
    ProbeState,
    Reason,
)
from warroom.services.journal.store import Event
from warroom.services.logs.lines import LogLine
from warroom.services.metrics.sampler import MetricSeries, MetricsSnapshot
from warroom.services.runbook.model import replay
from warroom.services.sanitize import clean
from warroom.services.session.summary import IncidentSummary
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.widgets.log_view import LogView
from warroom.widgets.projector_view import ProjectorView

NOW = datetime(2026, 11, 26, 4, 20, 0, tzinfo=UTC)
STARTED = NOW - timedelta(minutes=17, seconds=5)

CONFIG = """
[incident]
id = "INC-2041"
title = "Login failures after v1.2.3"
severity = "SEV2"
started = 2026-11-26T04:02:55Z
state_dir = "state"

[[endpoint]]
name = "api health"
url = "http://127.0.0.1:9/health"
health_json = true

[[endpoint]]
name = "login smoke"
url = "http://127.0.0.1:9/api/auth/login"
method = "POST"
json = { email = "test@example.com", password = "testpass" }

[[metric]]
name = "Response time p95"
source = "health"
endpoint = "api health"
unit = "ms"
warn = 500.0
crit = 1000.0

[[metric]]
name = "Error rate"
source = "psutil"
query = "cpu"
unit = "%"
warn = 1.0
crit = 5.0

[[metric]]
name = "Auth success"
source = "psutil"
query = "cpu"
unit = "%"
warn = 99.0
crit = 95.0
direction = "below"

[[metric]]
name = "CPU"
source = "psutil"
query = "cpu"
unit = "%"

[[metric]]
name = "Memory"
source = "psutil"
query = "memory"
unit = "%"

[[log]]
name = "error.log"
path = "error.log"
"""


def loaded_config(tmp: Path, lang: str | None = None) -> LoadedConfig:
    """The fixed config, written into `tmp`; `lang` sets `[runbook] lang`."""
    path = tmp / "warroom.toml"
    runbook = f'\n[runbook]\nlang = "{lang}"\n' if lang else ""
    path.write_text(CONFIG + runbook, encoding="utf-8")
    return load_config(path, env={})


def _status(name: str, state: ProbeState, code: int, latencies: list[float]) -> EndpointStatus:
    reason = Reason.STATUS if state is ProbeState.DOWN else None
    last = ProbeResult(state, reason, NOW, status_code=code, latency_ms=latencies[-1])
    return EndpointStatus(
        name=name,
        state=state,
        reason=reason,
        status_code=code,
        latency_ms=latencies[-1],
        p50_ms=sorted(latencies)[len(latencies) // 2],
        p95_ms=max(latencies),
        uptime_pct=62.5 if state is ProbeState.DOWN else 100.0,
        uptime_since_deploy_pct=None,
        last_change=NOW - timedelta(minutes=3),
        flaps=2 if state is ProbeState.DOWN else 0,
        latencies=tuple(latencies),
        last=last,
        history=(last,),
    )


def health() -> HealthSnapshot:
    """One endpoint DOWN on 503, one UP."""
    return HealthSnapshot(
        endpoints=(
            _status("api health", ProbeState.DOWN, 503, [120, 180, 240, 900, 1300, 1250, 1400]),
            _status("login smoke", ProbeState.UP, 200, [210, 230, 250, 260, 240, 220, 280]),
        ),
        at=NOW,
    )


def _series(
    name: str,
    unit: str,
    values: list[float],
    warn: float | None = None,
    crit: float | None = None,
    direction: str = "above",
    state: str = "ok",
) -> MetricSeries:
    base = NOW.timestamp() - 5 * len(values)
    points = tuple((base + 5 * i, v) for i, v in enumerate(values))
    return MetricSeries(
        name=name,
        unit=unit,
        points=points,
        current=values[-1],
        minimum=min(values),
        maximum=max(values),
        warn=warn,
        crit=crit,
        direction=direction,  # type: ignore[arg-type]
        state=state,  # type: ignore[arg-type]
    )


def metrics() -> MetricsSnapshot:
    """The five headline figures of the monitoring step."""
    # Five minutes at one sample every 5 s: worsening, with a little noise.
    wave = [1.0 + i / 40 + (0.15 if i % 3 == 0 else 0.0) for i in range(60)]
    return MetricsSnapshot(
        series=(
            _series("Response time p95", "ms", [v * 700 for v in wave], 500, 1000, state="crit"),
            _series("Error rate", "%", [v * 5 for v in wave], 1, 5, state="crit"),
            _series("Auth success", "%", [100 - v * 20 for v in wave], 99, 95, "below", "crit"),
            _series("CPU", "%", [30 + v * 5 for v in wave]),
            _series("Memory", "%", [40 + v for v in wave]),
        ),
        at=NOW,
    )


def log_lines() -> list[LogLine]:
    """Realistic lines, one of them hostile: it must show inert."""
    texts = [
        ("2026-11-26T04:19:51Z INFO  auth-api: health check ok", "info"),
        (
            "2026-11-26T04:19:52Z ERROR auth-api: login failed user=alice reason=key_not_found",
            "error",
        ),
        ("2026-11-26T04:19:53Z WARN  auth-api: slow token verification 1250ms", "warning"),
        (
            "2026-11-26T04:19:54Z ERROR auth-api: \x1b]0;pwned\x07[bold]x[/] [@click=app.quit]",
            "error",
        ),
        (
            "2026-11-26T04:19:55Z ERROR auth-api: login failed user=bob reason=invalid_token",
            "error",
        ),
    ]
    return [
        LogLine("error.log", clean(text), level, seq)
        for seq, (text, level) in enumerate(texts, start=1)
    ]


def events() -> list[Event]:
    """Two items ticked and a note, by two people."""
    rows = [
        ("alice", "item.done", {"item": "p01.assess-severity"}),
        ("bob", "item.done", {"item": "p01.hotfix-or-wait"}),
        ("alice", "item.note", {"item": "p01.hotfix-or-wait", "text": "auth is down for 40%"}),
    ]
    return [
        Event(seq=i, at=STARTED + timedelta(minutes=i), actor=actor, kind=kind, payload=payload)
        for i, (actor, kind, payload) in enumerate(rows, start=1)
    ]


def escalation(config: LoadedConfig) -> esc.EscalationState:
    """The ladder 17 minutes in: the senior engineer is due."""
    return esc.compute_state(config.config.escalation, STARTED, NOW, events(), "SEV2")


def frozen_app(
    tmp: Path, theme: str | None = None, projector: bool = False, lang: str | None = None
) -> tuple[WarroomApp, Callable[[Pilot[int]], Awaitable[None]]]:
    """A dashboard with no live service, and a `run_before` that fills every pane."""
    loaded = loaded_config(tmp, lang)
    app = build_app(loaded, clock=ManualClock(wall=NOW), live=False, theme=theme)

    async def before(pilot: Pilot[int]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, DashboardScreen)
        screen.health = health()
        screen.metrics = metrics()
        screen.events = tuple(events())
        screen.runbook_state = replay(screen.runbook, screen.events)
        state = escalation(loaded)
        screen.escalation = state
        screen.summary = IncidentSummary(
            id="INC-2041",
            title="Login failures after v1.2.3",
            severity="SEV2",
            elapsed_s=state.elapsed,
        )
        screen.query_one(LogView).append(log_lines())
        if projector:
            await pilot.press("p")
            # Composed when first shown: wait for its widgets to be filled in.
            await until(pilot, lambda: screen.query_one(ProjectorView).built)
        await pilot.pause()

    return app, before


def dashboard(app: WarroomApp) -> DashboardScreen:
    """The dashboard screen, even while a modal screen is on top of it."""
    screen = app.screen_stack[1]
    assert isinstance(screen, DashboardScreen)
    return screen


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    """Let the app run until `predicate` holds; fail after `timeout` seconds.

    The deadline is wall time, not a count of pauses: on a busy machine each pause runs
    long, and the failure message must still say how long the test waited.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:g}s")
        await pilot.pause(0.05)


def screen_text(app: App[Any]) -> str:
    """Every Static's words on the screen on top (a dialog's question and reasons)."""
    from textual.widgets import Static

    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def dialog(
    pilot: Pilot[Any], screen: type[object], *words: str, timeout: float = WAIT
) -> str:
    """Wait for a `screen` on top that says every one of `words`, and return its text.

    A pushed screen composes its children after it becomes `app.screen`: reading the text
    as soon as the screen is on top can find it empty on a busy machine.
    """
    app = pilot.app

    def shown() -> bool:
        if not isinstance(app.screen, screen):
            return False
        text = screen_text(app)
        return bool(text) and all(word in text for word in words)

    try:
        await until(pilot, shown, timeout)
    except AssertionError:
        raise AssertionError(
            f"{screen.__name__} saying {words!r} not shown within {timeout:g}s;"
            f" on top: {type(app.screen).__name__}: {screen_text(app)!r}"
        ) from None
    return screen_text(app)

"""The Health table in a harness app: what a user sees at different pane sizes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from warroom.services.health.status import (
    EndpointStatus,
    HealthCheck,
    HealthSnapshot,
    ProbeResult,
    ProbeState,
    Reason,
)
from warroom.widgets.health_detail import HealthDetail, detail_text
from warroom.widgets.health_table import (
    HealthTable,
    choose_columns,
    column_widths,
    format_age,
    format_ms,
    sparkline_text,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def status(
    name: str,
    state: ProbeState,
    reason: Reason | None = None,
    code: int | None = 200,
    latency: float | None = 42.0,
    deploy: float | None = None,
) -> EndpointStatus:
    last = ProbeResult(state, reason, NOW, status_code=code, latency_ms=latency)
    return EndpointStatus(
        name=name,
        state=state,
        reason=reason,
        status_code=code,
        latency_ms=latency,
        p50_ms=40.0,
        p95_ms=95.0,
        uptime_pct=99.5,
        uptime_since_deploy_pct=deploy,
        last_change=NOW - timedelta(minutes=7),
        flaps=1,
        latencies=(10.0, 20.0, 80.0, 40.0),
        last=last,
        history=(last,),
    )


SNAP = HealthSnapshot(
    (
        status("api", ProbeState.UP),
        status("login", ProbeState.DOWN, Reason.REFUSED, code=None, latency=None),
        status("checkout-service-long-name", ProbeState.WARN, Reason.BODY_FAIL),
        status("search", ProbeState.STALE),
    ),
    NOW,
)


class Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield HealthTable()

    def on_health_table_selected(self, message: HealthTable.Selected) -> None:
        self.selected.append(message.name)


def screen_text(app: App[None]) -> str:
    table = app.query_one(HealthTable)
    lines = table.render_lines(table.region.reset_offset)
    return "\n".join("".join(seg.text for seg in line) for line in lines)


async def test_wide_pane_shows_every_column() -> None:
    app = Harness()
    async with app.run_test(size=(120, 8)) as pilot:
        app.query_one(HealthTable).snapshot = SNAP
        await pilot.pause()
        text = screen_text(app)
    assert "✔ UP" in text and "✖ DOWN" in text and "▲ WARN" in text and "◌ STALE" in text
    assert "refused" in text and "body-fail" in text
    for header in ("HTTP", "MS", "P50", "P95", "UP%", "FOR", "LATENCY"):
        assert header in text
    assert "99.5%" in text and "7m" in text
    assert "▁▂█▄" in text


async def test_narrow_pane_keeps_name_state_and_reason() -> None:
    app = Harness()
    async with app.run_test(size=(38, 4)) as pilot:
        app.query_one(HealthTable).snapshot = SNAP
        await pilot.pause()
        text = screen_text(app)
    lines = text.splitlines()
    assert all(len(line) <= 38 for line in lines)
    assert "✖ DOWN" in text and "refused" in text
    assert "P50" not in text
    # four rows in a four-line pane: the header gives way to the endpoints
    assert "NAME" not in text and "search" in text


async def test_short_pane_scrolls_to_the_cursor() -> None:
    app = Harness()
    async with app.run_test(size=(60, 3)) as pilot:
        table = app.query_one(HealthTable)
        table.styles.height = 3
        table.snapshot = SNAP
        table.focus()
        await pilot.pause()
        assert "api" in screen_text(app)
        await pilot.press("down", "down", "down")
        text = screen_text(app)
    assert "search" in text and table.cursor == 3


async def test_enter_posts_selected_for_the_highlighted_row() -> None:
    app = Harness()
    async with app.run_test(size=(80, 8)) as pilot:
        table = app.query_one(HealthTable)
        table.snapshot = SNAP
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.selected == ["login"]


async def test_waiting_and_deploy_column() -> None:
    app = Harness()
    async with app.run_test(size=(120, 6)) as pilot:
        table = app.query_one(HealthTable)
        await pilot.pause()
        assert "waiting for the first probe" in screen_text(app)
        table.snapshot = HealthSnapshot((status("api", ProbeState.UP, deploy=100.0),), NOW)
        await pilot.pause()
        assert "DEPL%" in screen_text(app)
        assert "100%" in screen_text(app)


async def test_markup_in_names_is_not_parsed() -> None:
    app = Harness()
    async with app.run_test(size=(80, 4)) as pilot:
        table = app.query_one(HealthTable)
        table.snapshot = HealthSnapshot((status("[b]x[/]\x1b[2J", ProbeState.UP),), NOW)
        await pilot.pause()
        text = screen_text(app)
    assert "[b]x[/]" in text and "\x1b" not in text


@pytest.mark.parametrize(
    ("values", "width", "expected"),
    [
        ((), 5, ""),
        ((1.0, 1.0), 5, "▁▁"),
        ((0.0, 4.0, 8.0), 5, "▁▅█"),
        ((0.0, 4.0, 8.0), 2, "▁█"),
        ((1.0,), 0, ""),
    ],
)
def test_sparkline_text(values: tuple[float, ...], width: int, expected: str) -> None:
    assert sparkline_text(values, width) == expected


def test_formats() -> None:
    assert [format_ms(v) for v in (None, 12.4, 1234.0, 12345.0)] == ["--", "12", "1.2s", "12s"]
    assert [format_age(v) for v in (None, 5.0, 420.0, 7300.0)] == ["-", "5s", "7m", "2h"]


def test_choose_columns_by_width() -> None:
    widths = column_widths(SNAP)
    assert widths["state"] == len("▲ WARN · body-fail") and "age" not in widths
    narrow, spark = choose_columns(38, 12, widths)
    assert narrow == ["state", "last"] and spark == 0
    wide, spark = choose_columns(140, 12, {**widths, "deploy": 6})
    assert "deploy" in wide and "p50" in wide and spark > 6


def detailed() -> EndpointStatus:
    last = ProbeResult(
        ProbeState.WARN,
        Reason.BODY_FAIL,
        NOW,
        status_code=200,
        latency_ms=12.0,
        detail="body status fail",
        body='{"status": "fail", "note": "[link=\'http://evil\']x[/link]"}',
        headers=(("content-type", "application/health+json"), ("set-cookie", "***")),
        checks=(HealthCheck("db:connections", "fail", "pool exhausted"),),
        bytes_read=60,
    )
    older = ProbeResult(ProbeState.DOWN, Reason.REFUSED, NOW - timedelta(seconds=5))
    base = status("api", ProbeState.WARN, Reason.BODY_FAIL)
    return replace(base, last=last, history=(older, last))


def test_detail_text_lists_everything_the_drill_down_promises() -> None:
    text = detail_text(detailed())
    assert "api: ▲ WARN" in text
    assert "Latest probe: WARN body-fail  body status fail" in text
    assert "HTTP 200" in text and "12 ms" in text
    assert "✖ db:connections  fail  pool exhausted" in text
    assert "set-cookie: ***" in text
    assert "[link='http://evil']" in text
    newest, oldest = text.splitlines()[-2:]
    assert "▲ WARN" in newest and "✖ DOWN" in oldest and "refused" in oldest


async def test_detail_modal_opens_and_closes() -> None:
    app = Harness()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = HealthDetail(detailed())
        await app.push_screen(screen)
        await pilot.pause()
        body = screen.query_one("#detail-body", Static)
        assert "db:connections" in str(body.render())
        screen.status = replace(detailed(), name="api-2")
        await pilot.pause()
        assert "api-2:" in str(body.render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen

"""Every dashboard key that writes the journal, driven as a user would, against the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList
from textual.pilot import Pilot

from tests.tui import fixtures
from warroom.services.clock import ManualClock
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.events import INCIDENT_RESOLVED
from warroom.services.journal.store import Event, Journal, journal_path
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.widgets.confirm import ConfirmScreen
from warroom.widgets.health_detail import HealthDetail
from warroom.widgets.status_composer import StatusComposer
from warroom.widgets.timeline import TimelineScreen


def _journal_events(demo: DemoTarget) -> list[Event]:
    loaded = load_config(demo.config_path)
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    journal = Journal.open(path, ManualClock(), "reader", read_only=True)
    try:
        return journal.events()
    finally:
        journal.close()


async def _ready(app: WarroomApp, pilot: Pilot[int]) -> DashboardScreen:
    screen = fixtures.dashboard(app)
    await fixtures.until(
        pilot, lambda: screen.journal is not None and screen.escalation is not None
    )
    return screen


def _first_hit(app: WarroomApp) -> str:
    """The command the palette would run on enter, as shown; empty while it searches."""
    lists = app.screen.query(CommandList)
    if not lists or lists.first().highlighted is None:
        return ""
    hits = lists.first()
    return str(hits.get_option_at_index(hits.highlighted or 0).prompt)


async def _type(pilot: Pilot[int], text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_n_adds_a_note_and_s_marks_not_applicable(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("n")
        await _type(pilot, "checked grafana")
        await pilot.press("enter")
        await fixtures.until(pilot, lambda: any(e.kind == "item.note" for e in screen.events))
        await pilot.press("down", "s")
        await _type(pilot, "done by sre")
        await pilot.press("enter")
        await fixtures.until(pilot, lambda: any(e.kind == "item.na" for e in screen.events))
        state = screen.runbook_state
        assert state is not None
        noted = state.item("p01.assess-severity")
        assert noted is not None and [n.text for n in noted.notes] == ["checked grafana"]
        na = state.item("p01.hotfix-or-wait")
        assert na is not None and na.status == "na" and na.reason == "done by sre"
    kinds = [e.kind for e in _journal_events(demo)]
    assert "item.note" in kinds and "item.na" in kinds


async def test_escape_cancels_a_note(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("n", "x", "escape")
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        # A tick after the escape is journaled behind anything the escape let through.
        await pilot.press("space")
        await fixtures.until(pilot, lambda: any(e.kind == "item.done" for e in screen.events))
        assert not any(e.kind == "item.note" for e in screen.events)


async def test_t_opens_the_timeline_with_the_tick(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("space")
        await fixtures.until(pilot, lambda: any(e.kind == "item.done" for e in screen.events))
        await pilot.press("t")
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_u_sends_a_status_update_prefilled_from_live_state(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("u")
        await fixtures.until(pilot, lambda: isinstance(app.screen, StatusComposer))
        await pilot.press("ctrl+s")
        await fixtures.until(pilot, lambda: any(e.kind == "status.sent" for e in screen.events))
        sent = next(e for e in screen.events if e.kind == "status.sent")
        assert "Auth failures after v1.2.3" in sent.payload["text"]
        assert screen.escalation is not None and screen.escalation.last_status_at is not None


async def test_capital_r_resolves_after_confirmation(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("R")
        await fixtures.until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        # A tick after the refusal is journaled behind a resolve, had one been sent.
        await pilot.press("space")
        await fixtures.until(pilot, lambda: any(e.kind == "item.done" for e in screen.events))
        assert not any(e.kind == INCIDENT_RESOLVED for e in screen.events)
        assert screen.escalation is not None and not screen.escalation.resolved
        await pilot.press("R", "y")
        await fixtures.until(
            pilot, lambda: screen.escalation is not None and screen.escalation.resolved
        )
        assert screen.summary is not None and screen.summary.resolved


async def test_capital_d_marks_the_deploy_for_baselines(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("D")
        await fixtures.until(pilot, lambda: any(e.kind == "deploy.marked" for e in screen.events))
        await fixtures.until(
            pilot, lambda: screen.escalation is not None and screen.escalation.watch is not None
        )


async def test_enter_on_an_endpoint_opens_its_detail(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await fixtures.until(pilot, lambda: screen.health is not None)
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "health"
        await pilot.press("enter")
        assert isinstance(app.screen, HealthDetail)
        await pilot.press("escape")


async def test_a_failed_write_shows_not_saved_and_the_item_stays_open(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    (tmp_path / "blocker").write_text("a file where the state dir should be")
    config.write_text('[incident]\nid = "INC-1"\nstate_dir = "blocker/state"\n')
    app = build_app(load_config(config))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = fixtures.dashboard(app)
        await fixtures.until(pilot, lambda: screen.journal is not None)
        await pilot.press("space")
        await fixtures.until(
            pilot, lambda: screen.summary is not None and screen.summary.save_error is not None
        )
        assert screen.runbook_state is not None and screen.runbook_state.finished == 0
        assert screen.summary is not None and screen.summary.save_error is not None
        assert "NOT SAVED" in screen.summary.save_error or "cannot" in screen.summary.save_error


async def test_two_instances_see_each_other_s_ticks(demo: DemoTarget) -> None:
    loaded = load_config(demo.config_path)
    driver = build_app(loaded)
    viewer = build_app(loaded, read_only=True)
    async with driver.run_test(size=(100, 30)) as drive, viewer.run_test(size=(100, 30)) as view:
        driving = await _ready(driver, drive)
        watching = await _ready(viewer, view)
        await drive.press("space")
        await fixtures.until(
            view,
            lambda: watching.runbook_state is not None and watching.runbook_state.finished == 1,
        )
        assert driving.runbook_state is not None and driving.runbook_state.finished == 1


async def test_the_command_palette_changes_the_severity(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _ready(app, pilot)
        await pilot.press("ctrl+p")
        await _type(pilot, "Severity: SEV1")
        await fixtures.until(pilot, lambda: _first_hit(app).startswith("Severity: SEV1"))
        await pilot.press("enter")
        await fixtures.until(
            pilot, lambda: screen.summary is not None and screen.summary.severity == "SEV1"
        )
        changed = [e for e in screen.events if e.kind == "severity.changed"]
        assert [e.payload["severity"] for e in changed] == ["SEV1"]


async def test_secrets_from_the_environment_never_reach_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-9f8e7d6c")
    config = tmp_path / "warroom.toml"
    config.write_text(
        '[incident]\nid = "INC-7"\n'
        '[actions.commands.production]\nargv = ["./deploy.sh", "--token=${env:DEPLOY_TOKEN}"]\n'
    )
    loaded = load_config(config)
    app = build_app(loaded)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = fixtures.dashboard(app)
        await fixtures.until(pilot, lambda: screen.journal is not None)
        argv = loaded.config.actions.commands["production"].argv
        assert await screen.record("action.finished", {"name": "production", "argv": argv})
    path = journal_path(loaded.state_dir, "INC-7")
    files = [path, path.with_name(path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert b"tok-9f8e7d6c" not in raw
    journal = Journal.open(path, ManualClock(), "reader", read_only=True)
    finished = [e for e in journal.events() if e.kind == "action.finished"]
    journal.close()
    assert finished[0].payload["argv"] == ["./deploy.sh", "--token=***"]

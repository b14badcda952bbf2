"""Quitting while a deploy command runs: asked first, and nothing it started outlives it.

The whole dashboard over the demo's real repository, with a command that leaves a
background `sleep` in its process group (`sleep 45 & wait`), journaling into the real
SQLite journal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from textual.pilot import Pilot

from tests.tui import fixtures
from warroom.services.clock import ManualClock
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.journal.store import Event, Journal, journal_path
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.release import ReleaseScreen
from warroom.widgets.confirm import ConfirmScreen

TOKEN = "tok-5e1f-quit"

SLOW = """
[actions.commands.slow]
argv = ["sh", "-c", "echo deploying; sleep 45 & echo $!; wait", "deploy", "--token=${env:W7_TOKEN}"]
description = "A deploy that takes its time"
"""


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoTarget]:
    """The demo with one more command, slow enough to quit during; config private."""
    monkeypatch.setenv("W7_TOKEN", TOKEN)
    with DemoTarget(tmp_path / "demo", log_interval=0.5, script_pace=0.01) as target:
        with target.config_path.open("a", encoding="utf-8") as config:
            config.write(SLOW)
        target.config_path.chmod(0o600)
        target.root.chmod(0o700)
        yield target


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has ended; init collects it in its own time)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def journal_events(demo: DemoTarget) -> list[Event]:
    loaded = load_config(demo.config_path)
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    journal = Journal.open(path, ManualClock(), "reader", read_only=True)
    try:
        return journal.events()
    finally:
        journal.close()


async def until(pilot: Pilot[int], predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    await fixtures.until(pilot, predicate, timeout)


async def start_slow(app: WarroomApp, pilot: Pilot[int]) -> int:
    """Open the Release screen, run `slow`, and return the pid of its background sleep."""
    screen = fixtures.dashboard(app)
    await until(pilot, lambda: screen.journal is not None)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
    await until(pilot, lambda: app.release.release is not None)
    await until(pilot, lambda: bool(app.screen.query("#release-list")))
    options = app.screen.query_one("#release-list")
    options.focus()
    options.highlighted = options.get_option_index("cmd:slow")  # type: ignore[attr-defined]
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")

    def sleep_pid() -> int | None:
        run = app.release.run
        numbers = [line for line in (run.tail if run else ()) if line.isdigit()]
        return int(numbers[0]) if numbers else None

    await until(pilot, lambda: sleep_pid() is not None)
    pid = sleep_pid()
    assert pid is not None and running(pid)
    return pid


async def exited(app: WarroomApp, timeout: float = 15.0) -> None:
    """Wait (without the pilot, whose app is going away) until the app has exited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while app.is_running:
        assert loop.time() < deadline, "the app did not exit"
        await asyncio.sleep(0.05)


def quit_dialog(app: WarroomApp) -> str:
    screen = app.screen
    if not isinstance(screen, ConfirmScreen):
        return ""
    return " ".join(str(s.render()) for s in screen.query("Static"))


async def test_quit_asks_n_keeps_it_running_y_stops_the_group_and_journals_it(
    demo: DemoTarget,
) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(140, 40)) as pilot:
        sleep = await start_slow(app, pilot)
        await pilot.press("q")
        await until(pilot, lambda: "slow v1.2.4 is running: stop it and quit?" in quit_dialog(app))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        assert app.is_running and app.release.runner.running
        assert running(sleep)
        await pilot.press("q")
        await until(pilot, lambda: "stop it and quit?" in quit_dialog(app))
        await pilot.press("y")
        await exited(app)
    # The app returned only once nothing the command started was left.
    assert not running(sleep)
    events = journal_events(demo)
    kinds = [e.kind for e in events]
    assert "action.finished" not in kinds and "action.failed" not in kinds
    (started,) = [e for e in events if e.kind == "action.started"]
    (cancelled,) = [e for e in events if e.kind == "action.cancelled"]
    assert started.seq < cancelled.seq
    assert started.payload["name"] == "slow" and started.payload["version"] == "v1.2.4"
    assert started.payload["argv"][-1] == "--token=***"  # the secret never reaches the file
    assert started.payload["pgid"] == started.payload["pid"] == cancelled.payload["pid"]
    assert cancelled.payload["state"] == "cancelled"
    assert cancelled.payload["exit_code"] < 0  # ended by a signal
    assert cancelled.payload["duration"] > 0
    loaded = load_config(demo.config_path)
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    raw = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.is_file())
    assert TOKEN.encode() not in raw


async def test_quit_with_nothing_running_exits_at_once(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = fixtures.dashboard(app)
        await until(pilot, lambda: screen.journal is not None)
        await pilot.press("q")
        await exited(app)
    assert app.return_code == 0


async def test_the_app_going_away_stops_the_group_and_journals_the_end(
    demo: DemoTarget,
) -> None:
    # What a closed terminal (SIGHUP) or a kill does: the app exits without asking.
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(140, 40)) as pilot:
        sleep = await start_slow(app, pilot)
        app.exit(0)
        await exited(app)
    assert not running(sleep)
    kinds = [e.kind for e in journal_events(demo)]
    assert kinds.count("action.started") == 1 and kinds.count("action.cancelled") == 1

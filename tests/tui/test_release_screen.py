"""The Release screen, driven with Pilot over the demo's real repository and scripts.

The controller journals into a recorder here (the screen is what is under test); the
walk through the whole deploy path with a real session, journal and webhook server is
in `test_deploy_path.py`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from git import Repo
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Input, Log, OptionList, Static

from tests.tui import fixtures
from tests.waiting import WAIT
from warroom.services.clock import Clock, ManualClock, SystemClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.release.controller import ReleaseController
from warroom.tui.runtime import Runtime
from warroom.tui.screens.release import ReleaseScreen
from warroom.widgets.action_output import ActionOutput
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.release_bar import ReleaseBar


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoTarget]:
    """The demo service with fast deploy scripts, its config private to the user."""
    target = DemoTarget(tmp_path / "demo", script_pace=0.01, log_interval=5.0, slowness=0.0)
    with target:
        target.config_path.chmod(0o600)
        target.root.chmod(0o700)
        yield target


class Recorder:
    """Collects journaled events as the dashboard's `_record_async` would store them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, kind: str, payload: dict[str, Any]) -> bool:
        self.events.append((kind, payload))
        return True

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [payload for k, payload in self.events if k == kind]


class Harness(App[None]):
    """A stand-in dashboard that opens the Release screen over it."""

    def __init__(
        self,
        runtime: Runtime,
        gates: dict[str, bool] | None = None,
        gate_poll: float = 1.0,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.recorder = Recorder()
        self.gate_values = gates if gates is not None else {}
        self.controller = ReleaseController(
            runtime.loaded,
            runtime.clock,
            actor=runtime.actor,
            # Looked up at each call: a test may swap the recorder before anything runs.
            record=lambda kind, payload: self.recorder(kind, payload),
            read_only=runtime.read_only,
            gates=lambda: self.gate_values,
            gate_poll=gate_poll,
        )

    def compose(self) -> ComposeResult:
        yield Static("dashboard")

    async def on_unmount(self) -> None:
        await self.controller.shutdown()

    def on_mount(self) -> None:
        self.open_release()

    def open_release(self) -> None:
        self.push_screen(ReleaseScreen(self.controller))


def runtime_for(
    loaded: LoadedConfig, read_only: bool = False, clock: Clock | None = None
) -> Runtime:
    return Runtime(loaded=loaded, clock=clock or SystemClock(), read_only=read_only, live=False)


def text_of(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def bar_text(app: App[Any]) -> str:
    bar = app.screen.query_one(ReleaseBar)
    return "\n".join(str(s.render()) for s in bar.query(Static))


def output_lines(app: App[Any]) -> list[str]:
    return list(app.screen.query_one(ActionOutput).query_one(Log).lines)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Let the app work until `condition` holds (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not _holds(condition):
        assert loop.time() < deadline, "timed out waiting"
        await pilot.pause(0.02)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except NoMatches:  # the screen is still being composed
        return False


async def choose(pilot: Pilot[Any], option_id: str) -> None:
    """Highlight an action in the list and press enter."""
    options = pilot.app.screen.query_one("#release-list", OptionList)
    options.focus()
    options.highlighted = options.get_option_index(option_id)
    await pilot.press("enter")


def branches(repo_dir: Path) -> list[str]:
    with Repo(repo_dir) as repo:
        return sorted(head.name for head in repo.heads)


async def test_bar_shows_production_and_next_version_and_commands_show_argv(
    demo: DemoTarget,
) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "prod v1.2.3 → hotfix v1.2.4 (not tagged yet)" in bar_text(app))
        assert "on main" in bar_text(app)
        await until(pilot, lambda: "reading git" not in _list_text(app))
        listed = _list_text(app)
        production = str(demo.bin_dir / "deploy-production.sh")
        assert f"$ {production} v1.2.4" in listed  # {version} expanded
        assert f"{demo.bin_dir / 'rollback.sh'} v1.2.2" in listed  # {previous_version}
        assert "git switch --create hotfix/v1.2.4 refs/tags/v1.2.3" in listed
        assert "Deploy to production" in listed  # descriptions are shown
        assert "batch 1/3 next" in listed  # rolling batches are offered one at a time


def _list_text(app: App[Any]) -> str:
    options = app.screen.query_one("#release-list", OptionList)
    return "\n".join(str(option.prompt) for option in options.options)


async def test_creating_the_hotfix_branch_shows_the_commands_then_creates_it(
    demo: DemoTarget,
) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        await choose(pilot, "git:branch")
        await fixtures.dialog(
            pilot, ConfirmScreen, "git switch --create hotfix/v1.2.4 refs/tags/v1.2.3"
        )
        assert branches(demo.repo_path) == ["main"]  # nothing before the confirmation
        await pilot.press("y")
        await until(pilot, lambda: any(k == "release.branch" for k in app.recorder.kinds()))
        assert branches(demo.repo_path) == ["hotfix/v1.2.4", "main"]
        (payload,) = app.recorder.of("release.branch")
        assert payload["ok"] is True
        assert payload["commands"] == ["git switch --create hotfix/v1.2.4 refs/tags/v1.2.3"]
        await until(pilot, lambda: "on hotfix/v1.2.4" in bar_text(app))
        assert "$ git switch --create hotfix/v1.2.4 refs/tags/v1.2.3" in output_lines(app)


async def test_cancelling_the_confirmation_runs_nothing(demo: DemoTarget) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        await choose(pilot, "git:branch")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        await choose(pilot, "cmd:production")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await until(pilot, lambda: "nothing ran" in text_of(app, "#release-message"))
        assert branches(demo.repo_path) == ["main"]
        assert app.recorder.events == []
        assert demo.mode == "broken"


async def test_production_streams_output_and_marks_the_deploy(demo: DemoTarget) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        await choose(pilot, "cmd:production")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: "deploy.marked" in app.recorder.kinds())
        lines = output_lines(app)
        assert "==> deploying v1.2.4 to production (3 instances)" in lines
        assert "    auth-api-3: pulled v1.2.4, restarted, healthy" in lines
        (started,) = app.recorder.of("action.started")
        (finished,) = app.recorder.of("action.finished")
        assert app.recorder.kinds().index("action.started") == 0
        assert started["name"] == finished["name"] == "production"
        assert started["argv"] == [str(demo.bin_dir / "deploy-production.sh"), "v1.2.4"]
        assert started["pid"] == started["pgid"] == finished["pid"] > 0
        assert finished["argv"] == started["argv"] and finished["version"] == "v1.2.4"
        assert finished["exit_code"] == 0 and finished["duration"] > 0
        assert app.recorder.of("deploy.marked") == [{"action": "production", "version": "v1.2.4"}]
        assert demo.mode == "fixed" and demo.version == "1.2.4"
        assert "production  succeeded (exit 0)" in text_of(app, "#action-status")


async def test_a_run_goes_on_when_the_screen_is_closed_and_ctrl_c_cancels_it(
    demo: DemoTarget,
) -> None:
    # A slow production deploy: closing the pane must neither stop nor forget it.
    slow = DemoTarget(demo.root.parent / "slow", script_pace=5.0, log_interval=5.0)
    with slow:
        slow.config_path.chmod(0o600)
        app = Harness(runtime_for(load_config(slow.config_path)))
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: "v1.2.4" in bar_text(app))
            await choose(pilot, "cmd:production")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: app.controller.runner.running)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ReleaseScreen))
            assert app.controller.runner.running
            app.open_release()
            await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
            await until(pilot, lambda: "==> deploying v1.2.4" in " ".join(output_lines(app)))
            app.screen.query_one(ActionOutput).focus()
            await pilot.press("ctrl+c")
            await until(pilot, lambda: "action.cancelled" in app.recorder.kinds())
            assert app.recorder.kinds() == ["action.started", "action.cancelled"]
            (cancelled,) = app.recorder.of("action.cancelled")
            assert cancelled["state"] == "cancelled" and cancelled["exit_code"] < 0
            assert cancelled["pgid"] == app.recorder.of("action.started")[0]["pgid"]
            assert slow.mode == "broken"


class HeldRecorder(Recorder):
    """A journal slow to commit `action.started`: held until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.release_started = asyncio.Event()

    async def __call__(self, kind: str, payload: dict[str, Any]) -> bool:
        if kind == "action.started":
            self.events.append(("action.started (pending)", payload))
            await self.release_started.wait()
        return await super().__call__(kind, payload)


async def test_action_started_is_journaled_before_any_output_shows(
    demo: DemoTarget, tmp_path: Path
) -> None:
    marker = tmp_path / "printed"
    demo.config_path.write_text(
        demo.config_path.read_text()
        + "\n[actions.commands.quick]\n"
        + f'argv = ["sh", "-c", "echo first output; touch {marker}; sleep 45"]\n'
    )
    app = Harness(runtime_for(load_config(demo.config_path)))
    app.recorder = recorder = HeldRecorder()
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        await choose(pilot, "cmd:quick")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        # The command has printed, but its start is not yet on record: nothing shows.
        await until(pilot, lambda: marker.exists() and bool(recorder.events))
        assert app.controller.run is None and output_lines(app) == []
        assert "action.started" not in recorder.kinds()
        recorder.release_started.set()
        await until(pilot, lambda: "first output" in output_lines(app))
        assert recorder.kinds()[-1] == "action.started"
        app.controller.cancel()
        await until(pilot, lambda: "action.cancelled" in recorder.kinds())


async def test_read_only_runs_nothing_and_says_so(demo: DemoTarget) -> None:
    app = Harness(runtime_for(load_config(demo.config_path), read_only=True))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        assert "read-only" in text_of(app, "#release-notice")
        await choose(pilot, "git:branch")
        await pilot.pause()
        await choose(pilot, "cmd:production")
        await pilot.pause()
        assert isinstance(app.screen, ReleaseScreen)  # no confirmation offered
        assert "read-only" in text_of(app, "#release-message")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not isinstance(app.screen, TypedConfirmScreen)
        assert branches(demo.repo_path) == ["main"]
        assert app.recorder.events == [] and demo.mode == "broken"


async def test_a_config_others_can_write_refuses_actions_and_says_why(demo: DemoTarget) -> None:
    os.chmod(demo.config_path, 0o666)
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        notice = text_of(app, "#release-notice")
        assert "writable by group and others" in notice and "chmod go-w" in notice
        await choose(pilot, "cmd:production")
        await pilot.pause()
        assert isinstance(app.screen, ReleaseScreen)
        assert "writable by" in text_of(app, "#release-message")
        assert app.recorder.events == []


async def test_rollback_refuses_a_wrong_version_and_runs_with_the_right_one(
    demo: DemoTarget,
) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        (demo.state_dir / "mode").write_text("fixed\n")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        assert app.screen.query_one(Input).has_focus
        await pilot.press(*"v1.2.3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmScreen)  # the wrong version: refused
        assert app.recorder.events == []
        await pilot.press(*"v1.2.2", "enter")
        await until(pilot, lambda: "rollback.finished" in app.recorder.kinds())
        (rollback,) = app.recorder.of("rollback.finished")
        assert rollback["version"] == "v1.2.2" and rollback["ok"] is True
        assert app.recorder.of("action.finished")[0]["argv"][-1] == "v1.2.2"
        assert demo.mode == "broken" and demo.version == "1.2.2"
        assert "==> production runs v1.2.2" in output_lines(app)


async def test_rolling_batches_wait_for_the_gates_to_hold(demo: DemoTarget) -> None:
    clock = ManualClock()
    gates = {"api health": True, "Error rate": False}
    app = Harness(
        runtime_for(load_config(demo.config_path), clock=clock), gates=gates, gate_poll=0.02
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        await choose(pilot, "cmd:rolling")
        await fixtures.dialog(
            pilot, ConfirmScreen, "Deploy batch 1/3", "deploy-rolling.sh v1.2.4 1 3"
        )
        await pilot.press("y")
        await until(pilot, lambda: "action.finished" in app.recorder.kinds())
        await until(pilot, lambda: "gates not holding: Error rate" in _rolling(app))
        assert "batch 2/3 next" in _rolling(app)
        assert "enter: override with a reason" in _rolling(app)
        await choose(pilot, "cmd:rolling")  # refused, and the override is offered
        await fixtures.dialog(
            pilot, ReasonScreen, "Refused: batch 2/3: gates not holding: Error rate"
        )
        await pilot.press("escape")  # no reason given: it stays refused, nothing ran
        await until(pilot, lambda: "Refused: batch 2/3" in text_of(app, "#release-message"))
        assert isinstance(app.screen, ReleaseScreen)
        assert "override.granted" not in app.recorder.kinds()

        gates["Error rate"] = True
        await until(pilot, lambda: "gates held 0s of 10s" in _rolling(app))
        clock.advance(10.0)
        await until(pilot, lambda: "batch 2/3 ready" in _rolling(app))
        await choose(pilot, "cmd:rolling")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: len(app.recorder.of("action.finished")) == 2)
        assert [p["batch"] for p in app.recorder.of("action.finished")] == [1, 2]
        assert "deploy.marked" not in app.recorder.kinds()
        assert demo.mode == "broken"  # the demo fixes production with the last batch


def _rolling(app: App[Any]) -> str:
    return text_of(app, "#release-rolling")


async def test_branch_fix_tag_and_merge_back_run_for_real(demo: DemoTarget) -> None:
    app = Harness(runtime_for(load_config(demo.config_path)))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "v1.2.4" in bar_text(app))
        steps = (
            ("git:branch", "release.branch"),
            ("cmd:fix", "action.finished"),
            ("git:tag", "release.tag"),
            ("git:merge_back", "release.merge"),
        )
        for option, kind in steps:
            await choose(pilot, option)
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda k=kind: k in app.recorder.kinds())  # type: ignore[misc]
            await until(pilot, lambda: not app.controller.busy)
        assert all(p["ok"] for k, p in app.recorder.events if k.startswith("release."))
        assert branches(demo.repo_path) == ["main"]  # merged back and deleted
        with Repo(demo.repo_path) as repo:
            assert "v1.2.4" in [t.name for t in repo.tags]
        # Back on main, the new tag is the baseline of the next hotfix.
        next_hotfix = "prod v1.2.4 → hotfix v1.2.5 (not tagged yet) · on main"
        await until(pilot, lambda: next_hotfix in bar_text(app))


async def test_without_git_the_actions_say_what_is_missing(demo: DemoTarget) -> None:
    loaded = load_config(demo.config_path)
    config = loaded.config.model_copy(update={"git": None})
    app = Harness(runtime_for(loaded.model_copy(update={"config": config})))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: "no [git] section configured" in _list_text(app))
        assert "no value for {version}" in _list_text(app)
        assert not app.screen.query_one(ReleaseBar).display or bar_text(app).strip() == ""
        await choose(pilot, "git:branch")
        await until(pilot, lambda: "no [git] section" in text_of(app, "#release-message"))
        assert isinstance(app.screen, ReleaseScreen)

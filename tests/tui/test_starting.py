"""Start-up as the CLI runs it: the five pane frames first, then the live dashboard."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from tests.tui import fixtures
from warroom.services.config import ConfigError, LoadedConfig, load_config
from warroom.services.logs.lines import LogLine
from warroom.tui.app import make_runtime, start_app
from warroom.tui.runtime import Runtime
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.tui.settings import load_theme, settings_path
from warroom.tui.starting import StartScreen
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.log_view import LogView

TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]


def _log_config(tmp_path: Path, lines: list[str]) -> LoadedConfig:
    log = tmp_path / "app.log"
    log.write_text("".join(line + "\n" for line in lines))
    config = tmp_path / "warroom.toml"
    config.write_text(
        f'[incident]\nstate_dir = "state"\n[[log]]\nname = "app"\npath = "{log}"\nfilter = "auth"\n'
    )
    return load_config(config)


def _held_starter(loaded: LoadedConfig, release: threading.Event) -> Callable[[], Runtime]:
    """A starter that keeps the app on its frames until `release` is set."""

    def starter() -> Runtime:
        release.wait(10)
        return make_runtime(loaded)

    return starter


async def test_frames_come_first_then_the_dashboard(tmp_path: Path) -> None:
    loaded = _log_config(tmp_path, ["boot", "auth ok"])
    release = threading.Event()
    app = start_app(_held_starter(loaded, release))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # The services are still loading: the frames and the key bar are already drawn.
        assert isinstance(app.screen, StartScreen)
        titles = [str(pane.border_title) for pane in app.screen.query(".pane")]
        assert sorted(titles) == sorted(TITLES)
        assert app.screen.query_one(KeyBar).display
        release.set()
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        screen = fixtures.dashboard(app)
        assert app.runtime.loaded is loaded
        await fixtures.until(
            pilot, lambda: any(len(view.items) > 0 for view in screen.query(LogView))
        )
        shown = [i.text for i in screen.query_one(LogView).items if isinstance(i, LogLine)]
        assert shown == ["auth ok"]
        assert app.focused is not None and app.focused.id == "runbook"


async def test_a_failing_start_exits_2_and_keeps_the_error(tmp_path: Path) -> None:
    def starter() -> Runtime:
        raise ConfigError("warroom.toml", "incident.id", "must not be empty")

    app = start_app(starter)
    async with app.run_test(size=(80, 24)) as pilot:
        await fixtures.until(pilot, lambda: app.start_error is not None)
    assert app.return_code == 2
    assert isinstance(app.start_error, ConfigError)
    assert str(app.start_error) == "warroom: warroom.toml: incident.id: must not be empty"


async def test_quit_while_starting_exits_at_once(tmp_path: Path) -> None:
    loaded = _log_config(tmp_path, ["boot"])
    release = threading.Event()
    app = start_app(_held_starter(loaded, release))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    release.set()
    assert app.return_code == 0


class _Frames(App[int]):
    """The start screen alone, to see its log preview before any dashboard exists."""

    def on_mount(self) -> None:
        self.push_screen(StartScreen())

    def compose(self) -> ComposeResult:
        yield Static()


async def test_the_log_preview_shows_the_last_matching_lines(tmp_path: Path) -> None:
    lines = [f"line {i} auth" if i % 3 == 0 else f"line {i}" for i in range(3000)]
    lines.append("\x1b]0;owned\x07 auth [bold]x[/]")
    loaded = _log_config(tmp_path, lines)
    app = _Frames()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StartScreen)
        screen.preview_logs(make_runtime(loaded))
        await fixtures.until(pilot, lambda: bool(screen.query(LogView)))
        view = screen.query_one(LogView)
        await fixtures.until(pilot, lambda: len(view.items) > 0)
        texts = [item.text for item in view.items if isinstance(item, LogLine)]
        assert all("auth" in text for text in texts)
        assert texts[-2] == "line 2997 auth"
        # The escape arrives as a visible placeholder; the brackets stay plain text.
        assert "\x1b" not in texts[-1] and "[bold]x[/]" in texts[-1]


async def test_a_missing_runbook_file_is_one_config_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nstate_dir = "state"\n[runbook]\npath = "missing.toml"\n')
    # The file is checked when the config loads (so `config --validate` catches it too),
    # which the CLI's starter does behind the pane frames.
    app = start_app(lambda: make_runtime(load_config(config)))
    async with app.run_test(size=(80, 24)) as pilot:
        await fixtures.until(pilot, lambda: app.start_error is not None)
    assert app.return_code == 2
    assert isinstance(app.start_error, ConfigError)
    assert str(app.start_error).startswith("warroom: ")
    assert "missing.toml" in str(app.start_error) and "\n" not in str(app.start_error)


async def test_no_command_palette_before_the_dashboard(tmp_path: Path) -> None:
    loaded = _log_config(tmp_path, ["boot"])
    release = threading.Event()
    app = start_app(_held_starter(loaded, release))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        release.set()
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert len(app.screen_stack) == 2  # the default screen and the dashboard


async def test_the_configs_theme_is_not_saved_as_the_users_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nstate_dir = "state"\n[ui]\ntheme = "warroom-light"\n')
    loaded = load_config(config)
    app = start_app(lambda: make_runtime(loaded))  # the theme is known only once loaded
    async with app.run_test(size=(80, 24)) as pilot:
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert app.theme == "warroom-light"
        await pilot.pause()
        assert not settings_path().exists()
        app.theme = "projector"  # the user's own choice is remembered
        await fixtures.until(pilot, lambda: load_theme(settings_path()) == "projector")

"""War-room ergonomics: resizing, zoom, projector mode, help, themes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.tui.app import build_app
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.tui.settings import load_theme, settings_path
from warroom.widgets.help import HelpScreen
from warroom.widgets.projector_view import ProjectorView

THEMES = ["warroom-dark", "warroom-light", "projector", "warroom-colourblind"]


async def test_resize_storm_from_200x50_to_60x20_and_back(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(200, 50)) as pilot:
        await fixtures.until(pilot, lambda: fixtures.dashboard(app).has_class("-wide"))
        for width, height in [(160, 48), (120, 40), (80, 24), (70, 22), (60, 20), (61, 21)] * 3:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
        await fixtures.until(pilot, lambda: not fixtures.dashboard(app).has_class("-wide"))
        await pilot.resize_terminal(200, 50)
        await fixtures.until(pilot, lambda: fixtures.dashboard(app).has_class("-wide"))
        titles = {
            str(p.border_title).split(" · ")[0]
            for p in fixtures.dashboard(app).query(".pane")
            if p.region.area
        }
        assert titles == {"Runbook", "Health", "Metrics", "Error log", "Escalation"}


async def test_z_maximizes_the_focused_pane_and_restores(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = fixtures.dashboard(app)
        await pilot.press("z")
        assert screen.maximized is not None and screen.maximized.id == "runbook-pane"
        assert screen.query_one("#runbook-pane").region.height >= 20
        await pilot.press("z")
        assert screen.maximized is None
        assert screen.query_one("#health-pane").region.area > 0


async def test_tab_moves_between_panes(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(80, 24)) as pilot:
        seen = []
        for _ in range(4):
            assert app.focused is not None
            seen.append(app.focused.id)
            await pilot.press("tab")
        assert seen[0] == "runbook"
        assert "health" in seen and "log" in seen


async def test_p_toggles_projector_mode(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = fixtures.dashboard(app)
        await pilot.press("p")
        assert screen.query_one(ProjectorView).display
        assert not screen.query_one("#panes").display
        await pilot.press("p")
        assert not screen.query_one(ProjectorView).display
        assert screen.query_one("#panes").display


async def test_help_lists_every_pane_s_keys(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = [row for _, section in app.screen.sections for row in section]
        text = " ".join(f"{key} {description}" for key, description in rows)
        for words in ["Mark deploy", "Note", "Follow", "Zoom pane", "Command palette"]:
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_theme_choice_is_remembered_per_user(tmp_path: Path) -> None:
    loaded = fixtures.loaded_config(tmp_path)
    app = build_app(loaded)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "projector"
        await pilot.pause()
    assert load_theme(settings_path()) == "projector"
    again = build_app(loaded)
    async with again.run_test(size=(80, 24)):
        assert again.theme == "projector"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_theme_snapshots(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    app, before = fixtures.frozen_app(tmp_path, theme)
    assert snap_compare(app, terminal_size=size, run_before=before)


def test_projector_mode_snapshot(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    app, before = fixtures.frozen_app(tmp_path, "projector", projector=True)
    assert snap_compare(app, terminal_size=(120, 36), run_before=before)

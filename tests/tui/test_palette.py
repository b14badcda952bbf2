"""The command palette lists every dashboard binding and runs it."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.command import CommandList, CommandPalette

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.tui.app import build_app
from warroom.tui.commands import DashboardCommands
from warroom.tui.screens.dashboard import DashboardScreen


async def test_every_binding_with_a_tooltip_is_a_palette_entry(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nid = "INC-3"\nstate_dir = "state"\n')
    app = build_app(load_config(config))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = fixtures.dashboard(app)
        await fixtures.until(pilot, lambda: screen.journal is not None)
        provider = DashboardCommands(screen)
        names = {name for name, _, _ in provider._commands()}
        bound = [b for b in DashboardScreen.BINDINGS if isinstance(b, Binding)]
        expected = {b.tooltip for b in bound if b.tooltip}
        assert expected <= names
        # Every binding shown in the key bar is in the palette.
        assert all(b.tooltip for b in bound if b.show)


async def test_choosing_a_palette_entry_runs_its_binding(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nid = "INC-3"\nstate_dir = "state"\n')
    app = build_app(load_config(config))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = fixtures.dashboard(app)
        await fixtures.until(pilot, lambda: screen.journal is not None)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        for char in "Projector mode":
            await pilot.press("space" if char == " " else char)
        commands = app.screen.query_one(CommandList)
        await fixtures.until(pilot, lambda: commands.option_count > 0)
        await pilot.press("enter")
        await fixtures.until(pilot, lambda: screen.has_class("-projector"))

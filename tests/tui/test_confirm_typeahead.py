"""Confirmations are answered only by keys pressed once the dialog is on screen."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from tests.tui.fixtures import until
from warroom.widgets.confirm import ConfirmScreen, TypedConfirmScreen


class Harness(App[int]):
    """Opens a dialog on `R`, like the dashboard's resolve; keeps the answers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        ("R", "ask", "Resolve"),
        ("ctrl+r", "roll", "Rollback"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Static("dashboard")

    def action_ask(self) -> None:
        self.push_screen(ConfirmScreen("Resolve?", ["stops the clock"]), self.answers.append)

    def action_roll(self) -> None:
        dialog = TypedConfirmScreen("Roll back?", ["to v1.2.2"], "v1.2.2")
        self.push_screen(dialog, self.answers.append)


def _read_together(app: Harness, *keys: str) -> None:
    """Keys as one read delivers them: made at once, queued before any is handled."""
    for key in keys:
        character = key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def test_a_y_queued_behind_the_key_that_opened_the_dialog_does_not_confirm() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        _read_together(app, "R", "y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        await pilot.pause()
        await pilot.pause(0.2)
        assert app.answers == [] and app.screen is dialog, "typed-ahead y confirmed"
        # A deliberate y, pressed once the dialog is there, does.
        await pilot.press("y")
        await until(pilot, lambda: app.answers == [True])


async def test_a_burst_of_keys_at_the_dialog_does_not_confirm() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        await pilot.pause()
        _read_together(app, "o", "k", "y", "e", "s")  # pasted text, no bracketed paste
        await pilot.pause(0.3)
        assert app.answers == [] and app.screen is dialog
        await pilot.press("n")
        await until(pilot, lambda: app.answers == [False])


async def test_the_rollback_version_typed_ahead_does_not_confirm() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        _read_together(app, "ctrl+r", *"v1.2.2", "enter")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, TypedConfirmScreen)
        await pilot.pause()
        await pilot.pause(0.2)
        assert app.answers == [] and app.screen is dialog
        await pilot.press(*"v1.2.2", "enter")
        await until(pilot, lambda: app.answers == [True])

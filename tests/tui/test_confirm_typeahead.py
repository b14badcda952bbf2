"""Confirmations are answered only by keys pressed once the dialog is on screen."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, Static

from tests.tui.fixtures import until
from warroom.widgets.confirm import ConfirmScreen, KeyGuard, TypedConfirmScreen


class WatchedGuard(KeyGuard):
    """The dialog's own guard, also keeping which confirming keys it weighed.

    Waiting for a pasted y to have been weighed is what lets a test say "that y did
    nothing" without sleeping and hoping the dialog's settle timer ran by then.
    """

    def __init__(self) -> None:
        super().__init__()
        self.weighed: list[float] = []
        """When each confirming key that was weighed against a burst was read."""

    def in_burst(self, at: float) -> bool:
        self.weighed.append(at)
        return super().in_burst(at)


class Harness(App[int]):
    """Opens a dialog on `R`, like the dashboard's resolve; keeps the answers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        ("R", "ask", "Resolve"),
        ("ctrl+r", "roll", "Rollback"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []
        self.keys: list[str] = []
        """Every key the app dispatched, in order: proof a typed-ahead key was handled."""

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)

    def compose(self) -> ComposeResult:
        yield Static("dashboard")

    def action_ask(self) -> None:
        dialog = ConfirmScreen("Resolve?", ["stops the clock"])
        dialog.guard = WatchedGuard()
        self.push_screen(dialog, self.answers.append)

    def action_roll(self) -> None:
        dialog = TypedConfirmScreen("Roll back?", ["to v1.2.2"], "v1.2.2")
        dialog.guard = WatchedGuard()
        self.push_screen(dialog, self.answers.append)


def _guard(dialog: ConfirmScreen | TypedConfirmScreen) -> WatchedGuard:
    guard = dialog.guard
    assert isinstance(guard, WatchedGuard)
    return guard


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
        guard = _guard(dialog)
        await until(pilot, lambda: app.keys == ["R", "y"])  # the typed-ahead y was handled
        await pilot.pause()
        assert app.answers == [] and app.screen is dialog, "typed-ahead y confirmed"
        # A deliberate y, pressed once the dialog is there, does; it is the only key
        # weighed as a confirmation (one read before the dialog was shown never is).
        await pilot.press("y")
        await until(pilot, lambda: app.answers == [True])
        assert len(guard.weighed) == 1 and guard.weighed[0] >= guard.shown_at


async def test_a_burst_of_keys_at_the_dialog_does_not_confirm() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        guard = _guard(dialog)
        _read_together(app, "o", "k", "y", "e", "s")  # pasted text, no bracketed paste
        await until(pilot, lambda: guard.weighed != [])  # the pasted y was judged...
        await pilot.pause()
        assert app.answers == [] and app.screen is dialog  # ...as part of a burst
        await pilot.press("n")
        await until(pilot, lambda: app.answers == [False])


async def test_the_rollback_version_typed_ahead_does_not_confirm() -> None:
    app = Harness()
    async with app.run_test() as pilot:
        _read_together(app, "ctrl+r", *"v1.2.2", "enter")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, TypedConfirmScreen)
        typed = dialog.query_one("#typed", Input)
        # Every typed-ahead key was handled, and the field is ready for typing.
        await until(pilot, lambda: app.keys[-1:] == ["enter"] and typed.has_focus)
        await pilot.pause()
        assert app.answers == [] and app.screen is dialog
        assert typed.value == ""
        await pilot.press(*"v1.2.2", "enter")
        await until(pilot, lambda: app.answers == [True])

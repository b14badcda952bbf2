"""Confirmation dialogs: the exact operations are shown before anything runs.

`ConfirmScreen` answers True (y / enter / Confirm) or False (n / escape / Cancel).
`TypedConfirmScreen` guards the rollback: it answers True only once the previous
version is typed exactly. Operations are plain text, never markup.

Neither is satisfied by input that was not meant for it (`KeyGuard`): keys made
before the dialog was on screen (typed ahead: `Ry` arriving in one read, the `y`
queued behind the `R` that opened the dialog) are dropped, and a confirming key that
is part of a burst (more than a couple of keys within a few milliseconds: a paste
without bracketed paste mode) does not confirm.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from warroom.widgets.words import EN, say

_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 90%;
    max-width: 110;
    height: auto;
    max-height: 90%;
    border: thick $accent;
    background: $surface;
    padding: 1 2;
}}
{name} .confirm-title {{
    text-style: bold;
    margin-bottom: 1;
}}
{name} .confirm-lines {{
    height: auto;
    max-height: 20;
    overflow-y: auto;
    background: $panel;
    padding: 0 1;
    margin-bottom: 1;
}}
{name} .confirm-buttons {{
    height: auto;
    align-horizontal: right;
}}
{name} Button {{
    margin-left: 2;
}}
"""


BURST_GAP = 0.01
"""Seconds: keys closer together than this came in one read (no hand types that fast)."""

BURST_KEYS = 3
"""Keys that close together from which they are a burst (a paste), not presses."""

SETTLE = 0.05
"""Seconds a confirming key waits for the rest of a burst it may belong to."""


class KeyGuard:
    """Tells a key pressed at the dialog from one typed ahead of it or pasted.

    Key events carry the monotonic time they were read. Keys read before the dialog
    was opened were typed ahead (queued behind the key that opened it); the dialog's
    first frame follows its opening within a frame, and a burst is caught either way.
    """

    def __init__(self) -> None:
        self.shown_at = time.monotonic()
        self._times: deque[float] = deque(maxlen=64)

    def seen(self, at: float) -> None:
        """A key (or typed character) read at `at`."""
        self._times.append(at)

    def typed_ahead(self, at: float) -> bool:
        """Whether a key read at `at` was read before the dialog was shown."""
        return at < self.shown_at

    def in_burst(self, at: float) -> bool:
        """Whether the key read at `at` came with more than a couple of others."""
        near = sum(1 for other in self._times if abs(other - at) <= BURST_GAP)
        return near >= BURST_KEYS


class ConfirmScreen(ModalScreen[bool]):
    """Shows the operations about to run; dismisses with True to run them."""

    AUTO_FOCUS = None
    DEFAULT_CSS = _CSS.format(name="ConfirmScreen")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm"),
        Binding("enter", "confirm", "Confirm", show=False),
        Binding("n", "cancel", "Cancel"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="confirm-title", markup=False)
            yield Static("\n".join(self._lines), classes="confirm-lines", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button(f"{say('Cancel', self._lang)} (n)", id="cancel")
                yield Button(f"{self._confirm_label} (y)", id="confirm", variant="warning")

    def __init__(
        self,
        title: str,
        lines: Sequence[str],
        confirm_label: str | None = None,
        lang: str = "en",
    ) -> None:
        super().__init__()
        self._title = title
        self._lines = tuple(lines)
        # The caller's words come in its language; the dialog's own follow `lang`.
        self._confirm_label = confirm_label or say("Confirm", lang)
        self._lang = lang
        self.guard = KeyGuard()
        """Which keys count as pressed at this dialog."""

    def on_mount(self) -> None:
        # Nothing is focused: every key comes to `on_key` first. (A focused button would
        # take an `enter` typed ahead, which bubbles up once this dialog is current.)
        for button in self.query(Button):
            button.can_focus = False

    def on_key(self, event: events.Key) -> None:
        # Every key sent to this dialog is answered here, before any binding: a binding
        # reached otherwise was reached by a key sent before the dialog was current.
        self.guard.seen(event.time)
        event.stop()
        event.prevent_default()
        if self.guard.typed_ahead(event.time):
            return
        if event.key in ("y", "enter"):
            # Confirm only once it is clear the key did not come with a burst.
            at = event.time
            self.set_timer(SETTLE, lambda: self._settled(at))
        elif event.key in ("n", "escape"):
            self.dismiss(False)

    def _settled(self, at: float) -> None:
        if not self.guard.in_burst(at) and self.is_current:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        """Reached only by a key that was not sent to this dialog (typed ahead): ignored."""

    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmScreen(ModalScreen[bool]):
    """The rollback guard: True only when `expected` (the previous version) is typed."""

    DEFAULT_CSS = (
        _CSS.format(name="TypedConfirmScreen")
        + """
    TypedConfirmScreen .confirm-problem {
        color: $error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, lines: Sequence[str], expected: str, lang: str = EN) -> None:
        super().__init__()
        self._title = title
        self._lines = tuple(lines)
        self._expected = expected
        # The caller's words come in its language; the dialog's own follow `lang`.
        self._lang = lang
        self.guard = KeyGuard()
        """Which keys count as typed at this dialog."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="confirm-title", markup=False)
            yield Static("\n".join(self._lines), classes="confirm-lines", markup=False)
            prompt = say("Type {version} to confirm:", self._lang)
            yield Static(
                prompt.format(version=self._expected), classes="confirm-prompt", markup=False
            )
            yield Input(placeholder=self._expected, id="typed")
            yield Static("", classes="confirm-problem", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button(f"{say('Cancel', self._lang)} (esc)", id="cancel")
                yield Button(say("Roll back", self._lang), id="confirm", variant="error")

    def on_mount(self) -> None:
        # The field takes keys only once the dialog is up; keys typed ahead of it reach
        # the screen instead and are dropped.
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        typed = self.query_one("#typed", Input)
        typed.value = ""
        typed.focus()

    def on_key(self, event: events.Key) -> None:
        self.guard.seen(event.time)
        typed_ahead = self.guard.typed_ahead(event.time)
        if typed_ahead or (event.key == "enter" and self.guard.in_burst(event.time)):
            event.stop()
            event.prevent_default()

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typed characters stop at the field: count them, so a pasted "v1.2.2⏎" is a burst.
        self.guard.seen(time.monotonic())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._attempt(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._attempt(self.query_one("#typed", Input).value)
        else:
            self.dismiss(False)

    def _attempt(self, typed: str) -> None:
        if typed.strip() == self._expected:
            self.dismiss(True)
            return
        problem = self.query_one(".confirm-problem", Static)
        shown = typed.strip()
        if shown:
            words = say("{typed} is not {version}; type it exactly, or esc to cancel", self._lang)
        else:
            words = say("Nothing typed: type {version} exactly, or esc to cancel", self._lang)
        problem.update(words.format(typed=repr(shown), version=self._expected))
        typed_input = self.query_one("#typed", Input)
        typed_input.value = ""
        typed_input.focus()

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReasonScreen(ModalScreen[str | None]):
    """The override guard: shows what was refused and why, and answers the reason typed.

    An override is never one key: the person must type why (it is journaled with their
    name and sent to the webhooks), so it answers the reason, or None on escape. An
    empty reason is refused on the spot.
    """

    DEFAULT_CSS = (
        _CSS.format(name="ReasonScreen")
        + """
    ReasonScreen .confirm-problem {
        color: $error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        lines: Sequence[str],
        confirm_label: str | None = None,
        lang: str = EN,
    ) -> None:
        super().__init__()
        self._title = title
        self._lines = tuple(lines)
        self._confirm_label = confirm_label or say("Override", lang)
        self._lang = lang
        self.guard = KeyGuard()
        """Which keys count as typed at this dialog."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="confirm-title", markup=False)
            yield Static("\n".join(self._lines), classes="confirm-lines", markup=False)
            yield Static(say("Why override? (journaled and sent)", self._lang), markup=False)
            yield Input(placeholder=say("reason", self._lang), id="reason")
            yield Static("", classes="confirm-problem", markup=False)
            with Horizontal(classes="confirm-buttons"):
                yield Button(f"{say('Cancel', self._lang)} (esc)", id="cancel")
                yield Button(self._confirm_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        # As for the rollback: the field takes keys only once the dialog is up.
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        field = self.query_one("#reason", Input)
        field.value = ""
        field.focus()

    def on_key(self, event: events.Key) -> None:
        self.guard.seen(event.time)
        if self.guard.typed_ahead(event.time) or (
            event.key == "enter" and self.guard.in_burst(event.time)
        ):
            event.stop()
            event.prevent_default()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.guard.seen(time.monotonic())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._attempt(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._attempt(self.query_one("#reason", Input).value)
        else:
            self.dismiss(None)

    def _attempt(self, typed: str) -> None:
        reason = typed.strip()
        if reason:
            self.dismiss(reason)
            return
        self.query_one(".confirm-problem", Static).update(
            say("an override needs a reason; type it, or esc to cancel", self._lang)
        )
        self.query_one("#reason", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

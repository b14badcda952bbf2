"""The confirmation dialogs, driven with Pilot."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from warroom.widgets.confirm import ConfirmScreen, TypedConfirmScreen

LINES = (
    "git switch --create hotfix/v1.2.4 refs/tags/v1.2.3",
    "git tag --annotate v1.2.4 --message '[link=http://evil]click[/link] x[/]'",
)


class Harness(App[None]):
    """Pushes one dialog and records its answer."""

    def __init__(self, screen: ConfirmScreen | TypedConfirmScreen) -> None:
        super().__init__()
        self.dialog = screen
        self.answers: list[bool | None] = []

    def compose(self) -> ComposeResult:
        yield Static("dashboard")

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


def shown_text(app: Harness) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def test_confirm_shows_the_operations_as_plain_text_and_y_confirms() -> None:
    app = Harness(ConfirmScreen("Create hotfix branch", LINES))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = shown_text(app)
        for line in LINES:
            assert line in text  # markup-looking git text is shown verbatim, no crash
        await pilot.press("y")
        await pilot.pause()
        assert app.answers == [True]
        assert not isinstance(app.screen, ConfirmScreen)


async def test_enter_confirms_and_n_or_escape_cancel() -> None:
    for key, expected in (("enter", True), ("n", False), ("escape", False)):
        app = Harness(ConfirmScreen("Tag", LINES))
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert app.answers == [expected], key


async def test_buttons_answer_too() -> None:
    app = Harness(ConfirmScreen("Tag", LINES))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.click("#cancel")
        await pilot.pause()
        assert app.answers == [False]


async def test_rollback_refuses_a_wrong_version_and_accepts_the_right_one() -> None:
    app = Harness(TypedConfirmScreen("Roll back to v1.2.3", ["./rollback.sh v1.2.3"], "v1.2.3"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(Input).has_focus
        await pilot.press("y", "enter")  # single keys do not confirm a rollback
        await pilot.pause()
        await pilot.press(*"v1.2.4", "enter")
        await pilot.pause()
        assert app.answers == []
        assert isinstance(app.screen, TypedConfirmScreen)
        assert "'v1.2.4' is not v1.2.3" in shown_text(app)
        await pilot.click("#confirm")  # the button checks the (now empty) input too
        await pilot.pause()
        assert app.answers == []
        await pilot.press(*"v1.2.3", "enter")
        await pilot.pause()
        assert app.answers == [True]


async def test_rollback_escape_cancels() -> None:
    app = Harness(TypedConfirmScreen("Roll back", [], "v1.2.3"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v", "escape")
        await pilot.pause()
        assert app.answers == [False]

"""The status-update composer: edit the draft, send it, or cancel."""

from __future__ import annotations

from textual.app import App
from textual.widgets import TextArea

from warroom.widgets.status_composer import StatusComposer

DRAFT = "[SEV2] INC-7: status update (0:47:12 elapsed)\nPhase: Deploy"


class Harness(App[None]):
    """Pushes the composer and keeps what it returned."""

    def __init__(self, draft: str = DRAFT) -> None:
        super().__init__()
        self.draft = draft
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(StatusComposer(self.draft), self.results.append)


async def test_draft_is_prefilled_and_ctrl_s_sends_the_edit() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        assert area.text == DRAFT
        assert area.has_focus
        await pilot.press("end", "enter", *"Next: watch")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == [DRAFT + "\nNext: watch"]
        assert not isinstance(app.screen, StatusComposer)


async def test_escape_cancels() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert app.results == [None]


async def test_send_button() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#send")
        await pilot.pause()
        assert app.results == [DRAFT]


async def test_empty_update_is_refused() -> None:
    app = Harness(draft="   \n ")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, StatusComposer)
        assert app.screen.has_class("-empty")


async def test_control_characters_are_made_visible() -> None:
    app = Harness(draft="ok\x1b]0;pwned\x07 done")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        (sent,) = app.results
        assert sent is not None and "\x1b" not in sent and "\x07" not in sent
        assert "pwned" in sent

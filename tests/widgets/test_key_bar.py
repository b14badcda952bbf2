"""The key bar: the focused screen's keys on one line, the palette key always at the right."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.widgets.key_bar import KeyBar


class _Keys(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "ack", "Ack"),
        Binding("b", "other_ack", "[bold]Busy[/]"),
        Binding("x", "ack", "Ack again"),
        Binding("h", "hidden", "Hidden", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.acks = 0

    def compose(self) -> ComposeResult:
        yield Static("keys")
        yield KeyBar()

    def action_ack(self) -> None:
        self.acks += 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "other_ack" else True


def _line(app: _Keys) -> str:
    return app.query_one(KeyBar).render().plain


async def test_shows_each_action_once_and_markup_as_text() -> None:
    app = _Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        assert "a Ack" in line and "Ack again" not in line
        assert "Hidden" not in line
        assert "[bold]Busy[/]" in line  # a description is never parsed as markup
        assert line.rstrip().endswith("palette")


async def test_palette_key_stays_when_the_line_is_full() -> None:
    app = _Keys()
    async with app.run_test(size=(20, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        assert len(line) == 20
        assert line.rstrip().endswith("palette")


async def test_clicking_a_key_presses_it() -> None:
    app = _Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        await pilot.click(KeyBar, offset=(line.index("Ack"), 0))
        await pilot.pause()
        assert app.acks == 1
        await pilot.click(KeyBar, offset=(line.index("palette"), 0))
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_a_key_not_available_now_is_dimmed() -> None:
    app = _Keys()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        text = app.query_one(KeyBar).render()
        busy = text.plain.index("Busy")
        ack = text.plain.index("Ack")

        def dim_at(offset: int) -> bool:
            return bool(text.get_style_at_offset(app.console, offset).dim)

        assert dim_at(busy)
        assert not dim_at(ack)

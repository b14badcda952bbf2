"""The key bar in Japanese: wide words fit the line, whole keys or an ellipsis, never half."""

from __future__ import annotations

from typing import ClassVar

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from warroom.widgets.key_bar import KeyBar

BINDINGS: list[tuple[str, str, str]] = [
    ("space", "toggle_done", "Done"),
    ("n", "note", "Note"),
    ("s", "not_applicable", "N/A"),
    ("slash", "filter", "Filter log"),
    ("A", "alerts", "Alerts"),
    ("a", "ack", "Ack"),
    ("u", "status", "Status update"),
    ("D", "mark_deploy", "Mark deploy"),
]

JAPANESE = {
    "space": "完了",
    "n": "メモ",
    "s": "対象外",
    "/": "ログ絞込",
    "A": "アラート",
    "a": "了解",
    "u": "状況報告",
    "D": "デプロイ記録",
}


class _Keys(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, action, description, key_display="/" if key == "slash" else None)
        for key, action, description in BINDINGS
    ]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Static("keys")
        yield KeyBar(lang=self.lang)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True


def _line(app: _Keys) -> str:
    return app.query_one(KeyBar).render().plain


async def test_japanese_words_replace_the_english_ones() -> None:
    app = _Keys("ja")
    async with app.run_test(size=(160, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        for key, word in JAPANESE.items():
            assert f" {key} {word}" in line
        assert "Done" not in line and "…" not in line
        assert line.rstrip().endswith("コマンド")


@pytest.mark.parametrize("width", [24, 31, 40, 47, 55, 64, 80])
async def test_narrow_bars_keep_whole_keys_then_an_ellipsis(width: int) -> None:
    app = _Keys("ja")
    async with app.run_test(size=(width, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        # Wide characters count two cells: the line is exactly the screen's width.
        assert cell_len(line) == width
        assert line.rstrip().endswith("コマンド")
        keys, _, _palette = line.partition("▏")
        shown = [k for k in JAPANESE if f" {k} " in keys]
        # The keys shown are the first ones, each with its whole word...
        assert shown == list(JAPANESE)[: len(shown)]
        for key in shown:
            assert f" {key} {JAPANESE[key]}" in keys
        # ...and when some are left out, an ellipsis says so.
        assert ("…" in keys) == (len(shown) < len(JAPANESE))


async def test_the_language_can_change_while_shown() -> None:
    app = _Keys("en")
    async with app.run_test(size=(160, 5)) as pilot:
        await pilot.pause()
        assert " n Note" in _line(app)
        app.query_one(KeyBar).lang = "ja"
        await pilot.pause()
        assert " n メモ" in _line(app) and "Note" not in _line(app)


async def test_a_click_on_a_japanese_key_presses_it() -> None:
    app = _Keys("ja")
    pressed: list[str] = []
    app.action_note = lambda: pressed.append("note")  # type: ignore[attr-defined]
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        line = _line(app)
        # The column of the word メモ (cells, not characters: 完了 is four cells wide).
        column = cell_len(line[: line.index("メモ")])
        await pilot.click(KeyBar, offset=(column + 1, 0))
        await pilot.pause()
        assert pressed == ["note"]

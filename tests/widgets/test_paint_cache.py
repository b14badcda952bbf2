"""Painted lines are handed back only while nothing about them changed."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from widgets.pane import Pane
from widgets.text_line import TextLine


class Harness(App[None]):
    CSS = "Pane { border: round $primary; }"

    def compose(self) -> ComposeResult:
        with Pane(id="pane") as pane:
            pane.border_title = "Pane"
            yield TextLine(Text("first"), id="line")


def _text(app: Harness, widget_id: str) -> str:
    widget = app.query_one(f"#{widget_id}")
    size = widget.region.size
    return "".join(strip.text for strip in widget.render_lines(Region(0, 0, *size)))


async def test_unchanged_lines_are_handed_back_and_changes_repaint() -> None:
    app = Harness()
    async with app.run_test(size=(30, 5)) as pilot:
        line = app.query_one(TextLine)
        crop = Region(0, 0, *line.region.size)
        painted = line.render_lines(crop)
        assert line.render_lines(crop) is painted  # nothing changed: the same lines
        line.text = Text("second")
        await pilot.pause()
        assert "second" in _text(app, "line")
        pane = app.query_one(Pane)
        pane.border_title = "Renamed"
        await pilot.pause()
        assert "Renamed" in _text(app, "pane")


async def test_a_new_theme_repaints_lines_that_did_not_change() -> None:
    app = Harness()
    async with app.run_test(size=(30, 5)) as pilot:
        pane = app.query_one(Pane)
        crop = Region(0, 0, *pane.region.size)
        before = pane.render_lines(crop)
        app.theme = "textual-light"
        await pilot.pause()
        after = pane.render_lines(crop)
        assert after is not before
        assert [s.text for s in after] == [s.text for s in before]
        assert [list(s) for s in after] != [list(s) for s in before]  # new colours

"""Painted lines are handed back only while nothing about them changed."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widget import Widget

from warroom.widgets.internals import enabled
from warroom.widgets.pane import Pane
from warroom.widgets.text_line import TextLine

needs_paint_cache = pytest.mark.skipif(
    not enabled("paint_cache"), reason="the paint cache hook is off (stock Textual)"
)


class Harness(App[None]):
    CSS = "Pane { border: round $primary; }"

    def compose(self) -> ComposeResult:
        with Pane(id="pane") as pane:
            pane.border_title = "Pane"
            yield TextLine(Text("first"), id="line")


def _text(app: App[None], widget_id: str) -> str:
    widget = app.query_one(f"#{widget_id}")
    size = widget.region.size
    return "".join(strip.text for strip in widget.render_lines(Region(0, 0, *size)))


@needs_paint_cache
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


class Lines(App[None]):
    CSS = """
    #plain { color: $text-muted; }
    #styled { color: $warning; background: $error-muted; text-style: bold; }
    #padded { padding: 0 1; }
    Screen.-alarm { background: $error-muted; }
    """

    def compose(self) -> ComposeResult:
        name = Text("Call ")
        name.append("Alice Example", style="bold")
        name.append("  UNACKED")
        yield TextLine(name, id="plain")
        yield TextLine(Text("Status update OVERDUE 1:05 and more text than fits"), id="styled")
        yield TextLine(Text("漢字の行 wide characters cut at the edge"), id="wide")
        yield TextLine(Text("padded"), id="padded")


async def test_a_long_line_is_cut_with_an_ellipsis() -> None:
    app = Lines()
    async with app.run_test(size=(24, 6)) as pilot:
        await pilot.pause()
        cut = app.query_one("#styled", TextLine)
        assert _text(app, "styled").endswith("…")
        assert len(_text(app, "styled")) == cut.region.width


async def test_a_line_follows_a_style_that_changes_above_it() -> None:
    app = Lines()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        line = app.query_one("#plain", TextLine)
        crop = Region(0, 0, *line.region.size)
        before = [list(strip) for strip in line.render_lines(crop)]
        app.screen.add_class("-alarm")  # the background under the line changes
        await pilot.pause()
        after = [list(strip) for strip in line.render_lines(crop)]
        assert after != before
        line.refresh()  # forget the painted lines
        assert after == [list(strip) for strip in Widget.render_lines(line, crop)]
        app.theme = "textual-light"
        await pilot.pause()
        assert [list(strip) for strip in line.render_lines(crop)] != after

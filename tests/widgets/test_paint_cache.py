"""Painted lines are handed back only while nothing about them changed."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.scrollbar import ScrollBar
from textual.widget import Widget

from services.log_follow import LogLine, detect_level
from widgets.internals import enabled
from widgets.log_view import LogView
from widgets.pane import Pane
from widgets.text_line import TextLine

needs_paint_cache = pytest.mark.skipif(
    not enabled("paint_cache"), reason="the paint cache hook is off (stock Textual)"
)
needs_scrollbar_cache = pytest.mark.skipif(
    not enabled("scrollbar_cache"), reason="the scrollbar hook is off (stock Textual)"
)


class Harness(App[None]):
    CSS = "Pane { border: round $primary; }"

    def compose(self) -> ComposeResult:
        with Pane(id="pane") as pane:
            pane.border_title = "Pane"
            yield TextLine(Text("first"), id="line")


def _log_line(n: int) -> LogLine:
    text = f"2026-11-26T09:00:{n % 60:02d}Z ERROR request {n} failed"
    return LogLine("app", text, detect_level(text), n)


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


async def test_a_line_paints_the_same_cells_as_textual_would() -> None:
    app = Lines()
    async with app.run_test(size=(24, 6)) as pilot:
        await pilot.pause()
        for line in app.query(TextLine):
            crop = Region(0, 0, *line.region.size)
            direct = line.render_lines(crop)
            line.refresh()  # forget the painted lines
            textual = Widget.render_lines(line, crop)
            assert [list(strip) for strip in direct] == [list(strip) for strip in textual], line.id
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


async def test_a_line_keeps_the_offsets_the_mouse_selects_by() -> None:
    app = Lines()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        line = app.query_one("#plain", TextLine)
        strip = line.render_lines(Region(0, 0, *line.region.size))[0]
        offsets = [segment.style.meta.get("offset") for segment in strip if segment.style]
        assert (0, 0) in offsets and (5, 0) in offsets  # "Call " then the bold name


class Scrolling(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(id="log")


async def _filled(app: Scrolling, pilot: Pilot[None]) -> tuple[LogView, ScrollBar, Region]:
    """The log view with more lines than fit, its vertical scrollbar and that one's area."""
    view = app.query_one(LogView)
    view.append([_log_line(n) for n in range(200)])
    await pilot.pause()
    bar = view.vertical_scrollbar
    return view, bar, Region(0, 0, *bar.region.size)


@needs_scrollbar_cache
async def test_a_scrollbar_repaints_when_the_view_scrolls() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        view, bar, crop = await _filled(app, pilot)
        at_end = bar.render_lines(crop)
        assert bar.render_lines(crop) is at_end  # unchanged: handed back
        view.scroll_home(animate=False)
        await pilot.pause()
        at_top = bar.render_lines(crop)
        assert [list(s) for s in at_top] != [list(s) for s in at_end]  # the thumb moved


@needs_scrollbar_cache
async def test_a_toast_leaves_the_scrollbars_as_they_were() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8), notifications=True) as pilot:
        view, bar, crop = await _filled(app, pilot)
        painted = bar.render_lines(crop)
        app.notify("api health is DOWN", title="Alert", severity="error")
        await pilot.pause(0.3)  # the toast is laid out: the whole screen is
        assert bar.render_lines(crop) is painted  # nothing about the scrollbar changed
        view.clear()  # content that fits: the scrollbar goes, sized for the new content
        await pilot.pause()
        assert not view.show_vertical_scrollbar


@needs_scrollbar_cache
async def test_a_followed_log_keeps_its_scrollbar_while_the_thumb_stays() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        view, bar, crop = await _filled(app, pilot)
        painted = bar.render_lines(crop)
        view.append([_log_line(200)])  # one more line: the thumb stays at the bottom
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y
        assert bar.render_lines(crop) is painted
        view.scroll_to(y=view.max_scroll_y // 2, animate=False)  # now it moves
        await pilot.pause()
        assert bar.render_lines(crop) is not painted

"""Painted lines are handed back only while nothing about them changed."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from warroom.services.logs.levels import detect_level
from warroom.services.logs.lines import LogLine
from warroom.widgets.escalation_view import _WrappedLine
from warroom.widgets.incident_header import IncidentHeader
from warroom.widgets.internals import enabled
from warroom.widgets.log_view import LogView
from warroom.widgets.pane import Pane
from warroom.widgets.text_line import TextLine

needs_paint_cache = pytest.mark.skipif(
    not enabled("paint_cache"), reason="the paint cache hook is off (stock Textual)"
)
needs_scrollbar_cache = pytest.mark.skipif(
    not enabled("scrollbar_cache"), reason="the scrollbar hook is off (stock Textual)"
)
needs_line_paint = pytest.mark.skipif(
    not enabled("line_paint"), reason="the one-row painting hook is off (stock Textual)"
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
    #wrapped-short { background: $error-muted; color: $warning; text-style: bold italic; }
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
        yield _WrappedLine(Text("Next: Lead · in 3:38"), id="wrapped-short")
        yield _WrappedLine(Text("Next: Senior engineer · Aiko Tanaka · in 3:38"), id="wrapped")
        yield IncidentHeader(id="header")


class CountingLine(TextLine):
    """A TextLine that counts the rows Textual's own path renders for it."""

    textual_rows = 0

    def render_line(self, y: int) -> Strip:
        self.textual_rows += 1
        return super().render_line(y)


def _cells(strips: list[Strip]) -> list[list[object]]:
    return [list(strip) for strip in strips]


async def test_a_line_paints_the_same_cells_as_textual_would() -> None:
    app = Lines()
    async with app.run_test(size=(24, 8)) as pilot:
        await pilot.pause()
        widgets = [*app.query(TextLine), app.query_one(IncidentHeader)]
        assert len(widgets) == 7
        for widget in widgets:
            crop = Region(0, 0, *widget.region.size)
            direct = widget.render_lines(crop)
            widget.refresh()  # forget the painted lines
            textual = Widget.render_lines(widget, crop)
            assert _cells(direct) == _cells(textual), widget.id
            part = Region(2, 0, widget.region.width - 5, 1)  # a crop inside the row
            widget.refresh()
            assert _cells(widget.render_lines(part)) == _cells(Widget.render_lines(widget, part))


@needs_line_paint
async def test_a_one_row_line_is_painted_without_textual_s_row_rendering() -> None:
    class Counted(App[None]):
        def compose(self) -> ComposeResult:
            yield CountingLine(Text("Status update in 4:12"), id="one")

    app = Counted()
    async with app.run_test(size=(30, 3)) as pilot:
        await pilot.pause()
        line = app.query_one(CountingLine)
        line.text = Text("Status update in 4:11")  # the countdown's next second
        await pilot.pause()
        assert "4:11" in _text(app, "one")
        assert line.textual_rows == 0


async def test_a_long_line_is_cut_with_an_ellipsis() -> None:
    app = Lines()
    async with app.run_test(size=(24, 8)) as pilot:
        await pilot.pause()
        cut = app.query_one("#styled", TextLine)
        assert _text(app, "styled").endswith("…")
        assert len(_text(app, "styled")) == cut.region.width


async def test_a_line_follows_a_style_that_changes_above_it() -> None:
    app = Lines()
    async with app.run_test(size=(40, 8)) as pilot:
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
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        line = app.query_one("#plain", TextLine)
        strip = line.render_lines(Region(0, 0, *line.region.size))[0]
        offsets = [segment.style.meta.get("offset") for segment in strip if segment.style]
        assert (0, 0) in offsets and (5, 0) in offsets  # "Call " then the bold name


class Scrolling(App[None]):
    CSS = "LogView.-alarm { scrollbar-color: $error; scrollbar-background: $error-muted; }"

    def compose(self) -> ComposeResult:
        yield LogView(id="log")


async def _paused(app: Scrolling, pilot: Pilot[None]) -> tuple[LogView, ScrollBar, Region]:
    """The log view with more lines than fit, paused at the newest (its scrollbar shows),
    its vertical scrollbar and that one's area."""
    view = app.query_one(LogView)
    view.append([_log_line(n) for n in range(200)])
    await pilot.pause()
    view.following = False
    await pilot.pause()
    bar = view.vertical_scrollbar
    assert bar in app.screen._compositor.visible_widgets
    return view, bar, Region(0, 0, *bar.region.size)


@needs_scrollbar_cache
async def test_a_scrollbar_repaints_when_the_view_scrolls() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        view, bar, crop = await _paused(app, pilot)
        at_end = bar.render_lines(crop)
        assert bar.render_lines(crop) is at_end  # unchanged: handed back
        view.scroll_home(animate=False)
        await pilot.pause()
        at_top = bar.render_lines(crop)
        assert _cells(at_top) != _cells(at_end)  # the thumb moved
        assert _cells(at_top) == _cells(Widget.render_lines(bar, crop))


@needs_scrollbar_cache
async def test_a_toast_leaves_the_scrollbars_as_they_were() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8), notifications=True) as pilot:
        view, bar, crop = await _paused(app, pilot)
        painted = bar.render_lines(crop)
        app.notify("api health is DOWN", title="Alert", severity="error")
        await pilot.pause(0.3)  # the toast is laid out: the whole screen is
        assert bar.render_lines(crop) is painted  # nothing about the scrollbar changed
        view.clear()  # content that fits: the scrollbar goes, sized for the new content
        await pilot.pause()
        assert not view.show_vertical_scrollbar


@needs_scrollbar_cache
async def test_a_scrollbar_keeps_its_lines_while_the_thumb_stays() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        view, bar, crop = await _paused(app, pilot)
        view.scroll_to(y=96, animate=False)  # 192 rows to scroll: the thumb is mid-way
        await pilot.pause()
        painted = bar.render_lines(crop)
        view.scroll_to(y=97, animate=False)  # a line on: not an eighth of the bar's cell
        await pilot.pause()
        assert bar.position == 97
        assert bar.render_lines(crop) is painted
        view.scroll_to(y=20, animate=False)  # now it moves
        await pilot.pause()
        moved = bar.render_lines(crop)
        assert moved is not painted
        assert _cells(moved) == _cells(Widget.render_lines(bar, crop))


@needs_scrollbar_cache
async def test_a_scrollbar_follows_a_new_theme() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        _view, bar, crop = await _paused(app, pilot)
        painted = bar.render_lines(crop)
        app.theme = "textual-light"
        await pilot.pause()
        assert _cells(bar.render_lines(crop)) != _cells(painted)
        assert _cells(bar.render_lines(crop)) == _cells(Widget.render_lines(bar, crop))


@needs_scrollbar_cache
async def test_a_scrollbar_follows_a_style_set_on_its_view() -> None:
    app = Scrolling()
    async with app.run_test(size=(40, 8)) as pilot:
        view, bar, crop = await _paused(app, pilot)
        painted = bar.render_lines(crop)
        view.add_class("-alarm")  # the view's scrollbar colours change; the bar's own do not
        await pilot.pause()
        assert _cells(bar.render_lines(crop)) != _cells(painted)
        assert _cells(bar.render_lines(crop)) == _cells(Widget.render_lines(bar, crop))


class CountingWrapped(_WrappedLine):
    """A wrapped line that counts the rows Textual's own path renders for it."""

    textual_rows = 0

    def render_line(self, y: int) -> Strip:
        self.textual_rows += 1
        return super().render_line(y)


class WrappedLines(App[None]):
    CSS = "#styled { color: $warning; background: $error-muted; text-style: bold; }"

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield CountingWrapped(self.text, id="plain")
        yield CountingWrapped(self.text, id="styled")


WRAPPED = {
    "words": Text("Next: Senior engineer · Aiko Tanaka @aiko · in 3:38"),
    "wide": Text("Next: 漢字の名前 エンジニア · 田中 愛子 · in 13:38"),
    "styled": Text.assemble("Next: ", ("Aiko Tanaka", "bold"), "  UNACKED · in 1:00:05"),
    # A word longer than the row is cut with an ellipsis: Textual's path draws that.
    "long-word": Text("Next: averyveryverylongnamewithoutanyspacesatall · in 0:05"),
}


@needs_line_paint
@pytest.mark.parametrize("name", list(WRAPPED))
@pytest.mark.parametrize("width", [18, 27, 38])
async def test_a_wrapped_line_paints_textual_s_cells_row_by_row(name: str, width: int) -> None:
    # The escalation pane's "Next:" line wraps onto two rows and changes every second:
    # it is painted without Textual's row rendering, cell for cell as Textual would.
    app = WrappedLines(WRAPPED[name])
    async with app.run_test(size=(width, 6)) as pilot:
        await pilot.pause()
        for line in app.query(CountingWrapped):
            crop = Region(0, 0, *line.region.size)
            direct = line.render_lines(crop)
            assert (line.textual_rows == 0) == (name != "long-word"), line.id
            line.refresh()
            assert _cells(direct) == _cells(Widget.render_lines(line, crop)), line.id
            part = Region(1, 1, width - 3, 1)  # a crop inside the second row
            line.refresh()
            assert _cells(line.render_lines(part)) == _cells(Widget.render_lines(line, part))

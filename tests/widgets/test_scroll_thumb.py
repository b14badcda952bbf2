"""Whole-cell scrollbar thumbs: no block glyphs, and the thumb still follows the view."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widgets import Static

from warroom.widgets.scroll_thumb import use_whole_cell_thumbs

BLOCKS = frozenset("▁▂▃▄▅▆▇█▉▊▋▌▍▎▏")


class Long(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            # 47 rows in a 10-row view: the thumb's ends fall inside cells.
            yield Static("\n".join(f"row {n}" for n in range(47)))


def _bar_cells(app: Long) -> list[str]:
    """Each row of the view's vertical scrollbar, as text; thumb rows marked '#'."""
    bar = app.query_one(VerticalScroll).vertical_scrollbar
    rows = []
    for strip in bar.render_lines(Region(0, 0, *bar.region.size)):
        text = strip.text
        thumb = any(seg.style is not None and seg.style.reverse for seg in strip)
        rows.append(text if set(text) & BLOCKS else ("#" if thumb else "."))
    return rows


async def test_stock_thumbs_end_in_block_glyphs_and_whole_cell_ones_do_not() -> None:
    app = Long()
    async with app.run_test(size=(30, 10)) as pilot:
        view = app.query_one(VerticalScroll)
        view.scroll_to(y=11, animate=False)
        await pilot.pause()
        stock = _bar_cells(app)
        assert any(set(row) & BLOCKS for row in stock), stock  # the case being fixed
        undo = use_whole_cell_thumbs()
        try:
            view.vertical_scrollbar.refresh()
            await pilot.pause()
            whole = _bar_cells(app)
            assert set(whole) == {"#", "."}, whole
            view.scroll_end(animate=False)
            await pilot.pause()
            assert _bar_cells(app) != whole  # the thumb moved down with the view
            assert _bar_cells(app)[-1] == "#"
        finally:
            undo()
    assert ScrollBar.renderer is ScrollBarRender

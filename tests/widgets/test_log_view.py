"""The log pane and its filter box, in tiny harness apps."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.levels import detect_level
from warroom.services.logs.lines import LogEvent, LogItem, LogLine, decode_line
from warroom.widgets.filter_bar import FilterBar
from warroom.widgets.log_view import LogView

HOSTILE = [
    "\x1b]0;title\x07 retitle",
    "\x1b[2J clear",
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "[bold]x[/]",
    "[@click=app.quit]quit[/]",
]


def line(text: str, seq: int, source: str = "app") -> LogLine:
    return LogLine(source, text, detect_level(text), seq)


class LogHarness(App[None]):
    def __init__(self, max_lines: int = 10_000, show_source: bool = False) -> None:
        super().__init__()
        self.view = LogView(max_lines=max_lines, show_source=show_source)
        self.follow_changes: list[bool] = []

    def compose(self) -> ComposeResult:
        yield self.view

    def on_log_view_follow_changed(self, message: LogView.FollowChanged) -> None:
        self.follow_changes.append(message.following)


def visible(view: LogView) -> list[Strip]:
    return [view.render_line(y) for y in range(view.size.height)]


def texts(view: LogView) -> list[str]:
    return [strip.text.rstrip() for strip in visible(view)]


async def test_escapes_and_markup_are_inert_on_screen() -> None:
    app = LogHarness(show_source=True)
    async with app.run_test(size=(100, 12)) as pilot:
        # Both raw text (defence in depth) and text sanitized at ingestion.
        items: list[LogItem] = [line(t, i) for i, t in enumerate(HOSTILE)]
        items += [line(decode_line(t.encode()), 10 + i) for i, t in enumerate(HOSTILE)]
        app.view.append(items)
        await pilot.pause()
        shown = texts(app.view)
        for offset in (0, 5):
            assert shown[offset + 0] == "app ␛]0;title␇ retitle"
            assert shown[offset + 1] == "app ␛[2J clear"
            assert "http://evil.example/" in shown[offset + 2]
            assert shown[offset + 3] == "app [bold]x[/]"
            assert shown[offset + 4] == "app [@click=app.quit]quit[/]"
        for strip in visible(app.view):
            for segment in strip:
                assert "\x1b" not in segment.text and "\x07" not in segment.text
                if segment.style is not None:
                    assert segment.style.link is None
                    assert not segment.style.meta
        assert app.is_running  # nothing clicked app.quit


async def test_levels_and_matches_are_styled_by_theme_classes() -> None:
    app = LogHarness()
    async with app.run_test(size=(80, 8)) as pilot:
        app.view.append([line("ERROR auth failed", 1), line("INFO fine", 2)])
        app.view.set_filter(LogFilter.parse("auth"))
        await pilot.pause()
        error_style = app.view.get_component_rich_style("log-view--error")
        match_style = app.view.get_component_rich_style("log-view--match")
        first = list(visible(app.view)[0])
        by_text = {segment.text: segment.style for segment in first}
        assert by_text["ERROR "] is not None and by_text["ERROR "].color == error_style.color
        assert by_text["auth"] is not None and by_text["auth"].bgcolor == match_style.bgcolor
        assert by_text["auth"].color == error_style.color


async def test_events_are_shown_as_status_lines() -> None:
    app = LogHarness()
    async with app.run_test(size=(80, 5)) as pilot:
        app.view.append([LogEvent("app", "truncated", "app.log was truncated", 1)])
        await pilot.pause()
        assert texts(app.view)[0] == "── app.log was truncated ──"


async def test_follows_the_end_pauses_and_resumes() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 10)) as pilot:
        app.view.focus()
        app.view.append([line(f"line {i}", i) for i in range(100)])
        await pilot.pause()
        assert "line 99" in texts(app.view)
        await pilot.press("f")
        assert app.view.following is False and app.view.has_class("-paused")
        before = texts(app.view)
        app.view.append([line(f"more {i}", 100 + i) for i in range(5)])
        await pilot.pause()
        assert texts(app.view) == before
        await pilot.press("end")
        await pilot.pause()
        assert app.view.following is True
        assert "more 4" in texts(app.view)
        await pilot.press("pageup")
        await pilot.pause()
        assert app.view.following is False
        assert "more 4" not in texts(app.view)
        await pilot.press("home")
        await pilot.pause()
        assert texts(app.view)[0] == "line 0"
        assert app.follow_changes == [False, True, False]


async def test_scroll_back_is_bounded_and_steady_while_paused() -> None:
    app = LogHarness(max_lines=50)
    async with app.run_test(size=(60, 10)) as pilot:
        app.view.append([line(f"line {i}", i) for i in range(120)])
        await pilot.pause()
        assert len(app.view.items) == 50
        assert app.view.items[0].text == "line 70"
        app.view.following = False
        app.view.scroll_to(y=10, animate=False, immediate=True)
        await pilot.pause()
        before = texts(app.view)
        app.view.append([line(f"new {i}", 200 + i) for i in range(5)])
        await pilot.pause()
        assert texts(app.view) == before


async def test_replace_shows_the_refiltered_backlog() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 6)) as pilot:
        app.view.append([line("a", 1), line("b", 2)])
        app.view.replace([line("b", 2)], LogFilter.parse("b"))
        await pilot.pause()
        assert texts(app.view)[:2] == ["b", ""]
        assert app.view.log_filter.expr == "b"


class FilterHarness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.filters: list[LogFilter] = []

    def compose(self) -> ComposeResult:
        yield FilterBar(history=["older"])

    def on_filter_bar_filter_changed(self, message: FilterBar.FilterChanged) -> None:
        self.filters.append(message.log_filter)


async def test_filter_bar_posts_filters_flags_errors_and_recalls_history() -> None:
    app = FilterHarness()
    async with app.run_test(size=(60, 5)) as pilot:
        bar = app.query_one(FilterBar)
        bar.focus()
        await pilot.press(*"auth")
        await pilot.pause()
        assert app.filters[-1].expr == "auth"
        assert app.filters[-1].matches("AUTH failed")
        await pilot.press("space", "/", "a", "(")
        await pilot.pause()
        assert bar.has_class("-invalid")
        assert app.filters[-1].error is not None
        await pilot.press("backspace", "backspace", "backspace", "backspace", "enter")
        await pilot.pause()
        assert not bar.has_class("-invalid")
        assert bar.history == ("older", "auth")
        bar.value = ""
        await pilot.press("up")
        assert bar.value == "auth"
        await pilot.press("up")
        assert bar.value == "older"
        await pilot.press("down", "down")
        assert bar.value == ""


async def test_held_batches_show_together_at_the_flush() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 8)) as pilot:
        view = app.view
        view.append([line("first", 1)])
        view.hold([line("second", 2)])
        view.hold([line("third", 3)])
        await pilot.pause()
        assert [i.text for i in view.items] == ["first"]
        view.flush()
        await pilot.pause()
        assert [i.text for i in view.items] == ["first", "second", "third"]
        assert texts(view)[:3] == ["first", "second", "third"]
        view.hold([line("dropped", 4)])
        view.replace([line("refiltered", 5)])  # stands for everything, held lines included
        view.flush()
        assert [i.text for i in view.items] == ["refiltered"]


class HeadlineHarness(LogHarness):
    def __init__(self) -> None:
        super().__init__()
        self.headlines: list[LogView.Headline] = []

    def on_log_view_headline(self, message: LogView.Headline) -> None:
        self.headlines.append(message)


LONG = (
    "2026-11-26T04:19:52.123Z ERROR auth: login failed for user alice from 10.0.0.7 "
    "reason=key_not_found THE-LAST-WORD"
)


async def test_a_long_line_shows_a_compact_time_and_wraps_to_its_last_word() -> None:
    app = LogHarness()
    async with app.run_test(size=(40, 8)) as pilot:
        app.view.now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
        app.view.append([line(LONG, 1)])
        await pilot.pause()
        rows = [row for row in texts(app.view) if row]
        assert rows[0].startswith("04:19:52 ERROR auth: login failed")
        assert "2026-11-26" not in " ".join(rows)
        assert rows[-1].endswith("THE-LAST-WORD")
        # Every word reads whole: the rows hold the message, words never split.
        assert " ".join(r.strip() for r in rows).split() == ["04:19:52", *LONG.split()[1:]]
        assert all(len(row) <= app.view.scrollable_content_region.width for row in rows)


async def test_a_line_of_another_day_shows_its_date() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 4)) as pilot:
        app.view.now = datetime(2026, 11, 27, 0, 5, tzinfo=UTC)
        app.view.append([line("2026-11-26T23:59:58Z WARN late", 1)])
        await pilot.pause()
        assert texts(app.view)[0] == "11-26 23:59:58 WARN late"


async def test_c_cuts_long_lines_at_the_edge_and_wraps_them_again() -> None:
    app = LogHarness()
    async with app.run_test(size=(40, 8)) as pilot:
        app.view.focus()
        app.view.append([line(LONG, 1), line("2026-11-26T04:19:53Z INFO next", 2)])
        await pilot.pause()
        wrapped = [row for row in texts(app.view) if row]
        assert len(wrapped) > 2
        await pilot.press("c")
        await pilot.pause()
        assert app.view.wrap is False and app.view.has_class("-cut")
        cut = [row for row in texts(app.view) if row]
        assert cut[0].startswith("04:19:52 ERROR auth") and "THE-LAST-WORD" not in cut[0]
        assert cut[1] == "04:19:53 INFO next"
        await pilot.press("c")
        await pilot.pause()
        assert [row for row in texts(app.view) if row] == wrapped


async def test_the_newest_error_is_posted_even_when_info_lines_follow() -> None:
    app = HeadlineHarness()
    async with app.run_test(size=(60, 6)) as pilot:
        app.view.now = datetime(2026, 11, 26, 4, 20, 0, tzinfo=UTC)
        app.view.append(
            [
                line("2026-11-26T04:19:50Z ERROR auth: first failure", 1),
                line("2026-11-26T04:19:52Z CRITICAL auth: login failed for everyone", 2),
            ]
        )
        app.view.append([line(f"2026-11-26T04:19:5{i}Z INFO ok {i}", 3 + i) for i in range(5)])
        await pilot.pause()
        headline = app.headlines[-1]
        assert headline.line is not None and "login failed for everyone" in headline.line.text
        assert headline.at == datetime(2026, 11, 26, 4, 19, 52, tzinfo=UTC)
        assert headline.zone == "UTC"
        # A filter that leaves no error out: nothing is pinned.
        app.view.replace([line("2026-11-26T04:19:53Z INFO ok", 9)], LogFilter.parse("ok"))
        await pilot.pause()
        assert app.headlines[-1].line is None


async def test_the_scrollbar_shows_only_while_paused_and_is_one_cell_wide() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 6)) as pilot:
        app.view.focus()
        app.view.append([line(f"line {i}", i) for i in range(50)])
        await pilot.pause()
        assert app.view.styles.scrollbar_size_vertical == 1
        assert app.view.styles.scrollbar_visibility == "hidden"
        assert not any(isinstance(w, ScrollBar) for w in app.screen._compositor.visible_widgets)
        await pilot.press("f")
        await pilot.pause()
        assert app.view.styles.scrollbar_visibility == "visible"
        bars = [w for w in app.screen._compositor.visible_widgets if isinstance(w, ScrollBar)]
        assert bars and all(bar.region.width == 1 for bar in bars)


async def test_a_scrollbar_hidden_while_following_shows_the_newest_place_on_pause() -> None:
    app = LogHarness()
    async with app.run_test(size=(60, 6)) as pilot:
        app.view.focus()
        app.view.append([line(f"line {i}", i) for i in range(10)])
        await pilot.press("f", "home", "end")  # painted once, at the top, then followed
        await pilot.pause()
        for batch in range(1, 5):  # batches while following, the scrollbar hidden
            app.view.append([line(f"line {batch}-{i}", batch * 10 + i) for i in range(10)])
            await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        bar = app.view.vertical_scrollbar
        assert bar in app.screen._compositor.visible_widgets
        assert bar.window_virtual_size == app.view.virtual_size.height == 50
        assert bar.position == app.view.scroll_y == app.view.max_scroll_y > 0
        assert _thumb_rows(bar) == [bar.region.height - 1]  # at the bottom, as painted
        await pilot.press("home")
        await pilot.pause()
        assert bar.position == app.view.scroll_y == 0
        assert _thumb_rows(bar) == [0]


def _thumb_rows(bar: ScrollBar) -> list[int]:
    """The rows where the scrollbar paints its thumb (the cells unlike the first's)."""
    from textual.geometry import Region

    rows = [strip for strip in bar.render_lines(Region(0, 0, *bar.region.size))]
    looks = [tuple(s.style for s in strip) for strip in rows]
    usual = max(set(looks), key=looks.count)
    return [y for y, look in enumerate(looks) if look != usual]


def _first_rows_whole(shown: list[str]) -> None:
    """Every continuation row (indented) comes under its line's first row."""
    rows = [row for row in shown if row.strip()]
    assert rows, "nothing shown"
    assert not rows[0].startswith(" "), f"the top row is a fragment: {rows[0]!r}"


async def test_a_wrapped_line_cut_by_the_top_edge_is_left_out_not_shown_in_part() -> None:
    app = LogHarness()
    # The Error log's box at 80x24: 36 columns; lines of one to four rows.
    async with app.run_test(size=(37, 7)) as pilot:
        app.view.now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
        for seq in range(40):
            words = " ".join(f"w{seq}-{n}" for n in range(1 + (seq * 7) % 13))
            stamp = f"2026-11-26T04:{seq:02d}:00Z"
            app.view.append([line(f"{stamp} INFO auth-api: {words} end{seq}", seq)])
            await pilot.pause()
            shown = texts(app.view)
            _first_rows_whole(shown)
            assert [row for row in shown if row.strip()][-1].endswith(f"end{seq}")  # whole
        # Paused, scrolled back a row at a time: never a fragment on top either.
        app.view.following = False
        for y in range(int(app.view.max_scroll_y), 0, -1):
            app.view.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
            _first_rows_whole(texts(app.view))


async def test_a_line_taller_than_the_view_shows_its_first_rows() -> None:
    app = LogHarness()
    async with app.run_test(size=(30, 4)) as pilot:
        app.view.now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
        words = " ".join(f"word{n}" for n in range(40))
        app.view.append([line(f"2026-11-26T04:00:00Z ERROR {words} end", 1)])
        await pilot.pause()
        assert app.view.scroll_y > 0  # following: at the end of its ten rows
        shown = texts(app.view)
        assert all(row.strip() for row in shown)  # not a blank pane
        assert shown[0].startswith("04:00:00 ERROR word0")  # its time and level

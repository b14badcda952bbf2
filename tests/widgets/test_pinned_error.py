"""The pinned error: its age follows the clock, and it takes the rows its words need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from warroom.services.logs.lines import LogLine
from warroom.widgets.pinned_error import PinnedError, pinned_text

WIDTH = 36
"""The Error log's column at 80x24."""

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


class Harness(App[None]):
    CSS = f"#column {{ width: {WIDTH}; height: 20; }} #below {{ height: 1; }}"

    def compose(self) -> ComposeResult:
        with Vertical(id="column"):
            yield PinnedError(id="pinned")
            yield Static("the log starts here", id="below")


def _error(text: str) -> LogLine:
    return LogLine("app", f"2026-12-01T10:00:00Z ERROR {text}", "ERROR", 1)


def _rows(widget: PinnedError) -> list[str]:
    """What the widget paints where it stands, row by row."""
    crop = widget.region.reset_offset
    return ["".join(s.text for s in strip).rstrip() for strip in widget.render_lines(crop)]


def _read(widget: PinnedError) -> str:
    return " ".join(" ".join(_rows(widget)).split())


async def test_the_age_counts_each_second_and_the_words_keep_their_place() -> None:
    app = Harness()
    async with app.run_test(size=(60, 24)) as pilot:
        pinned = app.query_one(PinnedError)
        pinned.line, pinned.at, pinned.now = _error("auth-api: login failed"), T0, T0
        await pilot.pause()
        assert _read(pinned).startswith("last error now: ERROR auth-api: login failed")
        for second in (1, 2, 3, 59, 61, 62):
            pinned.now = T0 + timedelta(seconds=second)
            await pilot.pause()
            age = f"{second}s" if second < 60 else f"1m{second - 60:02d}s"
            assert _read(pinned).startswith(f"last error {age} ago: ERROR auth-api")
        below = app.query_one("#below")
        assert below.region.y == pinned.region.bottom


async def test_a_longer_error_takes_more_rows_and_a_shorter_one_gives_them_back() -> None:
    app = Harness()
    async with app.run_test(size=(60, 24)) as pilot:
        pinned = app.query_one(PinnedError)
        below = app.query_one("#below")
        pinned.line, pinned.at, pinned.now = _error("db: timeout"), T0, T0
        await pilot.pause()
        assert pinned.region.height == 1
        long = "auth-api: login failed for user=bob@example.com reason=invalid_token id=7"
        pinned.line = _error(long)
        await pilot.pause()
        assert pinned.region.height >= 3
        assert below.region.y == pinned.region.bottom
        assert _read(pinned).endswith("reason=invalid_token id=7")  # read in full
        pinned.line = _error("db: timeout")
        await pilot.pause()
        assert pinned.region.height == 1 and below.region.y == pinned.region.bottom


def _grows_at_ten_seconds() -> str:
    """An error whose words wrap onto one more row when its age reaches 10s."""
    for extra in range(WIDTH * 2):
        text = "api: " + "x" * extra
        line = _error(text)
        rows = [
            len(Content(pinned_text(line, T0, T0 + timedelta(seconds=s))).wrap(WIDTH))
            for s in (9, 10)
        ]
        if rows[1] > rows[0]:
            return text
    raise AssertionError("no such length")


async def test_an_age_that_takes_one_more_cell_and_row_moves_the_log_down() -> None:
    app = Harness()
    async with app.run_test(size=(60, 24)) as pilot:
        pinned = app.query_one(PinnedError)
        below = app.query_one("#below")
        text = _grows_at_ten_seconds()
        pinned.line, pinned.at, pinned.now = _error(text), T0, T0 + timedelta(seconds=9)
        await pilot.pause()
        rows = pinned.region.height
        pinned.now = T0 + timedelta(seconds=10)
        await pilot.pause()
        assert pinned.region.height == rows + 1
        assert below.region.y == pinned.region.bottom
        assert _read(pinned).endswith(text.split()[-1])


def _looks(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    """Each cell's character and style, without the offsets the mouse selects by."""
    return [
        [(char, seg.style.clear_meta_and_links() if seg.style else None) for char in seg.text]
        for strip in strips
        for seg in [*strip]
    ]


async def test_a_wrapped_error_shows_its_words_as_wrapped_each_second() -> None:
    # Each second only the age's digits change: the rows are cut where the last ones
    # were and painted row by row; they must read as the words wrapped afresh, in the
    # cells the widget's own (Textual) path paints.
    app = Harness()
    words = (
        "auth-api: login failed for user=grace@example.com reason=key_not_found "
        "request_id=7f3a9c2e-1b4d-4e8a-9f0c-2d6b8e1a3c5f"
    )
    async with app.run_test(size=(60, 24)) as pilot:
        pinned = app.query_one(PinnedError)
        pinned.line, pinned.at = _error(words), T0
        for second in (11, 12, 13, 19, 20):
            pinned.now = T0 + timedelta(seconds=second)
            await pilot.pause()
            text = pinned_text(pinned.line, T0, pinned.now)
            wrapped = [line.plain.rstrip() for line in Text(text).wrap(app.console, WIDTH)]
            assert _rows(pinned) == wrapped
            assert len(wrapped) >= 3
            crop = pinned.region.reset_offset
            painted = pinned.render_lines(crop)
            pinned.refresh()
            assert _looks(painted) == _looks(Widget.render_lines(pinned, crop))

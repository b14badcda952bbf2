"""The runbook pane's line wrapping: long notes fit the pane, in English and Japanese."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len
from rich.style import Style

from warroom.widgets.runbook_rows import detail_lines as _detail_lines
from warroom.widgets.runbook_rows import wrap as _wrap

WORDS = ["deploy", "rollback", "v1.2.4", "auth", "ok", "確認しました", "ロールバック", "x" * 30]


@pytest.mark.parametrize("seed", range(20))
def test_every_line_fits_and_no_text_is_lost(seed: int) -> None:
    rng = random.Random(seed)
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 300)))
    width = rng.randrange(40, 90)  # an indent (8) and the longest word (30) fit
    lines = _wrap(text, width, 8)
    assert all(cell_len(line) <= width for line in lines)
    # Only the spaces a line was broken at and the indents are added or removed.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_note_is_wrapped_once_and_its_lines_reused_by_every_rebuild() -> None:
    note = "      note: " + "the login API returns 500 for every request " * 40
    first = _detail_lines(note, 50, Style())
    again = _detail_lines(note, 50, Style())
    assert again is first and len(first) > 30
    assert _detail_lines(note, 70, Style()) is not first  # another width wraps anew
    assert _wrap("abc def", 5, 2) == ["abc", "  def"]

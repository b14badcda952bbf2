"""Japanese line breaking (禁則処理) in the runbook pane: where a line may end and start."""

from __future__ import annotations

import itertools
import random

import pytest
from rich.cells import cell_len

from warroom.widgets.line_break import (
    NO_LINE_END,
    NO_LINE_START,
    may_break_between,
    pieces,
    wrap_line,
)


@pytest.mark.parametrize(
    ("before", "after", "allowed"),
    [
        ("ト", "リ", False),  # inside a katakana word
        ("ー", "ジ", False),
        ("リ", "ー", False),  # the long-vowel mark never starts a line
        ("ッ", "ク", False),
        ("a", "b", False),  # inside a Latin word
        ("1", ".", False),  # inside a version
        ("Ａ", "３", False),  # full-width letters and digits are Latin words too
        ("価", "、", False),  # a comma never starts a line
        ("う", "。", False),
        ("ト", "」", False),
        ("ト", "）", False),
        ("を", "ッ", False),  # a small kana never starts a line
        ("「", "ト", False),  # an opening bracket never ends a line
        ("（", "ス", False),
        ("の", "影", True),  # between Japanese characters otherwise
        ("響", "を", True),
        ("を", "ト", True),  # before a katakana word
        ("ジ", "の", True),  # after it
        ("、", "ト", True),
        ("。", "「", True),
        ("4", "の", True),  # between a Latin word and Japanese
        ("の", "v", True),
        ("・", "グ", True),  # after the katakana middle dot (ブルー・グリーン)
        (" ", "a", True),  # English breaks after spaces
        ("d", " ", False),  # (the spaces are dropped at the break)
        (" ", "、", False),  # still no comma first
    ],
)
def test_where_a_line_may_break(before: str, after: str, allowed: bool) -> None:
    assert may_break_between(before, after) is allowed


@pytest.mark.parametrize(
    ("text", "width", "indent", "lines"),
    [
        # トリアージ stays whole: the line ends before it, not inside it.
        ("影響を評価してトリアージ", 20, 0, ["影響を評価して", "トリアージ"]),
        # The comma does not start a line: the character before it comes along.
        ("問題の深刻度を評価、確認", 18, 0, ["問題の深刻度を評", "価、確認"]),
        # The full stop neither.
        ("デプロイを確認する。次へ", 16, 0, ["デプロイを確認す", "る。次へ"]),
        # The opening bracket does not end a line: it goes with what it opens
        # (here a word too wide for the line, cut with no small kana first).
        ("本番手順は「ロールバック」", 14, 0, ["本番手順は", "「ロールバッ", "ク」"]),
        # A closing bracket does not start one.
        ("切り戻し（ステージング）", 22, 0, ["切り戻し", "（ステージング）"]),
        # Latin words and versions stay whole, in Japanese text too.
        ("タグ v1.9.1 を確認する", 12, 2, ["タグ v1.9.1", "  を確認する"]),
        ("key_not_found を確認", 16, 0, ["key_not_found を", "確認"]),
        # Continuation lines are indented; English breaks at spaces.
        ("abc def", 5, 2, ["abc", "  def"]),
        ("deploy the hotfix now", 12, 4, ["deploy the", "    hotfix", "    now"]),
        # A word wider than the line is cut where it must be, ッ still not first.
        ("ロールバックロールバック", 8, 0, ["ロール", "バック", "ロール", "バック"]),
        ("x" * 12, 5, 0, ["xxxxx", "xxxxx", "xx"]),
        # Leading spaces (the pane's own indent) are no line of their own.
        (
            "      メモ: ロールバック済み",
            16,
            8,
            ["      メモ:", "        ロール", "        バック済", "        み"],
        ),
    ],
)
def test_wrapped_lines(text: str, width: int, indent: int, lines: list[str]) -> None:
    assert list(wrap_line(text, width, indent)) == lines


_JAPANESE = [
    "トリアージ",
    "ロールバック",
    "を確認する。",
    "、",
    "「本番」",
    "（ステージング）",
    "v1.2.4",
    "影響",
    "ッ",
    "ー",
    "deploy ",
    " ",
    "問題の深刻度",
]


@pytest.mark.parametrize("seed", range(40))
def test_no_line_starts_or_ends_wrongly_and_nothing_is_lost(seed: int) -> None:
    rng = random.Random(seed)
    # Joined by の, so that no two pieces make one katakana word wider than a line.
    text = "の".join(rng.choice(_JAPANESE) for _ in range(rng.randrange(1, 80)))
    width = rng.randrange(20, 60)
    lines = wrap_line(text, width, 4)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for first, second in itertools.pairwise(lines):
        head = second.lstrip(" ")
        # A word of 16 cells or less always fits a line of 20: no forced cut happens.
        assert head[:1] not in NO_LINE_START, (first, second)
        assert first.rstrip(" ")[-1:] not in NO_LINE_END, (first, second)
        assert not (first.endswith("トリア") or head.startswith("ージ"))


@pytest.mark.parametrize("seed", range(20))
def test_the_pieces_end_exactly_where_a_line_may_break(seed: int) -> None:
    # English takes a faster path than Japanese: both must follow the one rule.
    rng = random.Random(seed)
    alphabet = "ab1.,) ([" if seed % 2 else "ab1.,) ([トリーッ、。「」の影"
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
    ends = list(itertools.accumulate(len(piece) for piece, _ in pieces(text)))
    expected = [i for i in range(1, len(text)) if may_break_between(text[i - 1], text[i])]
    assert ends == [*expected, len(text)]


@pytest.mark.parametrize("width", range(1, 12))
def test_a_narrow_line_with_a_wide_indent_still_wraps(width: int) -> None:
    # A phase heading beside a long tail gets a few cells; the indent must not eat them.
    for text in (" ▸ 10. Production deployment strategy", " ▸ 10. 本番デプロイ戦略、「確認」"):
        lines = wrap_line(text, width, 5)
        assert all(cell_len(line) <= max(4, width) for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")

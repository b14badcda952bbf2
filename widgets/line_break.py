"""Where a line of runbook text may break, in English and in Japanese (禁則処理).

English breaks at spaces. Japanese has none: a line may break between any two
characters, except that a katakana loan word (トリアージ, ロールバック) and a Latin word
or version (v1.9.1, key_not_found) stay whole, a line never starts with closing
punctuation, a small kana or the long-vowel mark (、。」）ー ッ) and never ends with an
opening bracket (「（). When a line has no allowed break point at all (one word wider
than the pane), it is cut where it must be, still keeping those characters off the
wrong end when it can.

Pure and cached by the caller: the pane re-wraps only when its width or text changes.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from rich.cells import cell_len

NO_LINE_START = frozenset(
    "、。，．,.・：；:;？！?!‼⁇⁈⁉ー〜～゛゜ヽヾゝゞ々〻"
    "’”）〕］｝〉》」』】〙〗〟｠»)]}%％"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "…‥"
)
"""行頭禁則: characters a line must not start with."""

NO_LINE_END = frozenset("（〔［｛〈《「『【〘〖〝｟«‘“([{")
"""行末禁則: characters a line must not end with."""

_KATAKANA_DOT = "・"
"""The katakana middle dot separates words (ブルー・グリーン): a break may follow it."""


def is_katakana(char: str) -> bool:
    """Whether `char` belongs to a katakana word (with the long-vowel mark, half-width too)."""
    code = ord(char)
    return (0x30A1 <= code <= 0x30FF and char != _KATAKANA_DOT) or 0xFF66 <= code <= 0xFF9F


def is_latin(char: str) -> bool:
    """Whether `char` belongs to a Latin word: any visible ASCII, or a full-width letter
    or digit (Ａ, ３). A break never falls between two of them; English breaks at spaces."""
    if char.isascii():
        return char != " " and char.isprintable()
    code = ord(char)
    return 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A


_SPACE, _LATIN, _KATAKANA, _OTHER = range(4)

_ASCII_BREAK = re.compile(
    "(?<= )(?=[^ " + re.escape("".join(sorted(c for c in NO_LINE_START if c.isascii()))) + "])"
)
"""Where plain ASCII may break: after a space, before anything but ) , . and the like."""


@lru_cache(maxsize=16384)
def _class(char: str) -> tuple[int, int, bool, bool]:
    """(cells, kind, may not start a line, may not end one) of one character: asked
    once per character, since a note is wrapped anew at every width."""
    if char == " ":
        kind = _SPACE
    elif is_latin(char):
        kind = _LATIN
    elif is_katakana(char):
        kind = _KATAKANA
    else:
        kind = _OTHER
    cells = 1 if char.isascii() else cell_len(char)
    return cells, kind, char in NO_LINE_START, char in NO_LINE_END


def _breaks(before: tuple[int, int, bool, bool], after: tuple[int, int, bool, bool]) -> bool:
    kind = after[1]
    if kind == _SPACE or after[2] or before[3]:
        # The break comes after a run of spaces (it drops them), never before a
        # comma or a closing bracket, never after an opening one.
        return False
    # Japanese breaks between any two characters; a Latin or katakana word stays whole.
    return before[1] == _SPACE or before[1] != kind or kind == _OTHER


def may_break_between(before: str, after: str) -> bool:
    """Whether a line may end after `before` and the next start with `after`."""
    return _breaks(_class(before), _class(after))


def pieces(text: str) -> list[tuple[str, int]]:
    """`text` cut at every allowed break point: (piece, its cells without the spaces
    it ends with). A line holds whole pieces unless one is wider than the line."""
    if not text:
        return []
    if text.isascii() and text.isprintable():
        # English (the common case, and cheap): a break only after spaces.
        starts = [0, *(m.start() for m in _ASCII_BREAK.finditer(text)), len(text)]
        parts = (text[a:b] for a, b in itertools.pairwise(starts) if b > a)
        return [(part, len(part.rstrip(" "))) for part in parts]
    result: list[tuple[str, int]] = []
    begin = 0
    previous = _class(text[0])
    cells = previous[0]
    spaces = cells if previous[1] == _SPACE else 0
    for index in range(1, len(text)):
        current = _class(text[index])
        if _breaks(previous, current):
            result.append((text[begin:index], cells - spaces))
            begin, cells = index, 0
        cells += current[0]
        spaces = spaces + current[0] if current[1] == _SPACE else 0
        previous = current
    result.append((text[begin:], cells - spaces))
    return result


def _forced_cut(piece: str, room: int) -> int:
    """Where to cut a piece wider than a line so that its head fits `room` cells: one
    character earlier when that keeps a small kana or ー off the next line's start."""
    used = 0
    cut = 0
    for char in piece:
        width = _class(char)[0]
        if used + width > room and cut > 0:
            break
        used += width
        cut += 1
    while 1 < cut < len(piece) and (_class(piece[cut])[2] or _class(piece[cut - 1])[3]):
        cut -= 1
    return cut


def wrap_line(text: str, width: int, indent: int) -> tuple[str, ...]:
    """Split `text` into lines of at most `width` cells (at least 4), each after the
    first indented by `indent` spaces; only the spaces at a break are dropped."""
    limit = max(4, width)
    # An indent as wide as the line would leave no room: keep two cells for the text.
    prefix = " " * min(indent, limit - 2)
    lines: list[str] = []
    line = ""
    used = 0
    content = False  # a line of only leading spaces is no line to end
    for piece, cells in pieces(text):
        if used + cells > limit and content:
            lines.append(line.rstrip(" "))
            line, used, content = prefix, len(prefix), False
        while piece and used + cells > limit:
            # Wider than a whole line: cut it where it must be.
            cut = _forced_cut(piece, max(1, limit - used))
            lines.append((line + piece[:cut]).rstrip(" "))
            piece = piece[cut:]
            cells = cell_len(piece.rstrip(" "))
            line, used = prefix, len(prefix)
        line += piece
        used += cells + (len(piece) - len(piece.rstrip(" ")))
        content = content or bool(piece.strip(" "))
    lines.append(line)
    return tuple(lines)

"""Untrusted text made inert once, at ingestion.

Log lines, HTTP bodies, command output and git messages may carry escape sequences
that retitle the terminal, clear the screen or forge links, and bidi or zero-width
controls that make text lie about itself. Every such character becomes a visible
placeholder; nothing here is ever parsed as markup afterwards (widgets render the
result as plain text).
"""

from __future__ import annotations

import re

MAX_LINE = 16 * 1024
"""Longest line kept, in characters; longer lines are cut and marked."""

TRUNCATED_MARK = " …[line truncated]"

# C0 controls except tab, DEL, C1 controls (ESC is \x1b, in C0), bidi embedding,
# override and isolate controls, zero-width characters, and the BOM.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _placeholder(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        # U+2400.. "control pictures" show what the byte was: ␛ for ESC, ␀ for NUL.
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def first_unsafe(text: str, allow: str = "") -> str | None:
    """The first character `clean` would make visible (other than those in `allow`), if any.

    For strings where a control character can never be meant (names, URLs, paths):
    the caller rejects them instead of changing what they mean.
    """
    for match in _UNSAFE.finditer(text):
        if match.group() not in allow:
            return match.group()
    return None


def describe(char: str) -> str:
    """A control character as a person reads it in an error: "U+001B (ESC)"."""
    names = {"\x1b": "ESC", "\n": "newline", "\r": "carriage return", "\x00": "NUL"}
    name = names.get(char)
    return f"U+{ord(char):04X} ({name})" if name else f"U+{ord(char):04X}"


def clean(text: str, limit: int = MAX_LINE) -> str:
    """Return `text` with every unsafe character made visible and the length capped."""
    if len(text) > limit:
        text = text[:limit]
        return _UNSAFE.sub(_placeholder, text) + TRUNCATED_MARK
    return _UNSAFE.sub(_placeholder, text)


def clean_bytes(data: bytes, limit: int = MAX_LINE) -> str:
    """Decode untrusted bytes (invalid UTF-8 replaced) and clean the result."""
    if len(data) > limit * 4:
        data = data[: limit * 4]
    return clean(data.decode("utf-8", errors="replace"), limit)


def clean_block(text: str, limit: int = 64 * 1024) -> str:
    """Clean multi-line text (an HTTP body excerpt), keeping its newlines."""
    text = text[:limit]
    return "\n".join(clean(line, limit) for line in text.split("\n"))

"""The severity a log line announces, read from its text (`level=`, `ERROR`, `[warn]`).

Kept apart from the line model: it is a pure rule with a table test of its own, and it
runs for every line read, so its speed is measured on its own too.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["critical", "error", "warning", "info", "debug"]

_LEVEL_NAMES: dict[str, Level] = {
    "FATAL": "critical", "CRITICAL": "critical", "CRIT": "critical", "EMERG": "critical",
    "EMERGENCY": "critical", "ALERT": "critical", "PANIC": "critical", "ERROR": "error",
    "ERR": "error", "SEVERE": "error", "WARN": "warning", "WARNING": "warning",
    "INFO": "info", "NOTICE": "info", "INFORMATION": "info", "DEBUG": "debug",
    "TRACE": "debug", "FINE": "debug",
}  # fmt: skip
_FIELD_LEVEL = re.compile(
    r"""\b(?:level|severity|lvl|loglevel|levelname|log\.level)["']?\s*[:=]\s*["']?(\w+)""",
    re.IGNORECASE,
)
# Every field name above holds "lev", "lvl" or "sev" once case-folded: a line without
# any (most lines) skips the slow case-insensitive search. A quote before the name is
# not needed to find the value, so the pattern does not try one at every position.
_TOKEN_LEVELS: dict[str, Level] = {
    name: _LEVEL_NAMES[name]
    for name in (
        "FATAL", "CRITICAL", "CRIT", "EMERG", "ALERT", "PANIC", "ERROR", "ERR", "SEVERE", "WARN",
        "WARNING", "INFO", "NOTICE", "DEBUG", "TRACE",
    )
}  # fmt: skip
_LEVEL_WORD = re.compile("|".join(sorted(_TOKEN_LEVELS, key=len, reverse=True)))
"""The level names in upper case, longest first; the first one that is a whole word wins.

No `\b` around them: without it the regex engine skips ahead to the letters a name can
start with (three times faster than `\b[A-Z]{3,8}\b`, measured on the benchmark's
lines); `_whole_word` checks the boundaries as `\b` would. A longer name is tried
first, and a shorter one at the same place is followed by a letter, so never whole."""
_BRACKET_LEVEL = re.compile(
    r"\[(fatal|critical|crit|emerg|alert|error|err|warn|warning|info|notice|debug|trace)\]",
    re.IGNORECASE,
)


def _numeric_level(value: int) -> Level | None:
    # pino / bunyan numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    if value >= 60:
        return "critical"
    if value >= 50:
        return "error"
    if value >= 40:
        return "warning"
    if value >= 30:
        return "info"
    if value >= 10:
        return "debug"
    return None


def _whole_word(text: str, start: int, end: int) -> bool:
    r"""Whether `text[start:end]` has no word character (`\w`) on either side."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum() or before == "_":
            return False
    if end < len(text):
        after = text[end]
        if after.isalnum() or after == "_":
            return False
    return True


def detect_level(text: str) -> Level | None:
    """The severity a line announces: a `level`/`severity` field, `ERROR` token or `[warn]`.

    Runs for every line read (100,000 a second under load), so the common cases are
    decided with substring tests and one small expression before any slow search.
    """
    head = text[:256]
    folded = head.casefold()
    if "lev" in folded or "lvl" in folded or "sev" in folded:
        match = _FIELD_LEVEL.search(head)
        if match:
            value = match.group(1)
            # isdecimal, not isdigit: "²" is a digit that int() refuses.
            if value.isdecimal():
                return _numeric_level(int(value))
            found = _LEVEL_NAMES.get(value.upper())
            if found is not None:
                return found
    match = _LEVEL_WORD.search(head)
    while match is not None:
        start, end = match.span()
        if _whole_word(head, start, end):
            return _TOKEN_LEVELS[match.group()]
        match = _LEVEL_WORD.search(head, start + 1)
    if "[" in head:
        match = _BRACKET_LEVEL.search(head)
        if match:
            return _LEVEL_NAMES[match.group(1).upper()]
    return None

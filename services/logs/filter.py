"""The log filter typed after `/`: words, `/regex/` and `-word` excludes.

`auth error` keeps lines holding both words (case-insensitive), `/5\\d\\d/` keeps lines a
regular expression matches, `-healthz` drops lines holding a word. A mistake such as an
unbalanced bracket is a value (`LogFilter.error`, one line), never an exception: the
filter is re-parsed on every keystroke and the half-typed term is simply ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LogFilter:
    """A parsed filter expression; `matches` decides, `spans` highlights."""

    expr: str = ""
    words: tuple[str, ...] = ()
    """Required words, lower-cased."""
    excludes: tuple[str, ...] = ()
    """Excluded words, lower-cased."""
    patterns: tuple[re.Pattern[str], ...] = ()
    """Required regular expressions (case-sensitive as written; use `(?i)` to ignore case)."""
    exclude_patterns: tuple[re.Pattern[str], ...] = ()
    error: str | None = None
    """One line describing an invalid term, which is ignored; None when all is well."""
    _highlight: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, expr: str) -> LogFilter:
        """Parse `expr`; never raises for anything a user can type."""
        words: list[str] = []
        excludes: list[str] = []
        patterns: list[re.Pattern[str]] = []
        exclude_patterns: list[re.Pattern[str]] = []
        error: str | None = None
        for negate, is_regex, term in _tokens(expr):
            if not term:
                continue
            if is_regex:
                try:
                    pattern = re.compile(term)
                except re.error as exc:
                    if error is None:
                        error = f"invalid regex /{term}/: {exc}"
                    continue
                (exclude_patterns if negate else patterns).append(pattern)
            else:
                (excludes if negate else words).append(term.lower())
        highlight_parts = [re.escape(w) for w in words]
        highlight_parts += [f"(?:{p.pattern})" for p in patterns if p.pattern]
        highlight: re.Pattern[str] | None = None
        if highlight_parts:
            try:
                highlight = re.compile("|".join(highlight_parts), re.IGNORECASE)
            except re.error:  # pragma: no cover - each part compiled above
                highlight = None
        return cls(
            expr=expr,
            words=tuple(words),
            excludes=tuple(excludes),
            patterns=tuple(patterns),
            exclude_patterns=tuple(exclude_patterns),
            error=error,
            _highlight=highlight,
        )

    @property
    def is_empty(self) -> bool:
        """True when every line matches (nothing to filter on)."""
        return not (self.words or self.excludes or self.patterns or self.exclude_patterns)

    def matches(self, text: str) -> bool:
        """Whether `text` passes: every word and pattern present, no excluded one.

        Called for every line followed (100,000 a second under load): plain loops, no
        generator, and one lower-casing per line.
        """
        if self.words or self.excludes:
            lower = text.lower()
            for word in self.words:
                if word not in lower:
                    return False
            for word in self.excludes:
                if word in lower:
                    return False
        for pattern in self.patterns:
            if pattern.search(text) is None:
                return False
        for pattern in self.exclude_patterns:  # noqa: SIM110 - no generator per line
            if pattern.search(text) is not None:
                return False
        return True

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sorted, non-overlapping (start, end) ranges of `text` to highlight."""
        if self._highlight is None:
            return []
        found: list[tuple[int, int]] = []
        if self.words:
            found += _word_spans(text, self.words)
        for pattern in self.patterns:
            found += [(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
        return _merge(found)


def _word_spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    lower = text.lower()
    origin: list[int] | None = None
    if len(lower) != len(text):
        # Some characters change length when lower-cased (İ): map offsets back.
        origin = [i for i, char in enumerate(text) for _ in char.lower()]
        origin.append(len(text))
    spans: list[tuple[int, int]] = []
    for word in words:
        if not word:
            continue
        start = lower.find(word)
        while start >= 0:
            end = start + len(word)
            if origin is None:
                spans.append((start, end))
            else:
                spans.append((origin[start], origin[end - 1] + 1))
            start = lower.find(word, end)
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _tokens(expr: str) -> list[tuple[bool, bool, str]]:
    """Split `expr` into (negated, is_regex, term); a regex runs to its closing slash.

    An unterminated `/abc` (still being typed) is a regex of the rest of the text.
    """
    tokens: list[tuple[bool, bool, str]] = []
    i = 0
    n = len(expr)
    while i < n:
        if expr[i].isspace():
            i += 1
            continue
        negate = False
        if expr[i] == "-" and i + 1 < n and not expr[i + 1].isspace():
            negate = True
            i += 1
        if expr[i] == "/" and i + 1 < n:
            j = i + 1
            chars: list[str] = []
            while j < n and expr[j] != "/":
                if expr[j] == "\\" and j + 1 < n and expr[j + 1] == "/":
                    chars.append("/")
                    j += 2
                    continue
                chars.append(expr[j])
                j += 1
            tokens.append((negate, True, "".join(chars)))
            i = j + 1
            continue
        j = i
        while j < n and not expr[j].isspace():
            j += 1
        tokens.append((negate, False, expr[i:j]))
        i = j
    return tokens

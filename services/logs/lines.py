"""What a followed log is made of: sanitized lines and status events, in batches.

Every source (a file, a glob's files, a command) turns bytes into these values the same
way: `LineAssembler` cuts a byte stream into lines (holding a partial last one until its
newline), `decode_line(s)` decodes and sanitizes them at ingestion, and an `ItemMaker`
numbers them in arrival order across every source of one follower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warroom.services.logs.levels import detect_level
from warroom.services.sanitize import MAX_LINE, TRUNCATED_MARK, clean, clean_bytes

MAX_LINE_BYTES = MAX_LINE * 4
"""Bytes kept of one line (a UTF-8 character is at most 4 bytes); the rest is dropped."""
READ_CHUNK = 1 << 20
"""Bytes asked for in one read of a file or a command's pipe."""

EventKind = Literal[
    "waiting", "following", "truncated", "rotated", "deleted", "inaccessible", "started",
    "exited", "stderr", "error",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class LogLine:
    """One sanitized line of a log, tagged with where it came from."""

    source: str
    """The `[[log]]` name; `name:file` for a file of a glob."""
    text: str
    """Sanitized text: safe to print to a terminal, never to be parsed as markup."""
    level: str | None
    """"critical", "error", "warning", "info", "debug", or None when not recognised."""
    seq: int
    """Arrival order across every source of one follower."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A status line about a source (waiting, truncated, rotated, exited, ...)."""

    source: str
    kind: EventKind
    text: str
    """One sanitized line for people: "waiting for /var/log/app/error.log"."""
    seq: int


LogItem = LogLine | LogEvent


@dataclass(frozen=True)
class LogBatch:
    """The lines and events that arrived within one batching window."""

    items: tuple[LogItem, ...]
    at: datetime
    """Wall time the batch was delivered (from the injected clock)."""
    backlog: bool = False
    """True for the lines read from a file's end when it was opened (`backlog_lines`
    and as many matching ones), always delivered as a batch of their own: a consumer
    showing only the last N of them never trims lines that were followed."""

    @property
    def lines(self) -> tuple[LogLine, ...]:
        """Only the log lines, without the status events."""
        return tuple(item for item in self.items if isinstance(item, LogLine))


# --- lines from bytes ---------------------------------------------------------------


def decode_line(raw: bytes, truncated: bool = False) -> str:
    """Sanitized text of one raw line (without its newline); a trailing CR is dropped."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    text = clean_bytes(raw)
    if truncated and not text.endswith(TRUNCATED_MARK):
        text += TRUNCATED_MARK
    return text


def decode_lines(raws: Sequence[bytes]) -> list[str]:
    """`[decode_line(raw) for raw in raws]`, decoded and checked in one pass when it can.

    Followed logs arrive at up to 100,000 lines a second: the lines of a read are joined,
    decoded and checked for unsafe characters at once, and only when one is found is each
    line cleaned on its own. (A newline is ASCII, so invalid UTF-8 never spans two lines
    and decoding the joined bytes gives each line's own decoding.)
    """
    if len(raws) < 2 or max(map(len, raws)) > MAX_LINE:
        return [decode_line(raw) for raw in raws]
    joined = b"\n".join(raws)
    if b"\r" in joined:
        raws = [raw[:-1] if raw.endswith(b"\r") else raw for raw in raws]
        joined = b"\n".join(raws)
    text = joined.decode("utf-8", errors="replace")
    flat = text.replace("\n", "")
    if clean(flat, len(flat)) != flat:
        return [clean(line) for line in text.split("\n")]
    return text.split("\n")


class LineAssembler:
    """Cuts a byte stream into lines, holding a partial last line until its newline.

    Memory is bounded: a line longer than `cap` bytes is delivered at once, cut and
    marked, and the rest of it is skipped up to its newline.
    """

    def __init__(self, cap: int = MAX_LINE_BYTES) -> None:
        self.cap = cap
        self._partial = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[tuple[bytes, bool]]:
        """Complete lines in `data` as (raw bytes, was truncated)."""
        lines, truncated = self.split(data)
        return [(raw, index in truncated) for index, raw in enumerate(lines)]

    def split(self, data: bytes) -> tuple[list[bytes], set[int]]:
        """Complete lines in `data`, and the indexes of those that were cut to `cap`.

        The same as `feed`, without a tuple per line: the follower's fast path.
        """
        out: list[bytes] = []
        truncated: set[int] = set()
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return out, truncated
            self._skipping = False
            data = data[newline + 1 :]
        parts = data.split(b"\n")
        last = parts.pop()
        if parts:
            if self._partial:
                parts[0] = bytes(self._partial) + parts[0]
                self._partial.clear()
            if max(map(len, parts)) > self.cap:
                for index, raw in enumerate(parts):
                    if len(raw) > self.cap:
                        parts[index] = raw[: self.cap]
                        truncated.add(index)
            out = parts
        held: list[tuple[bytes, bool]] = []
        self._hold(last, held)
        for raw, cut in held:
            if cut:
                truncated.add(len(out))
            out.append(raw)
        return out, truncated

    def flush(self) -> tuple[bytes, bool] | None:
        """The held partial line, if any (the source ended without a final newline)."""
        if self._skipping:
            self._skipping = False
            return None
        if not self._partial:
            return None
        raw = bytes(self._partial)
        self._partial.clear()
        return raw, False

    def reset(self) -> None:
        """Forget the partial line (the file was truncated under it)."""
        self._partial.clear()
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes held of an unfinished line."""
        return len(self._partial)

    def _hold(self, piece: bytes, out: list[tuple[bytes, bool]]) -> None:
        if not piece:
            return
        room = self.cap - len(self._partial)
        if len(piece) <= room:
            self._partial += piece
            return
        self._partial += piece[:room]
        out.append((bytes(self._partial), True))
        self._partial.clear()
        self._skipping = True


class ItemMaker:
    """Builds items for one source, numbering them from a counter shared by all sources.

    The one place a line gets its level and its place in the merged arrival order.
    With `keep`, lines read in bulk (`raws`) whose sanitized text it refuses are dropped
    before their level is read or an item made: a consumer that prints only matching
    lines (`warroom tail`) does not pay for the four in five it would throw away.
    """

    def __init__(
        self, source: str, counter: Iterator[int], keep: Callable[[str], bool] | None = None
    ) -> None:
        self.source = source
        self._counter = counter
        self.keep = keep

    def line(self, text: str) -> LogLine:
        """A line of already sanitized text."""
        return LogLine(self.source, text, detect_level(text), next(self._counter))

    def raw(self, raw: bytes, truncated: bool) -> LogLine:
        """A line of raw bytes, decoded and sanitized."""
        return self.line(decode_line(raw, truncated))

    def raws(self, raws: Sequence[bytes], truncated: set[int]) -> list[LogLine]:
        """Lines for many raw lines at once (`truncated`: indexes of lines cut short)."""
        if truncated:
            texts = [decode_line(raw, index in truncated) for index, raw in enumerate(raws)]
        else:
            texts = decode_lines(raws)
        keep = self.keep
        if keep is not None:
            texts = [text for text in texts if keep(text)]
        source = self.source
        counter = self._counter
        return [LogLine(source, text, detect_level(text), next(counter)) for text in texts]

    def event(self, kind: EventKind, text: str) -> LogEvent:
        """A status event; its text is sanitized here, whatever it holds."""
        return LogEvent(self.source, kind, clean(text), next(self._counter))


class Backlog(list[LogItem]):
    """What the first poll of a path read (the end of files open at start).

    A type of its own so the follower can keep it in a batch of its own.
    """

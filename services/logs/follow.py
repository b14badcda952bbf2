"""Logs followed like GNU `tail -F`: files (or globs) and commands, as sanitized lines.

This is what `tail -F file | grep` gets wrong, done right: a rotated file is read to its
end before the new one is followed (nothing lost, nothing twice); a truncated file is
noticed and read again from the start; a missing or unreadable file is waited for; a
partial last line is held until its newline; every byte is decoded with replacement and
sanitized at ingestion. Opening a file reads it from its end, scanning backwards in
blocks, so a gigabyte log opens as fast as a small one.

An idle file is polled with `stat` every `poll_interval` (250 ms by default), a growing
one again after each batch window; each path is polled and read in a thread of its own,
which wakes the event loop only to hand over lines. Lines from every source are
merged in arrival order and delivered in batches of about 50 ms (at most `max_batch`
items), so a user interface receives one update per frame.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import glob as globbing
import gzip
import io
import itertools
import math
import os
import re
import shlex
import stat
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from warroom.services.clock import Clock
from warroom.services.config import LogConfig
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.watch import FileWatch
from warroom.services.process import start as start_process
from warroom.services.redact import mask
from warroom.services.sanitize import MAX_LINE, TRUNCATED_MARK, clean, clean_bytes

MAX_LINE_BYTES = MAX_LINE * 4
"""Bytes kept of one line (a UTF-8 character is at most 4 bytes); the rest is dropped."""
READ_CHUNK = 1 << 20
MAX_READ_PER_POLL = 8 << 20
"""Bytes read from one file per poll; more is read on the next poll, without sleeping."""
SCAN_BLOCK = 64 * 1024
DEFAULT_MAX_SCAN = 64 << 20
"""How far back from the end an opening scan for matching lines looks, at most."""

Level = Literal["critical", "error", "warning", "info", "debug"]
EventKind = Literal[
    "waiting", "following", "truncated", "rotated", "deleted", "inaccessible", "started",
    "exited", "error",
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


# --- levels -----------------------------------------------------------------------

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
_WORD_TOKEN = re.compile(r"\b[A-Z]{3,8}\b")
"""Upper-case words as long as a level name; the first that is a level name wins."""
_TOKEN_LEVELS: dict[str, Level] = {
    name: _LEVEL_NAMES[name]
    for name in (
        "FATAL", "CRITICAL", "CRIT", "EMERG", "ALERT", "PANIC", "ERROR", "ERR", "SEVERE", "WARN",
        "WARNING", "INFO", "NOTICE", "DEBUG", "TRACE",
    )
}  # fmt: skip
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
            if value.isdigit():
                return _numeric_level(int(value))
            found = _LEVEL_NAMES.get(value.upper())
            if found is not None:
                return found
    match = _WORD_TOKEN.search(head)
    while match is not None:
        level = _TOKEN_LEVELS.get(match.group())
        if level is not None:
            return level
        match = _WORD_TOKEN.search(head, match.end())
    if "[" in head:
        match = _BRACKET_LEVEL.search(head)
        if match:
            return _LEVEL_NAMES[match.group(1).upper()]
    return None


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


class _Maker:
    """Builds items for one source, numbering them from a counter shared by all sources."""

    def __init__(self, source: str, counter: Iterator[int]) -> None:
        self.source = source
        self._counter = counter

    def line(self, text: str) -> LogLine:
        return LogLine(self.source, text, detect_level(text), next(self._counter))

    def raw(self, raw: bytes, truncated: bool) -> LogLine:
        return self.line(decode_line(raw, truncated))

    def raws(self, raws: Sequence[bytes], truncated: set[int]) -> list[LogLine]:
        """Lines for many raw lines at once (`truncated`: indexes of lines cut short)."""
        if truncated:
            texts = [decode_line(raw, index in truncated) for index, raw in enumerate(raws)]
        else:
            texts = decode_lines(raws)
        source = self.source
        counter = self._counter
        return [LogLine(source, text, detect_level(text), next(counter)) for text in texts]

    def event(self, kind: EventKind, text: str) -> LogEvent:
        return LogEvent(self.source, kind, clean(text), next(self._counter))


# --- reading a file backwards ---------------------------------------------------------


def _scan_backwards(
    fd: int,
    size: int,
    want_total: int,
    want_matches: int,
    log_filter: LogFilter,
    max_bytes: int = DEFAULT_MAX_SCAN,
) -> tuple[list[str], int]:
    """The last lines of an open file, read from its end in blocks.

    Keeps the last `want_total` lines plus the last `want_matches` lines `log_filter`
    matches, in file order, and returns them with the offset following should start at
    (just after the last newline: a partial last line is left to the follower). Reads at
    most `max_bytes` from the end; memory holds one block and the lines kept.
    """
    kept: list[str] = []
    total = 0
    matched = 0
    follow_offset = 0
    line_end: int | None = None
    floor = max(0, size - max_bytes)
    pos = size
    done = want_total <= 0 and want_matches <= 0

    def take(start: int, end: int, block: bytes, block_start: int) -> bool:
        nonlocal total, matched
        length = end - start
        if start >= block_start and end <= block_start + len(block):
            raw = block[start - block_start : end - block_start]
        else:
            raw = os.pread(fd, min(length, MAX_LINE_BYTES), start)
        truncated = length > MAX_LINE_BYTES
        if truncated:
            raw = raw[:MAX_LINE_BYTES]
        text = decode_line(raw, truncated)
        total += 1
        is_match = matched < want_matches and log_filter.matches(text)
        if total <= want_total or is_match:
            kept.append(text)
        if is_match:
            matched += 1
        return total >= want_total and matched >= want_matches

    block = b""
    while pos > floor and not done:
        start = max(floor, pos - SCAN_BLOCK)
        block = os.pread(fd, pos - start, start)
        if not block:
            break
        index = len(block)
        while not done:
            newline = block.rfind(b"\n", 0, index)
            if newline < 0:
                break
            absolute = start + newline
            if line_end is None:
                follow_offset = absolute + 1
            else:
                done = take(absolute + 1, line_end, block, start)
            line_end = absolute
            index = newline
        pos = start
    if not done and pos == 0 and line_end is not None:
        take(0, line_end, block, 0)
    kept.reverse()
    return kept, follow_offset


def tail_lines(path: Path | str, n: int, log_filter: LogFilter | None = None) -> list[LogLine]:
    """The last `n` lines of a file matching `log_filter` (all lines if None or empty).

    Reads backwards from the end without reading the whole file; raises OSError when
    the file cannot be opened.
    """
    chosen = log_filter if log_filter is not None else LogFilter()
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if chosen.is_empty:
            texts, _ = _scan_backwards(fd, size, n, 0, chosen)
        else:
            texts, _ = _scan_backwards(fd, size, 0, n, chosen)
    finally:
        os.close(fd)
    maker = _Maker(str(path), itertools.count(1))
    return [maker.line(text) for text in texts]


# --- following one file ----------------------------------------------------------------

FINGERPRINT_BYTES = 64
"""Bytes remembered at the start of a file and just before the read offset."""
COPY_SUFFIX = re.compile(r"[.\-_]")
"""What follows a log's name in the name of its rotated copy: `.1`, `-20260101`, `.1.gz`."""
MAX_COPIES_LOOKED_AT = 8
MAX_COPY_READ = 64 << 20
"""Bytes taken from a rotated copy at most (what was written since the last poll)."""


class _Fingerprint:
    """The first bytes of a file and the bytes just before the read offset.

    A file truncated and written again between two polls can be as large as before; if
    these bytes changed, it is not the content that was read, and is read again from 0.
    (A refill that repeats the very same bytes at both places cannot be told apart; logs
    carry timestamps, so it does not happen in practice.) Mutable: one per followed file,
    advanced by every read.
    """

    __slots__ = ("head", "tail")

    def __init__(self, head: bytes = b"", tail: bytes = b"") -> None:
        self.head = head
        self.tail = tail

    @classmethod
    def of(cls, fd: int, offset: int) -> _Fingerprint:
        """The fingerprint of an open file read up to `offset`."""
        if offset <= 0:
            return cls()
        head = os.pread(fd, min(FINGERPRINT_BYTES, offset), 0)
        start = max(0, offset - FINGERPRINT_BYTES)
        return cls(head, os.pread(fd, offset - start, start))

    def advance(self, fd: int, offset: int, data: bytes) -> None:
        """Take in `data`, just read from `fd` at `offset`."""
        if len(self.head) < FINGERPRINT_BYTES:
            if offset == len(self.head):
                self.head += data[: FINGERPRINT_BYTES - offset]
            else:
                self.head = os.pread(fd, FINGERPRINT_BYTES, 0)
        if len(data) >= FINGERPRINT_BYTES:
            self.tail = data[-FINGERPRINT_BYTES:]
        else:
            self.tail = (self.tail + data)[-FINGERPRINT_BYTES:]

    def differs(self, fd: int, offset: int) -> bool:
        """Whether the open file no longer holds these bytes where they were read."""
        if offset <= 0:
            return False
        if self.tail and os.pread(fd, len(self.tail), offset - len(self.tail)) != self.tail:
            return True
        return bool(self.head) and os.pread(fd, len(self.head), 0) != self.head

    def matches(self, stream: io.BufferedIOBase, offset: int) -> bool:
        """Whether a seekable copy holds these bytes where they were read up to `offset`."""
        stream.seek(0)
        if stream.read(len(self.head)) != self.head:
            return False
        stream.seek(offset - len(self.tail))
        return stream.read(len(self.tail)) == self.tail


def _open_copy(path: str) -> io.BufferedIOBase:
    """A rotated copy, decompressed as it is read when logrotate compressed it."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _find_copy(path: Path, offset: int, seen: _Fingerprint) -> tuple[str, bytes] | None:
    """A rotated copy of `path` that holds what was read up to `offset`, and its rest.

    Looks at the newest few files beside `path` named like its rotations (`app.log.1`,
    `app.log-20260101`, `app.log.1.gz`); a copy is the one whose first bytes and bytes
    before `offset` are those read from `path`.
    """
    if offset <= 0 or not (seen.head or seen.tail):
        return None
    try:
        entries = [
            entry
            for entry in os.scandir(path.parent)
            if entry.name.startswith(path.name)
            and COPY_SUFFIX.match(entry.name, len(path.name))
            and entry.is_file()
        ]
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
    except OSError:
        return None
    for entry in entries[:MAX_COPIES_LOOKED_AT]:
        try:
            with _open_copy(entry.path) as stream:
                if seen.matches(stream, offset):
                    stream.seek(offset)
                    return entry.name, stream.read(MAX_COPY_READ)
        except (OSError, EOFError, ValueError):
            continue  # unreadable, still being written, or not gzip after all
    return None


_FileState = Literal["new", "waiting", "inaccessible", "open", "error"]

DRAIN_SECONDS = 2.0
"""How long a file a followed name left is still read after it last grew."""


def _deadline() -> float:
    # Real time: how long a writer takes to reopen its log is a matter of I/O, not of the
    # incident's clock.
    return time.monotonic() + DRAIN_SECONDS


@dataclass(slots=True)
class _Draining:
    """A file the followed name left (rotated, removed), still read while it grows."""

    fd: int
    ident: tuple[int, int]
    offset: int
    assembler: LineAssembler
    until: float


class _FileTail:
    """One path followed by name, as `tail -F` does; `poll` runs in a worker thread."""

    def __init__(
        self,
        path: Path,
        maker: _Maker,
        *,
        from_end: bool,
        backlog: int,
        log_filter: LogFilter,
        max_scan: int,
        known: dict[tuple[int, int], int],
    ) -> None:
        self.path = path
        self.name = str(path)
        self.maker = maker
        self.from_end = from_end
        self.backlog = backlog
        self.log_filter = log_filter
        self.max_scan = max_scan
        self.known = known
        self.fd: int | None = None
        self.ident: tuple[int, int] | None = None
        self.offset = 0
        self.state: _FileState = "new"
        self.assembler = LineAssembler()
        self.fingerprint = _Fingerprint()
        self.mtime_ns = 0
        self.draining: list[_Draining] = []

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        for old in self.draining:
            with contextlib.suppress(OSError):
                os.close(old.fd)
        self.draining.clear()

    def poll(self) -> tuple[list[LogItem], bool]:
        """New items since the last poll, and whether more is waiting to be read."""
        out: list[LogItem] = []
        shown = self.name
        if self.draining and self._drain(out):
            return out, True
        try:
            st = os.stat(shown)
        except (FileNotFoundError, NotADirectoryError):
            if self.fd is not None:
                if self._read(out):
                    return out, True
                try:
                    renamed = os.fstat(self.fd).st_nlink > 0
                except OSError:
                    renamed = False
                self._end_of_old_file(out)
                if renamed:
                    # Rotation seen between the rename and the new file's creation.
                    text = f"{shown} was renamed; waiting for the new file"
                    out.append(self.maker.event("rotated", text))
                else:
                    out.append(self.maker.event("deleted", f"{shown} was removed; waiting for it"))
                self.state = "waiting"
            elif self.state != "waiting":
                out.append(self.maker.event("waiting", f"waiting for {shown}"))
                self.state = "waiting"
            self.from_end = False
            return out, False
        except PermissionError:
            return self._inaccessible(out), False
        except OSError as exc:
            return self._error(out, f"{shown}: {exc.strerror or exc}"), False
        ident = (st.st_dev, st.st_ino)
        if (
            self.fd is not None
            and ident == self.ident
            and st.st_size == self.offset
            and st.st_mtime_ns == self.mtime_ns
        ):
            return out, False  # the same file, read to its end: a quiet log costs one stat
        if self.fd is not None and ident != self.ident:
            if self._read(out):
                return out, True
            self._end_of_old_file(out)
            why = "now points to a new file" if self.path.is_symlink() else "was replaced"
            out.append(self.maker.event("rotated", f"{shown} {why}; following the new file"))
            self.from_end = False
        if self.fd is None and not self._open(out, st, ident):
            return out, False
        assert self.fd is not None
        self.mtime_ns = st.st_mtime_ns
        size = os.fstat(self.fd).st_size
        # Smaller than what was read: truncated. As large or larger, but the bytes read
        # last (or the first ones) are no longer there: truncated and written again
        # past the old size between two polls, which a size check alone cannot see.
        if size < self.offset or self.fingerprint.differs(self.fd, self.offset):
            self._truncated(out)
        return out, self._read(out)

    def _truncated(self, out: list[LogItem]) -> None:
        """Start again from 0, first taking what was not yet read from a rotated copy.

        `logrotate copytruncate` copies the file and then truncates it: the lines written
        since the last poll are only in the copy (`app.log.1`), found by the fingerprint
        of what was read, and read from the offset reached.
        """
        copy = _find_copy(self.path, self.offset, self.fingerprint)
        recovered = ""
        if copy is not None:
            name, rest = copy
            raws, truncated = self.assembler.split(rest)
            out.extend(self.maker.raws(raws, truncated))
            recovered = f" ({len(raws)} unread lines taken from {name})" if raws else ""
        flushed = self.assembler.flush()
        if flushed is not None:
            out.append(self.maker.raw(*flushed))
        out.append(
            self.maker.event(
                "truncated", f"{self.name} was truncated; reading from the start{recovered}"
            )
        )
        self.offset = 0
        self.fingerprint = _Fingerprint()

    def _open(self, out: list[LogItem], st: os.stat_result, ident: tuple[int, int]) -> bool:
        shown = str(self.path)
        if stat.S_ISDIR(st.st_mode):
            self._error(out, f"{shown} is a directory")
            return False
        if ident in self.known and self.known[ident] < 0:
            return False  # still being read under another name (a glob saw it rotate)
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except PermissionError:
            self._inaccessible(out)
            return False
        except FileNotFoundError:
            return False
        except OSError as exc:
            self._error(out, f"{shown}: {exc.strerror or exc}")
            return False
        opened = os.fstat(fd)
        self.fd = fd
        self.ident = (opened.st_dev, opened.st_ino)
        self.assembler = LineAssembler()
        if self.from_end:
            want_matches = 0 if self.log_filter.is_empty else self.backlog
            texts, self.offset = _scan_backwards(
                fd, opened.st_size, self.backlog, want_matches, self.log_filter, self.max_scan
            )
            out.extend(self.maker.line(text) for text in texts)
            self.from_end = False
        else:
            self.offset = max(self.known.get(self.ident, 0), 0)
        self.fingerprint = _Fingerprint.of(fd, self.offset)
        self.mtime_ns = opened.st_mtime_ns
        if self.state in ("waiting", "inaccessible", "error"):
            out.append(self.maker.event("following", f"following {shown}"))
        self.state = "open"
        self.known[self.ident] = -1
        return True

    def _read(self, out: list[LogItem]) -> bool:
        """Read what is new, up to a per-poll limit; True when more is waiting."""
        assert self.fd is not None
        budget = MAX_READ_PER_POLL
        while budget > 0:
            try:
                data = os.pread(self.fd, min(READ_CHUNK, budget), self.offset)
            except OSError as exc:
                self._error(out, f"{self.path}: {exc.strerror or exc}")
                return False
            if not data:
                return False
            self.fingerprint.advance(self.fd, self.offset, data)
            self.offset += len(data)
            budget -= len(data)
            out.extend(self.maker.raws(*self.assembler.split(data)))
        return True

    def _end_of_old_file(self, out: list[LogItem]) -> None:
        """The followed name left this file (rotated or removed): keep reading it a while.

        A writer keeps writing to the old file until it reopens its log (logrotate's
        `postrotate` HUP); those lines are read for `DRAIN_SECONDS` after it last grew.
        """
        if self.fd is None or self.ident is None:
            return
        self.draining.append(
            _Draining(self.fd, self.ident, self.offset, self.assembler, _deadline())
        )
        self.fd = None
        self.assembler = LineAssembler()

    def _drain(self, out: list[LogItem]) -> bool:
        """Read what was added to files the name left; True when more is waiting."""
        for old in list(self.draining):
            budget = MAX_READ_PER_POLL
            while budget > 0:
                try:
                    data = os.pread(old.fd, min(READ_CHUNK, budget), old.offset)
                except OSError:
                    data = b""
                if not data:
                    break
                old.offset += len(data)
                old.until = _deadline()
                budget -= len(data)
                out.extend(self.maker.raws(*old.assembler.split(data)))
            if budget <= 0:
                return True
            if time.monotonic() >= old.until:
                self._finish(old, out)
        return False

    def _finish(self, old: _Draining, out: list[LogItem]) -> None:
        """Stop reading a file the name left: its partial last line is a line after all."""
        self.draining.remove(old)
        flushed = old.assembler.flush()
        if flushed is not None:
            out.append(self.maker.raw(*flushed))
        try:
            gone = os.fstat(old.fd).st_nlink == 0
        except OSError:
            gone = True
        if gone:
            # Deleted: its inode number may be reused by a new file, forget it.
            self.known.pop(old.ident, None)
        else:
            self.known[old.ident] = old.offset
        with contextlib.suppress(OSError):
            os.close(old.fd)

    def _inaccessible(self, out: list[LogItem]) -> list[LogItem]:
        if self.state != "inaccessible":
            out.append(
                self.maker.event(
                    "inaccessible", f"{self.path}: permission denied; resumes when readable"
                )
            )
            self.state = "inaccessible"
        return out

    def _error(self, out: list[LogItem], message: str) -> list[LogItem]:
        if self.state != "error":
            out.append(self.maker.event("error", message))
            self.state = "error"
        return out


class _PathSource:
    """A `[[log]]` path: one file, or every file a glob matches (new ones read from 0)."""

    def __init__(
        self,
        config: LogConfig,
        pattern: Path,
        counter: Iterator[int],
        backlog: int,
        log_filter: LogFilter,
        max_scan: int,
    ) -> None:
        self.config = config
        self.pattern = pattern
        self.counter = counter
        self.backlog = backlog
        self.log_filter = log_filter
        self.max_scan = max_scan
        self.is_glob = globbing.has_magic(str(pattern))
        self.known: dict[tuple[int, int], int] = {}
        self.tails: dict[str, _FileTail] = {}
        self.first = True
        self.maker = _Maker(config.name, counter)
        self.waiting_shown = False
        if not self.is_glob:
            self._add(str(pattern), config.name, from_end=True)

    def _add(self, path: str, source: str, from_end: bool) -> None:
        self.tails[path] = _FileTail(
            Path(path),
            _Maker(source, self.counter),
            from_end=from_end,
            backlog=self.backlog,
            log_filter=self.log_filter,
            max_scan=self.max_scan,
            known=self.known,
        )

    def poll(self) -> tuple[list[LogItem], bool]:
        out: list[LogItem] = []
        if self.is_glob:
            found = sorted(p for p in globbing.glob(str(self.pattern)) if os.path.isfile(p))
            for path in found:
                if path not in self.tails:
                    self._add(path, f"{self.config.name}:{Path(path).name}", from_end=self.first)
            if not found and not self.tails and not self.waiting_shown:
                out.append(self.maker.event("waiting", f"waiting for {self.pattern}"))
                self.waiting_shown = True
            for path in [p for p, t in self.tails.items() if t.fd is None and p not in found]:
                self.tails.pop(path).close()
        self.first = False
        more = False
        for tail in list(self.tails.values()):
            items, pending = tail.poll()
            out.extend(items)
            more = more or pending
        return out, more

    def close(self) -> None:
        for tail in self.tails.values():
            tail.close()


# --- the follower ---------------------------------------------------------------------


class _Backlog(list[LogItem]):
    """What the first poll of a path read (the end of files open at start)."""


class LogFollower:
    """Follows one or several `[[log]]` sources and yields merged batches of lines.

    `base_dir` resolves relative paths (the config file's folder). `backlog_lines` lines
    (and as many lines matching the config's filter) are read from the end of files that
    exist at start. Commands are restarted after they exit, waiting `restart_backoff`,
    doubled on each quick exit up to a minute.
    """

    def __init__(
        self,
        config: LogConfig | Sequence[LogConfig],
        base_dir: Path,
        clock: Clock,
        poll_interval: float = 0.25,
        *,
        backlog_lines: int = 200,
        log_filter: LogFilter | None = None,
        batch_window: float = 0.05,
        max_batch: int = 5_000,
        max_scan_bytes: int = DEFAULT_MAX_SCAN,
    ) -> None:
        self.configs = [config] if isinstance(config, LogConfig) else list(config)
        self.base_dir = base_dir
        self.clock = clock
        self.poll_interval = poll_interval
        self.backlog_lines = backlog_lines
        self.log_filter = log_filter
        self.batch_window = batch_window
        self.max_batch = max_batch
        self.max_scan_bytes = max_scan_bytes
        self._counter = itertools.count(1)

    async def stream(self) -> AsyncGenerator[LogBatch, None]:
        """Batches of new lines and events, forever; cancel the consumer to stop."""
        # Few lists in flight: a reader far ahead of its consumer waits (the file keeps
        # the lines) instead of piling up objects that make garbage collection pause.
        queue: asyncio.Queue[list[LogItem]] = asyncio.Queue(maxsize=8)
        tasks = [asyncio.create_task(self._run(config, queue)) for config in self.configs]
        loop = asyncio.get_running_loop()
        pending: list[LogItem] | None = None
        # One file needs no merging window: its thread already reads a growing file in
        # `batch_window` steps, each step one batch. Several sources (or a command's
        # pipe, read as it comes) are gathered for `batch_window` into one batch.
        single_file = len(self.configs) == 1 and self.configs[0].command is None
        window = 0.0 if single_file else self.batch_window
        try:
            while True:
                got = pending if pending is not None else await queue.get()
                pending = None
                # The backlogs of every source opened at start make one batch; lines
                # that were followed never join it.
                backlog = isinstance(got, _Backlog)
                items = list(got)
                deadline = loop.time() + window
                while backlog or len(items) < self.max_batch:
                    if not queue.empty():
                        more = queue.get_nowait()
                    else:
                        remaining = deadline - loop.time()
                        if remaining <= 0:
                            break
                        try:
                            more = await asyncio.wait_for(queue.get(), remaining)
                        except TimeoutError:
                            break
                    if isinstance(more, _Backlog) != backlog:
                        pending = more
                        break
                    items.extend(more)
                yield LogBatch(tuple(items), self.clock.now(), backlog=backlog)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, config: LogConfig, queue: asyncio.Queue[list[LogItem]]) -> None:
        maker = _Maker(config.name, self._counter)
        try:
            if config.command is not None:
                await self._run_command(config, config.command, maker, queue)
            elif config.path is not None:
                await self._run_path(config, config.path, queue)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must show, not silently stop one source
            await queue.put([maker.event("error", f"stopped following: {exc!r}")])

    def _filter_for(self, config: LogConfig) -> LogFilter:
        if self.log_filter is not None:
            return self.log_filter
        return LogFilter.parse(config.filter)

    async def _run_path(
        self, config: LogConfig, raw_path: str, queue: asyncio.Queue[list[LogItem]]
    ) -> None:
        path = Path(os.path.expanduser(raw_path))
        if not path.is_absolute():
            path = self.base_dir / path
        source = _PathSource(
            config,
            path,
            self._counter,
            self.backlog_lines,
            self._filter_for(config),
            self.max_scan_bytes,
        )
        loop = asyncio.get_running_loop()
        stop = _Stop()
        # Woken at each write where the system can tell (as `tail -F` is), else polled.
        watch = FileWatch.create([path])
        ended: asyncio.Future[None] = loop.create_future()
        thread = threading.Thread(
            target=self._poll_path,
            args=(source, queue, loop, stop, watch, ended),
            name=f"log-follow {config.name}",
            daemon=True,
        )
        thread.start()
        try:
            await asyncio.shield(ended)
        finally:
            stop.set()
            if watch is not None:
                watch.wake()
            # The poll in flight finishes and the thread closes the files itself, so no
            # descriptor is ever closed under a read.
            with contextlib.suppress(BaseException):
                await ended
            if watch is not None:
                watch.close()

    def _poll_path(
        self,
        source: _PathSource,
        queue: asyncio.Queue[list[LogItem]],
        loop: asyncio.AbstractEventLoop,
        stop: _Stop,
        watch: FileWatch | None,
        ended: asyncio.Future[None],
    ) -> None:
        """Poll one path source in its own thread until `stop`; settle `ended` when done.

        An idle file costs a `stat` per `poll_interval` here and nothing on the event
        loop. With a `watch`, a write wakes the thread at once and is read at once (a
        line that lives on disk for a moment, as under `copytruncate`, is not missed);
        what is read is still handed over at most once per `batch_window`, so the event
        loop is woken no more often than without it.
        """
        error: Exception | None = None
        pending: list[LogItem] = []
        handed = -math.inf
        inflight: concurrent.futures.Future[None] | None = None
        try:
            opening = True
            while not stop.is_set():
                items, more = source.poll()
                now = time.monotonic()
                if opening:
                    # The opening backlog stays whole, in a batch of its own.
                    if items:
                        inflight = _hand_over(_Backlog(items), queue, loop, stop)
                    opening = False
                    handed = now
                    items = []
                pending.extend(items)
                if pending and (
                    more or now - handed >= self.batch_window or len(pending) >= self.max_batch
                ):
                    # A long read goes out in pieces, so no batch holds the consumer (and
                    # the event loop) for long.
                    for start in range(0, len(pending), self.max_batch):
                        piece = pending[start : start + self.max_batch]
                        inflight = _hand_over(piece, queue, loop, stop, inflight)
                    pending = []
                    handed = now
                if more:
                    continue
                if pending:
                    timeout = self.batch_window - (now - handed)
                else:
                    # A log being written is read again soon, in small steps; an idle
                    # one is looked at every `poll_interval`.
                    timeout = self.batch_window if items else self.poll_interval
                if watch is not None:
                    watch.wait(timeout)
                else:
                    stop.wait(timeout)
        except Exception as exc:  # reported by the source's task, as any other failure
            error = exc
        finally:
            if inflight is not None:
                inflight.cancel()  # nobody reads the queue any more: drop a waiting put
            source.close()
            with contextlib.suppress(RuntimeError):  # the event loop is already closed
                loop.call_soon_threadsafe(_settle, ended, error)

    async def _run_command(
        self,
        config: LogConfig,
        argv: list[str],
        maker: _Maker,
        queue: asyncio.Queue[list[LogItem]],
    ) -> None:
        shown = mask(shlex.join(argv))  # a token in the argv is shown as ***
        quick_exits = 0
        while True:
            started = self.clock.monotonic()
            status = await self._run_once(argv, shown, maker, queue)
            if self.clock.monotonic() - started >= 60:
                quick_exits = 0
            delay = min(
                config.restart_backoff * (2**quick_exits), max(60.0, config.restart_backoff)
            )
            quick_exits += 1
            await queue.put([maker.event("exited", f"{status}; restarting in {delay:g}s")])
            await asyncio.sleep(delay)

    async def _run_once(
        self,
        argv: list[str],
        shown: str,
        maker: _Maker,
        queue: asyncio.Queue[list[LogItem]],
    ) -> str:
        try:
            process = await start_process(argv)
        except OSError as exc:
            return f"could not run {shown}: {exc.strerror or exc}"
        await queue.put([maker.event("started", f"running {shown}")])
        assembler = LineAssembler()
        assert process.stdout is not None
        try:
            while True:
                data = await process.stdout.read(READ_CHUNK)
                if not data:
                    break
                raws, truncated = assembler.split(data)
                if raws:
                    await queue.put(list(maker.raws(raws, truncated)))
            flushed = assembler.flush()
            if flushed is not None:
                await queue.put([maker.raw(*flushed)])
            code = await process.wait()
        finally:
            # Nothing the command started outlives it: its whole process group ends.
            if process.returncode is None:
                await process.stop(grace=1.0)
            else:
                await process.finish(grace=1.0)
        if code < 0:
            return f"command exited on signal {-code}"
        return f"command exited with status {code}"


def _hand_over(
    items: list[LogItem],
    queue: asyncio.Queue[list[LogItem]],
    loop: asyncio.AbstractEventLoop,
    stop: _Stop,
    previous: concurrent.futures.Future[None] | None = None,
) -> concurrent.futures.Future[None] | None:
    """Queue `items` from a polling thread; returns the put in flight.

    The thread does not wait for its own put: it goes back to reading at once (a line
    that is on disk only for a moment is read in that moment). It waits for the
    `previous` put before queueing the next, so a full queue still holds the reader
    back and batches stay in order. None when stopped while waiting.
    """
    if previous is not None and not _settled(previous, stop):
        return None
    return asyncio.run_coroutine_threadsafe(queue.put(items), loop)


def _settled(future: concurrent.futures.Future[None], stop: _Stop) -> bool:
    """Wait for a put to finish; False when `stop` came first (the put is dropped)."""
    while True:
        try:
            future.result(timeout=0.1)
            return True
        except concurrent.futures.TimeoutError:
            if stop.is_set():
                future.cancel()
                return False
        except concurrent.futures.CancelledError:
            return False


class _Stop:
    """A stop flag a polling thread sleeps on: `wait` returns at once when it is set.

    A lock held until `set`: waiting is one timed acquire, with none of the per-call
    bookkeeping of `threading.Event.wait` (it runs four times a second per file).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        """Stop: wakes a waiting thread now."""
        if not self._set:
            self._set = True
            self._lock.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, or until `set`; whether it is set."""
        if self._set:
            return True
        if self._lock.acquire(timeout=timeout):
            self._lock.release()  # let any other waiter through too
        return self._set


def _settle(ended: asyncio.Future[None], error: Exception | None) -> None:
    if ended.done():
        return
    if error is None:
        ended.set_result(None)
    else:
        ended.set_exception(error)


# --- the backlog -------------------------------------------------------------------------


class MatchCounter:
    """Lines matching a filter counted per wall-clock second: the `log` metric source.

    Every line offered is counted, however many arrive, in constant memory.
    """

    def __init__(self, log_filter: LogFilter, window: float = 60.0) -> None:
        self.log_filter = log_filter
        self.window = window
        self._buckets: deque[tuple[int, int]] = deque()

    def add(self, count: int, at: datetime) -> None:
        """Record `count` matches seen at `at`."""
        if count <= 0:
            return
        second = int(at.timestamp())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1] = (second, self._buckets[-1][1] + count)
        else:
            self._buckets.append((second, count))
        while self._buckets and self._buckets[0][0] <= second - self.window - 1:
            self._buckets.popleft()

    def observe(self, items: Iterable[LogItem], at: datetime) -> int:
        """Count the lines among `items` that match; returns how many did."""
        matches = self.log_filter.matches
        count = sum(1 for i in items if isinstance(i, LogLine) and matches(i.text))
        self.add(count, at)
        return count

    def per_minute(self, now: datetime) -> float:
        """Matches in the last `window` seconds, scaled to a rate per minute."""
        cutoff = now.timestamp() - self.window
        total = sum(count for second, count in self._buckets if second > cutoff)
        return total * 60.0 / self.window


class LogBuffer:
    """The bounded backlog behind the log pane: re-filtered at once when the filter changes.

    Holds the last `capacity` items; status events always stay visible.
    """

    def __init__(self, capacity: int = 10_000, log_filter: LogFilter | None = None) -> None:
        self.capacity = capacity
        self._filter = log_filter if log_filter is not None else LogFilter()
        # Items and their arrival times side by side: no tuple per line, which matters at
        # 100,000 lines a second.
        self._items: deque[LogItem] = deque(maxlen=capacity)
        self._times: deque[datetime] = deque(maxlen=capacity)
        self._counter = MatchCounter(self._filter)

    @property
    def log_filter(self) -> LogFilter:
        """The filter lines are shown through."""
        return self._filter

    def __len__(self) -> int:
        return len(self._items)

    def _shown(self, items: Iterable[LogItem]) -> list[LogItem]:
        if self._filter.is_empty:
            return list(items)
        matches = self._filter.matches
        return [item for item in items if isinstance(item, LogEvent) or matches(item.text)]

    def append(self, batch: LogBatch) -> tuple[LogItem, ...]:
        """Keep the batch; returns its items to show (matching lines and every event)."""
        shown = self._shown(batch.items)
        self._items.extend(batch.items)
        self._times.extend(itertools.repeat(batch.at, len(batch.items)))
        self._counter.add(sum(1 for item in shown if isinstance(item, LogLine)), batch.at)
        return tuple(shown)

    def set_filter(self, log_filter: LogFilter) -> tuple[LogItem, ...]:
        """Apply a new filter to the whole backlog; returns what is now visible.

        The per-minute count restarts from the lines still held.
        """
        self._filter = log_filter
        self._counter = MatchCounter(log_filter)
        matches = log_filter.matches
        everything = log_filter.is_empty
        shown: list[LogItem] = []
        for item, at in zip(self._items, self._times, strict=True):
            if isinstance(item, LogEvent):
                shown.append(item)
            elif everything or matches(item.text):
                shown.append(item)
                self._counter.add(1, at)
        return tuple(shown)

    def visible(self) -> tuple[LogItem, ...]:
        """Everything held that the current filter shows."""
        return tuple(self._shown(self._items))

    def matches_per_minute(self, now: datetime) -> float:
        """Lines matching the current filter in the last minute."""
        return self._counter.per_minute(now)

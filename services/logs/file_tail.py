"""A `[[log]] path` followed by name, as GNU `tail -F` follows it: one file or a glob's.

A rotated file is read to its end before the new one is followed (nothing lost, nothing
twice); a truncated one is read again from the start (first taking its unread lines from
a `copytruncate` copy); a missing or unreadable file is waited for. `poll` is blocking
and runs in a thread of its own (see `polling.py`).
"""

from __future__ import annotations

import contextlib
import glob as globbing
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from warroom.services.config import LogConfig
from warroom.services.logs.backwards import scan_backwards
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import READ_CHUNK, ItemMaker, LineAssembler, LogItem
from warroom.services.logs.rotation import Fingerprint, find_copy

MAX_READ_PER_POLL = 8 << 20
"""Bytes read from one file per poll; more is read on the next poll, without sleeping."""

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


class FileTail:
    """One path followed by name, as `tail -F` does; `poll` runs in a worker thread."""

    def __init__(
        self,
        path: Path,
        maker: ItemMaker,
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
        self.fingerprint = Fingerprint()
        self.mtime_ns = 0
        self.draining: list[_Draining] = []

    def close(self) -> None:
        """Close the file followed and every file still drained (from the polling thread)."""
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
        copy = find_copy(self.path, self.offset, self.fingerprint)
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
        self.fingerprint = Fingerprint()

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
            texts, self.offset = scan_backwards(
                fd, opened.st_size, self.backlog, want_matches, self.log_filter, self.max_scan
            )
            out.extend(self.maker.line(text) for text in texts)
            self.from_end = False
        else:
            self.offset = max(self.known.get(self.ident, 0), 0)
        self.fingerprint = Fingerprint.of(fd, self.offset)
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


class PathSource:
    """A `[[log]]` path: one file, or every file a glob matches (new ones read from 0)."""

    def __init__(
        self,
        config: LogConfig,
        pattern: Path,
        counter: Iterator[int],
        backlog: int,
        log_filter: LogFilter,
        max_scan: int,
        *,
        only_matching: bool = False,
    ) -> None:
        self.config = config
        self.pattern = pattern
        self.counter = counter
        self.backlog = backlog
        self.log_filter = log_filter
        self.max_scan = max_scan
        # Followed lines the filter refuses are dropped as they are read (see ItemMaker).
        self.keep = log_filter.matches if only_matching and not log_filter.is_empty else None
        self.is_glob = globbing.has_magic(str(pattern))
        self.known: dict[tuple[int, int], int] = {}
        self.tails: dict[str, FileTail] = {}
        self.first = True
        self.maker = ItemMaker(config.name, counter)
        self.waiting_shown = False
        if not self.is_glob:
            self._add(str(pattern), config.name, from_end=True)

    def _add(self, path: str, source: str, from_end: bool) -> None:
        self.tails[path] = FileTail(
            Path(path),
            ItemMaker(source, self.counter, self.keep),
            from_end=from_end,
            backlog=self.backlog,
            log_filter=self.log_filter,
            max_scan=self.max_scan,
            known=self.known,
        )

    def poll(self) -> tuple[list[LogItem], bool]:
        """New items from every file of the path, and whether more is waiting."""
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
        """Close every file of the path."""
        for tail in self.tails.values():
            tail.close()

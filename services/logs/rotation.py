"""Telling a rotated or truncated log apart from the one that was read, and its copy.

A followed file's fingerprint (its first bytes and the bytes just before the read
offset) shows a truncate-and-refill that a size check cannot see, and finds, among the
rotated copies beside it (`app.log.1`, `app.log-20260101`, `app.log.1.gz`), the one
holding the lines written since the last read.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from pathlib import Path

FINGERPRINT_BYTES = 64
"""Bytes remembered at the start of a file and just before the read offset."""
COPY_SUFFIX = re.compile(r"[.\-_]")
"""What follows a log's name in the name of its rotated copy: `.1`, `-20260101`, `.1.gz`."""
MAX_COPIES_LOOKED_AT = 8
MAX_COPY_READ = 64 << 20
"""Bytes taken from a rotated copy at most (what was written since the last poll)."""


class Fingerprint:
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
    def of(cls, fd: int, offset: int) -> Fingerprint:
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


def open_copy(path: str) -> io.BufferedIOBase:
    """A rotated copy, decompressed as it is read when logrotate compressed it."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def find_copy(path: Path, offset: int, seen: Fingerprint) -> tuple[str, bytes] | None:
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
            with open_copy(entry.path) as stream:
                if seen.matches(stream, offset):
                    stream.seek(offset)
                    return entry.name, stream.read(MAX_COPY_READ)
        except (OSError, EOFError, ValueError):
            continue  # unreadable, still being written, or not gzip after all
    return None

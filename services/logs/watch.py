"""Wake-ups when a followed file changes (Linux inotify, through libc), for the log follower.

Polling every 250 ms misses what is on disk for less than that: `logrotate copytruncate`
copies a log and truncates it a moment later, and the lines written in between are only
ever in the file for that moment. GNU `tail -F` keeps them because inotify wakes it at
each write; a follower woken the same way reads them too. Where inotify is missing (not
Linux, no libc, watches exhausted) `FileWatch.create` returns None and the follower polls.

One watch per parent folder, not per file: a folder's watch sees writes to its files,
and also renames and new files, so it survives rotation without being moved.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fnmatch
import functools
import glob as globbing
import os
import select
import struct
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
FOLDER_MASK = (
    IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
    | IN_DELETE_SELF | IN_MOVE_SELF
)  # fmt: skip
"""Writes (truncation included), renames, new and removed files, the folder going away."""
_EVENT = struct.Struct("iIII")
"""struct inotify_event: wd, mask, cookie, len; the name (len bytes) follows."""


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """libc, loaded once per process: every follower (the start screen's preview, the
    dashboard's, each `warroom tail`) shares the one handle."""
    if not sys.platform.startswith("linux"):
        return None
    # glibc's name first: `find_library` runs `ldconfig -p` in a subprocess (about
    # 10 ms, on the event loop that opens the follower), needed only where libc is
    # named otherwise (musl).
    for name in ("libc.so.6", None):
        try:
            libc = ctypes.CDLL(name or ctypes.util.find_library("c"), use_errno=True)
            libc.inotify_init1  # noqa: B018 - present on every glibc and musl since 2.9
        except (OSError, AttributeError, TypeError):
            continue
        return libc
    return None


class FileWatch:
    """Sleeps until one of some paths (or a rotation of it) changes, a timeout, or `wake`.

    Used by one polling thread; `wake` may be called from any thread.
    """

    def __init__(self, libc: ctypes.CDLL, fd: int, paths: Iterable[Path]) -> None:
        self._libc = libc
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        # Folder -> names (or glob patterns) that matter in it; None: any name matters.
        self._wanted: dict[str, list[str] | None] = {}
        for path in paths:
            folder, name = str(path.parent), path.name
            if globbing.has_magic(folder):
                continue  # a folder glob: polling finds its files
            if globbing.has_magic(name):
                self._wanted[folder] = None
            elif self._wanted.get(folder, []) is not None:
                self._wanted.setdefault(folder, []).append(name)  # type: ignore[union-attr]
        self._watches: dict[int, str] = {}
        # `wake` (any thread) never writes to a descriptor `close` has released, whose
        # number the process may already have handed to another file.
        self._closing = threading.Lock()
        self._closed = False

    @classmethod
    def create(cls, paths: Iterable[Path]) -> FileWatch | None:
        """A watch over `paths`, or None where inotify is not available."""
        libc = _libc()
        if libc is None:
            return None
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        watch = cls(libc, fd, paths)
        # Armed now, before the first look at the files: a change between that look and
        # the first wait is then reported, not lost.
        watch._arm()
        return watch

    def _arm(self) -> bool:
        """Watch every folder not yet watched (one may appear after start, or come back).

        True when a watch was added: what changed before it is not reported, so the
        caller looks once more.
        """
        watched = set(self._watches.values())
        added = False
        for folder in self._wanted:
            if folder in watched:
                continue
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), FOLDER_MASK)
            if wd >= 0:
                self._watches[wd] = folder
                added = True
        return added

    def _matters(self, wd: int, mask: int, name: bytes) -> bool:
        if mask & IN_Q_OVERFLOW:
            return True
        folder = self._watches.get(wd)
        if folder is None:
            return False
        if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
            self._watches.pop(wd, None)  # re-armed on the next wait
            return True
        names = self._wanted.get(folder)
        if names is None:
            return True
        text = os.fsdecode(name.rstrip(b"\0"))
        # A rotation of a log (`app.log.1`, `app.log-2026`) matters too: a writer may
        # still be writing to the old file after it was renamed.
        return any(text.startswith(n) or fnmatch.fnmatchcase(text, n) for n in names)

    def _drain(self) -> bool:
        matters = False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return matters
            except OSError:
                return True
            if not data:
                return matters
            at = 0
            while at + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size : at + _EVENT.size + length]
                at += _EVENT.size + length
                matters = self._matters(wd, mask, name) or matters

    def wait(self, timeout: float) -> bool:
        """Sleep until a change that matters, `wake`, or `timeout` seconds; True on a change."""
        if self._arm():
            return True
        try:
            ready, _, _ = select.select([self._fd, self._wake_r], [], [], max(0.0, timeout))
        except (OSError, ValueError):
            return False  # closed under us: the follower is stopping
        if self._wake_r in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake_r, 4096)
        return self._fd in ready and self._drain()

    def wake(self) -> None:
        """End a `wait` now (the follower is stopping); nothing once closed."""
        with self._closing:
            if self._closed:
                return
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    def close(self) -> None:
        """Release the inotify descriptor and the wake pipe (once; any thread).

        Closing an inotify descriptor that holds watches waits for the kernel to retire
        them (10-20 ms measured): the follower's own thread calls this, not an event loop.
        """
        with self._closing:
            if self._closed:
                return
            self._closed = True
        for fd in (self._fd, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

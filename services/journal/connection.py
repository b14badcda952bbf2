"""Connections to a journal file: the writer's, the read-only reader's, the stand-in.

A writer connects in WAL mode with `synchronous=FULL`; a reader never writes, not
even the `-wal`/`-shm` files (see `open_reader`). Text is read as bytes so one bad
byte damages one event, not the whole journal.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from warroom.services.journal.format import SCHEMA, JournalError, JournalMissing, JournalUnreadable
from warroom.services.journal.repair import (
    Inspection,
    describe_error,
    file_identity,
    inspect,
)

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process holding the write lock."""

RECOVER_HINT = "`warroom journal recover` moves it aside and rebuilds it from its readable events"


def connect(target: str, uri: bool = False) -> sqlite3.Connection:
    """A connection that waits out another writer's lock and reads text as bytes."""
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=uri,
    )
    # Text is read as bytes and decoded per row (format.decode_row): one bad
    # byte makes one damaged event, not an exception that hides the whole journal.
    conn.text_factory = bytes
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def prepare(conn: sqlite3.Connection) -> None:
    """Make a writer's connection durable (WAL, synchronous=FULL) and create the schema."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)


def wal_path(path: Path) -> Path:
    """The WAL file beside a journal: it exists while a writer has the journal open."""
    return Path(f"{path}-wal")


def open_reader(path: Path, *, lasting: bool) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to an existing journal, and whether it is immutable.

    SQLite's `mode=ro` on a WAL database creates the `-wal`/`-shm` files when no writer
    has; so when there is no `-wal` (no writer has the journal open) the file is read
    as immutable, which touches nothing. A lasting reader switches to `mode=ro` once a
    writer appears (`Journal` reopens it). Raises `JournalMissing` or
    `JournalUnreadable` with a one-line message naming the file.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise JournalMissing(f"journal {path}: does not exist") from None
    except OSError as exc:
        raise JournalUnreadable(f"journal {path}: cannot read: {describe_error(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise JournalUnreadable(f"journal {path}: is a directory, not a journal file")
    if not stat.S_ISREG(info.st_mode):
        raise JournalUnreadable(f"journal {path}: is not a regular file")
    # Asked, not opened: closing a descriptor of the file would drop the POSIX locks
    # this process's other connections hold on it (see `header_before_connecting`).
    if not os.access(path, os.R_OK):
        error = PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        raise JournalUnreadable(f"journal {path}: cannot read: {describe_error(error)}")
    base = f"file:{quote(str(path))}?mode=ro"
    attempts = [(base, False), (f"{base}&immutable=1", True)]
    if not wal_path(path).exists():
        attempts.reverse()
    problem = ""
    for uri, immutable in attempts:
        try:
            conn = connect(uri, uri=True)
        except sqlite3.Error as exc:
            problem = describe_error(exc)
            continue
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            # `mode=ro` in a read-only directory without a `-shm`: immutable still reads.
            conn.close()
            problem = describe_error(exc)
            continue
        except sqlite3.DatabaseError:
            pass  # damage: the inspection names it
        return conn, immutable
    raise JournalUnreadable(f"journal {path}: cannot read: {problem}")


def inspect_read_only(path: Path, problem: str) -> Inspection:
    """Inspect a file a writer could not even prepare; `problem` says why."""
    try:
        conn, _ = open_reader(path, lasting=False)
    except JournalError:
        return Inspection(problem, identity=file_identity(path))
    try:
        found = inspect(conn, path)
    except sqlite3.Error:
        return Inspection(problem, identity=file_identity(path))
    finally:
        conn.close()
    return Inspection(found.problem or problem, found.events, found.highest_seq, found.identity)


def memory_journal() -> sqlite3.Connection:
    """An empty stand-in for a journal that cannot be opened (appends are refused)."""
    conn = connect(":memory:")
    conn.executescript(SCHEMA)
    return conn

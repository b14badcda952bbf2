"""Finding damage in a journal file and rebuilding it from what is still readable.

Damage comes in two sizes. A *structural* problem (a page that fails SQLite's check, a
file cut short, bytes that are not SQLite at all) means the file can no longer be
trusted: readers refuse it with one line and `recover_file` moves it aside and rebuilds
it. A *damaged row* in a sound file (a payload that is not JSON, a time that is not a
time) is shown as a damaged event and the rest is read as usual.

Nothing here writes unless `recover_file` is called: the inspection runs on a
read-only connection as well as on a writer's.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from warroom.services.clock import Clock
from warroom.services.journal.format import (
    JOURNAL_RECOVERED,
    SCHEMA,
    SELECT_EVENTS,
    SYSTEM_ACTOR,
    Event,
    JournalWriteError,
    decode_rows,
    format_at,
    format_ranges,
    seq_ranges,
)
from warroom.services.sanitize import clean

_MAGIC = b"SQLite format 3\x00"


def describe_error(exc: BaseException) -> str:
    """An exception as one clean line (OS and SQLite messages can span lines)."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return clean(str(text).splitlines()[0], 300)


def _plain(value: object) -> str:
    """A value SQLite answered, as text (journal connections read text as bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


_PROC_FDS = Path("/proc/self/fd")


def read_head(path: Path) -> tuple[bytes, int]:
    """The file's first 100 bytes and its size, without closing a descriptor of it.

    Closing any descriptor of a database file drops every POSIX lock this process holds
    on it, SQLite's included. A WAL connection that lost its shared lock lets another
    process, closing its own connection, checkpoint and delete the `-wal` and `-shm`
    files under it: its later commits go to a deleted file no other process reads. So
    when a connection of this process has the file open, its descriptor is read in
    place (`pread` moves nothing); only a file no connection here holds is opened.
    """
    info = path.stat()
    for fd in _descriptors():
        try:
            held = os.fstat(fd)
        except OSError:
            continue
        if (held.st_dev, held.st_ino) == (info.st_dev, info.st_ino):
            try:
                return os.pread(fd, 100, 0), info.st_size
            except OSError:
                continue  # not open for reading: try another
    with path.open("rb") as handle:
        return handle.read(100), info.st_size


def _descriptors() -> list[int]:
    """This process's open file descriptors (none known where /proc is missing)."""
    try:
        return [int(name) for name in os.listdir(_PROC_FDS) if name.isdigit()]
    except OSError:
        return []


def header_problem(path: Path) -> str | None:
    """What the file's first 100 bytes say is wrong (not SQLite, cut short), or None."""
    try:
        head, size = read_head(path)
    except OSError as exc:
        return f"cannot read: {describe_error(exc)}"
    if size == 0:
        return None  # SQLite's own empty database: a writer has only just created it
    if len(head) < 100 or not head.startswith(_MAGIC):
        return "not an SQLite database (its header is damaged)"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    changes, valid_for = head[24:28], head[92:96]
    # The page count in the header is trustworthy only when written by the same
    # change as the counter; then the file can never be shorter than those pages.
    if changes == valid_for and pages and size < pages * page_size:
        return f"the file is cut short ({size} of {pages * page_size} bytes)"
    return None


MIN_ROW_BYTES = 32
"""No stored event takes fewer bytes than this (its time alone is 32 characters)."""


def seq_ceiling(path: Path) -> int:
    """More than the number of events the file can ever have held: its declared size
    (or its real one) over the smallest row. Seqs are dense, so no lost event had a
    higher seq unless an earlier rebuild jumped (then a readable row shows it)."""
    try:
        head, size = read_head(path)
    except OSError:
        return 0
    if len(head) == 100 and head.startswith(_MAGIC):
        page_size = int.from_bytes(head[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        size = max(size, int.from_bytes(head[28:32], "big") * page_size)
    return size // MIN_ROW_BYTES


@dataclass(frozen=True)
class Inspection:
    """What a journal file holds, read without writing a byte."""

    problem: str | None
    """Structural damage, one line; None when the file is sound."""
    events: list[Event] = field(default_factory=list)
    """Every readable event in seq order; damaged rows are `EVENT_DAMAGED` events."""
    highest_seq: int = 0
    """The highest seq known to have been written (a readable row or a probed key)."""
    identity: tuple[int, int] | None = None
    """The file inspected (`file_identity`), so a rebuild never hits a newer file."""

    @property
    def damaged_rows(self) -> list[Event]:
        """The rows that are not whole events."""
        return [e for e in self.events if e.damaged]


def inspect(conn: sqlite3.Connection, path: Path) -> Inspection:
    """Check the file (header, SQLite's quick check) and read every event from it."""
    identity = file_identity(path)
    problem = header_problem(path)
    if problem is None:
        try:
            results = [_plain(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            problem = f"integrity check: {describe_error(exc)}"
        else:
            if results != ["ok"]:
                lines = [line for text in results for line in text.splitlines()]
                problem = f"integrity check: {clean((lines or ['no answer'])[0], 200)}"
    if problem is None:
        try:
            rows = conn.execute(f"{SELECT_EVENTS} ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as exc:
            problem = f"reading events: {describe_error(exc)}"
        else:
            events = decode_rows(rows)
            return Inspection(None, events, events[-1].seq if events else 0, identity)
    rows, highest = salvage(conn)
    return Inspection(problem, decode_rows(rows), highest, identity)


def salvage(conn: sqlite3.Connection, after_seq: int = 0) -> tuple[list[tuple[Any, ...]], int]:
    """Every events row still readable past `after_seq` in a damaged file, in seq
    order, and the highest seq seen (rows on damaged pages are skipped, not guessed)."""
    rows: list[tuple[Any, ...]] = []
    highest = after_seq
    try:
        found = conn.execute("SELECT max(seq) FROM events").fetchone()
        if found is not None and isinstance(found[0], int):
            highest = max(highest, found[0])
    except sqlite3.Error:
        pass
    last = after_seq
    floor = after_seq
    while True:
        try:
            for row in conn.execute(f"{SELECT_EVENTS} WHERE seq > ? ORDER BY seq", (last,)):
                if isinstance(row[0], int) and row[0] > last:
                    rows.append(tuple(row))
                    last = row[0]
            break
        except sqlite3.Error:
            pass
        # A damaged page stopped the scan: probe further and further past it, so rows
        # beyond one bad page are still saved. `floor` only grows: no loops.
        start = max(last, floor)
        resumed = False
        for power in range(40):
            probe = start + (1 << power)
            try:
                hit = conn.execute(
                    "SELECT seq FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (probe,)
                ).fetchone()
            except sqlite3.Error:
                continue
            if hit is not None:
                last, floor, resumed = int(hit[0]) - 1, probe, True
                highest = max(highest, int(hit[0]))
            break
        if not resumed:
            break
    return rows, max(highest, last)


@dataclass(frozen=True)
class Recovery:
    """A journal rebuilt from its readable events; the damaged file kept beside it."""

    path: Path
    kept_as: Path
    problem: str
    recovered: int
    lost: list[list[int]]
    """Seq ranges (inclusive) that were written but could not be read back."""
    maybe_lost_after: int | None
    """With pages damaged: events after this seq, if there were any, are lost too."""
    event: Event
    """The `journal.recovered` event written into the rebuilt journal."""

    @property
    def message(self) -> str:
        """One line for the terminal, a banner and the report."""
        lost = f"lost seq {format_ranges(self.lost)}" if self.lost else "no gap found"
        if self.maybe_lost_after is not None:
            lost += f" (and any event after seq {self.maybe_lost_after})"
        return (
            f"journal {self.path.name} was damaged ({self.problem}): recovered "
            f"{self.recovered} events, {lost}; the damaged file is kept as {self.kept_as.name}"
        )


def file_identity(path: Path) -> tuple[int, int] | None:
    """Which file `path` names now (device, inode): a rebuilt journal is a new file."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def recover_file(path: Path, clock: Clock, inspection: Inspection) -> Recovery | None:
    """Move the damaged `path` aside and rebuild it from `inspection`'s sound events.

    The rebuilt journal ends with a `journal.recovered` event (actor "warroom") naming
    the counts and the lost seq ranges; its seq is above any seq the damaged file can
    have held (`seq_ceiling`), so followers that had read further than the readable
    rows still see it and what comes after it.
    Returns None when another process rebuilt the file meanwhile. Raises
    `JournalWriteError` (nothing moved) when the place cannot be written.
    """
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError as exc:
        raise JournalWriteError(f"cannot recover journal {path}: {describe_error(exc)}") from None
    try:
        # One process rebuilds at a time: a lock on the directory itself, so no lock
        # file is left behind; a file replaced meanwhile was rebuilt by someone else.
        fcntl.flock(fd, fcntl.LOCK_EX)
        if inspection.identity is not None and file_identity(path) != inspection.identity:
            return None
        return _rebuild(path, clock, inspection)
    finally:
        os.close(fd)


def _rebuild(path: Path, clock: Clock, inspection: Inspection) -> Recovery:
    now = clock.now()
    ceiling = seq_ceiling(path)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    sides = [(Path(f"{path}{s}"), Path(f"{kept}{s}")) for s in ("-wal", "-shm")]
    try:
        path.replace(kept)
        for side, moved in sides:
            if side.exists():
                side.replace(moved)
    except OSError as exc:
        _restore(path, kept, sides)
        raise JournalWriteError(
            f"cannot move damaged journal {path} aside: {describe_error(exc)}"
        ) from None
    sound = [e for e in inspection.events if not e.damaged]
    kept_seqs = {e.seq for e in sound}
    highest = max([inspection.highest_seq, *kept_seqs, 0])
    lost = seq_ranges([s for s in range(1, highest + 1) if s not in kept_seqs])
    problem = inspection.problem or "damaged events"
    payload: dict[str, Any] = {
        "recovered": len(sound),
        "lost": lost,
        # With pages damaged, events after the last one seen may be gone unnoticed.
        "maybe_lost_after": highest if inspection.problem is not None else None,
        "problem": problem,
        "kept_as": kept.name,
    }
    event = Event(max(highest, ceiling) + 1, now, SYSTEM_ACTOR, JOURNAL_RECOVERED, payload)
    rows = [
        (e.seq, format_at(e.at), e.actor, e.kind, json.dumps(e.payload, ensure_ascii=False))
        for e in [*sound, event]
    ]
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO events (seq, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?)", rows
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        # A full disk: put the damaged file back rather than leave half a journal.
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        _restore(path, kept, sides)
        raise JournalWriteError(f"cannot rebuild journal {path}: {describe_error(exc)}") from None
    return Recovery(path, kept, problem, len(sound), lost, payload["maybe_lost_after"], event)


def _restore(path: Path, kept: Path, sides: list[tuple[Path, Path]]) -> None:
    """Undo a partial move aside (best effort: the error raised next says why)."""
    try:
        if kept.exists() and not path.exists():
            kept.replace(path)
        for side, moved in sides:
            if moved.exists() and not side.exists():
                moved.replace(side)
    except OSError:
        pass

"""The incident journal: one append-only SQLite database per incident.

Every change anyone makes during an incident (a tick, a note, an escalation ack) is an
event appended here and committed durably before the caller is told it happened; the
checklist, the timeline and the report are all replays of these events. Several
processes may share one journal (the driver over SSH, a read-only projector view), so
`follow` polls the file for events written by anyone.

A reader never writes: a read-only journal and `read_journal` open the file with
SQLite's `mode=ro`, create nothing (not even an empty journal) and repair nothing. A
damaged journal is never shown as an empty incident: readers say what is wrong, and
only a writer (the driving dashboard) or `warroom journal recover` rebuilds it.

Connections live in `connection.py`, the one-shot readers (`read_journal`,
`recover_journal`) in `readers.py`, and the actor's name in `actor.py`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warroom.services.clock import Clock
from warroom.services.journal.connection import (
    RECOVER_HINT,
    connect,
    inspect_read_only,
    memory_journal,
    open_reader,
    prepare,
    wal_path,
)
from warroom.services.journal.format import (
    EVENT_DAMAGED,
    JOURNAL_RECOVERED,
    SELECT_EVENTS,
    SYSTEM_ACTOR,
    Event,
    JournalDamaged,
    JournalError,
    JournalMissing,
    JournalUnreadable,
    JournalWriteError,
    decode_rows,
    describe_damaged,
    format_at,
    recorded,
)
from warroom.services.journal.readers import read_journal, recover_journal
from warroom.services.journal.repair import (
    Inspection,
    Recovery,
    describe_error,
    file_identity,
    inspect,
    recover_file,
    salvage,
)
from warroom.services.sanitize import clean

__all__ = [
    "EVENT_DAMAGED",
    "JOURNAL_RECOVERED",
    "READ_ONLY_MESSAGE",
    "SYSTEM_ACTOR",
    "Event",
    "Journal",
    "JournalDamaged",
    "JournalError",
    "JournalMissing",
    "JournalUnreadable",
    "JournalWriteError",
    "Recovery",
    "journal_path",
    "read_journal",
    "recover_journal",
]

READ_ONLY_MESSAGE = "read-only: changes are refused"


def journal_path(state_dir: Path, incident_id: str) -> Path:
    """Where the journal of `incident_id` lives inside the state dir."""
    return state_dir / f"{incident_id}.sqlite3"


@dataclass(frozen=True)
class _Primed:
    """Events decoded on open, and the commit mark they were read under."""

    conn: sqlite3.Connection
    mark: tuple[int, ...]
    events: list[Event]


def _commit_mark(conn: sqlite3.Connection, path: Path, appended: int = 0) -> tuple[int, ...] | None:
    """What changes when anything is committed to the journal: SQLite's count of other
    connections' commits, this journal's own appends, and the file's size and time (an
    immutable reader's counter never moves); None when it cannot be read."""
    try:
        row = conn.execute("PRAGMA data_version").fetchone()
        info = path.stat()
    except (OSError, sqlite3.Error):
        return None
    return (int(row[0]), appended, info.st_ino, info.st_size, info.st_mtime_ns)


class Journal:
    """An open incident journal; appends are durable before `append` returns."""

    def __init__(
        self,
        conn: sqlite3.Connection | None,
        path: Path,
        clock: Clock,
        actor: str,
        read_only: bool,
        write_problem: str | None = None,
        recovery: str | None = None,
        damage: str | None = None,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._appended = 0
        """Commits through this connection (SQLite's `data_version` counts only others')."""
        self._identity = file_identity(path) if conn is not None else None
        """The file the connection reads (a rebuild by another process makes a new one)."""
        self._immutable = False
        """The connection reads the file as immutable (no writer yet: see `open_reader`)."""
        self._last_at: datetime | None = None
        self._primed: _Primed | None = None
        """The events the opening inspection decoded, kept for the first `events` call
        while nothing has been committed since (see `_prime`)."""
        self._memory = False
        """An in-memory stand-in: the file could not be opened at all."""
        self.path = path
        self.clock = clock
        self.actor = actor
        self.read_only = read_only
        self.write_problem = write_problem
        """Why appends will fail even though the journal opened (unwritable dir), or None."""
        self.recovery = recovery
        """A one-line message when the file was damaged and rebuilt on open, else None."""
        self.damage = damage
        """What is wrong with the journal file, one line for a persistent banner: damaged
        and rebuilt, damaged and shown as far as readable, damaged events, unreadable.
        None while the journal is sound."""

    @property
    def missing(self) -> bool:
        """A read-only journal waiting for its file: nobody has opened the incident yet.

        It reads as empty and `follow` picks the file up once a driver creates it.
        """
        return self._conn is None

    # --- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, clock: Clock, actor: str, read_only: bool = False) -> Journal:
        """Open the journal at `path`: a writer creates it and rebuilds a damaged file;
        a read-only journal changes nothing (see `read_journal` for a strict reader).

        It never raises for a place that cannot be written or read: the journal then
        opens read-only or empty, `append` raises `JournalWriteError` saying why, and
        `damage` says what is wrong with the file.
        """
        path = Path(path)
        if read_only:
            return cls._open_read_only(path, clock, actor, read_only=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory, not a journal file")
            conn = connect(str(path))
        except (OSError, sqlite3.Error) as exc:
            problem = f"cannot write journal {path}: {describe_error(exc)}"
            return cls._open_read_only(path, clock, actor, read_only=False, problem=problem)
        try:
            prepare(conn)
            mark = _commit_mark(conn, path)
            inspection = inspect(conn, path)
        except sqlite3.OperationalError as exc:
            # Cannot write here (read-only file or dir, locked, full): not damage.
            conn.close()
            problem = f"cannot write journal {path}: {describe_error(exc)}"
            return cls._open_read_only(path, clock, actor, read_only=False, problem=problem)
        except sqlite3.DatabaseError as exc:
            # Not even the schema could be read: damaged at its root. Whatever a
            # read-only look still finds is what the rebuild keeps.
            conn.close()
            inspection = inspect_read_only(path, f"opening: {describe_error(exc)}")
        if inspection.problem is None:
            damage = None
            if inspection.damaged_rows:
                damage = (
                    f"journal {path.name}: {describe_damaged(inspection.events)}; {RECOVER_HINT}"
                )
            journal = cls(conn, path, clock, actor, False, damage=damage)
            journal._prime(mark, inspection)
            return journal
        conn.close()
        return cls._recover_on_open(path, clock, actor, inspection)

    @classmethod
    def _recover_on_open(
        cls, path: Path, clock: Clock, actor: str, inspection: Inspection
    ) -> Journal:
        """The driver meets a damaged file: rebuild it, say so, and carry on appending."""
        try:
            recovery = recover_file(path, clock, inspection)
        except JournalWriteError as exc:
            journal = cls._open_read_only(path, clock, actor, read_only=False, problem=str(exc))
            return journal
        if recovery is None:  # another dashboard rebuilt it first: use theirs
            return cls.open(path, clock, actor)
        conn = connect(str(path))
        prepare(conn)
        message = recovery.message
        return cls(conn, path, clock, actor, False, recovery=message, damage=message)

    @classmethod
    def _open_read_only(
        cls, path: Path, clock: Clock, actor: str, *, read_only: bool, problem: str | None = None
    ) -> Journal:
        """Read what can be read without writing: a viewer, or a writer that cannot write."""
        try:
            conn, immutable = open_reader(path, lasting=True)
        except JournalMissing:
            if read_only:
                return cls(None, path, clock, actor, True)
            journal = cls(memory_journal(), path, clock, actor, read_only, problem)
            journal._memory = True
            return journal
        except JournalUnreadable as exc:
            conn = memory_journal()
            journal = cls(conn, path, clock, actor, read_only, problem or str(exc), damage=str(exc))
            journal._memory = True
            return journal
        journal = cls(conn, path, clock, actor, read_only, problem)
        journal._immutable = immutable
        mark = _commit_mark(conn, path)
        try:
            inspection = inspect(conn, path)
        except sqlite3.Error as exc:
            inspection = Inspection(f"reading: {describe_error(exc)}")
        if inspection.problem is not None:
            journal.damage = (
                f"journal {path.name} is damaged ({inspection.problem}): showing its "
                f"{len(inspection.events)} readable events; {RECOVER_HINT}"
            )
        elif inspection.damaged_rows:
            journal.damage = (
                f"journal {path.name}: {describe_damaged(inspection.events)}; {RECOVER_HINT}"
            )
        journal._prime(mark, inspection)
        return journal

    def _prime(self, mark: tuple[int, ...] | None, inspection: Inspection) -> None:
        """Keep what opening already read and decoded, so the first `events` call (the
        report, a dashboard's first replay) does not read and decode every row again.

        `mark` was taken before the inspection read the rows; the events are used only
        while the connection, its commit counter and the file still match it.
        """
        if mark is not None and inspection.problem is None and self._conn is not None:
            self._primed = _Primed(self._conn, mark, inspection.events)

    def _take_primed(self, conn: sqlite3.Connection, after_seq: int) -> list[Event] | None:
        """The primed events past `after_seq` when nothing was committed since the
        inspection read them (else None: read the file). One use only. Holds `_lock`."""
        primed, self._primed = self._primed, None
        if primed is None or primed.conn is not conn:
            return None
        if _commit_mark(conn, self.path, self._appended) != primed.mark:
            return None
        events = primed.events
        if events and events[0].seq <= after_seq:
            events = [e for e in events if e.seq > after_seq]
            # A damaged first row would borrow the time of one left out: read instead.
            if events and events[0].damaged:
                return None
        return events

    # --- writing -----------------------------------------------------------------

    def append(
        self, kind: str, payload: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> Event:
        """Commit one event durably and return it; raise `JournalWriteError` on failure.

        `actor` overrides the journal's (the human at this keyboard): automated events
        (health changes, alerts, escalation crossings) pass `SYSTEM_ACTOR`.
        """
        event = self._append(kind, payload, actor, once=False)
        assert event is not None
        return event

    def append_once(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
        key: Mapping[str, Any] | None = None,
    ) -> Event | None:
        """Append unless an event of `kind` is already in the journal (then None); with
        `key`, unless one of `kind` whose payload holds every item of `key`.

        The check and the insert share one write transaction, so two dashboards started
        together journal `incident.opened` once between them, and two drivers crossing
        an escalation level in the same second journal (and page) it once.
        """
        return self._append(kind, payload, actor, once=True, key=key)

    def _append(
        self,
        kind: str,
        payload: Mapping[str, Any] | None,
        actor: str | None,
        *,
        once: bool,
        key: Mapping[str, Any] | None = None,
    ) -> Event | None:
        if self.read_only:
            raise JournalWriteError(READ_ONLY_MESSAGE)
        if self.write_problem is not None:
            raise JournalWriteError(self.write_problem)
        if not kind:
            raise JournalWriteError("an event needs a kind")
        who = clean(actor, 200) if actor else self.actor
        at = self.clock.now()
        body = json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            try:
                conn = self._current()
                assert conn is not None  # a writer always has a connection
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if once and recorded(
                        conn.execute("SELECT payload FROM events WHERE kind = ?", (kind,)), key
                    ):
                        conn.execute("COMMIT")
                        return None
                    cursor = conn.execute(
                        "INSERT INTO events (at, actor, kind, payload) VALUES (?, ?, ?, ?)",
                        (format_at(at), who, kind, body),
                    )
                    conn.execute("COMMIT")
                    self._appended += 1
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise JournalWriteError(
                    f"journal {self.path.name}: {describe_error(exc)}"
                ) from None
        seq = cursor.lastrowid
        assert seq is not None
        return Event(seq=seq, at=at, actor=who, kind=kind, payload=json.loads(body))

    async def record(
        self, kind: str, payload: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> Event:
        """`append` run in a thread, for callers on the event loop."""
        return await asyncio.to_thread(self.append, kind, payload, actor)

    async def record_once(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
        key: Mapping[str, Any] | None = None,
    ) -> Event | None:
        """`append_once` run in a thread, for callers on the event loop."""
        return await asyncio.to_thread(self.append_once, kind, payload, actor, key)

    # --- reading -----------------------------------------------------------------

    def events(self, after_seq: int = 0) -> list[Event]:
        """Every committed event with seq above `after_seq`, oldest first.

        A row that is not a whole event comes back as an `EVENT_DAMAGED` event; when
        pages are damaged, the rows still readable are returned and `damage` says so.
        """
        with self._lock:
            conn = self._current()
            if conn is None:
                return []
            primed = self._take_primed(conn, after_seq)
            if primed is not None:
                if primed:
                    self._last_at = primed[-1].at
                return primed
            try:
                rows = conn.execute(
                    f"{SELECT_EVENTS} WHERE seq > ? ORDER BY seq", (after_seq,)
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []  # a driver is creating the journal right now
                raise JournalUnreadable(
                    f"journal {self.path}: cannot read: {describe_error(exc)}"
                ) from None
            except sqlite3.DatabaseError as exc:
                rows, _ = salvage(conn, after_seq)
                if self.damage is None:
                    self.damage = (
                        f"journal {self.path.name} is damaged ({describe_error(exc)}): "
                        f"showing its readable events; {RECOVER_HINT}"
                    )
        events = decode_rows(rows, self._last_at)
        if events:
            self._last_at = events[-1].at
        return events

    def _current(self) -> sqlite3.Connection | None:
        """The connection, reopened when the file appeared, was rebuilt by another
        process, or (for an immutable reader) a writer began using it. Holds `_lock`."""
        if self._memory:
            return self._conn
        if (
            self._conn is not None
            and file_identity(self.path) in (None, self._identity)
            and not (self._immutable and wal_path(self.path).exists())
        ):
            return self._conn
        if self._conn is None and not self.path.exists():
            return None
        try:
            if self.read_only or self._immutable or self.write_problem is not None:
                conn, immutable = open_reader(self.path, lasting=True)
            else:
                conn, immutable = connect(str(self.path)), False
                prepare(conn)
        except (JournalError, sqlite3.Error):
            return self._conn
        if self._conn is not None:
            self._conn.close()
        self._conn, self._immutable = conn, immutable
        self._identity = file_identity(self.path)
        return conn

    async def follow(
        self, poll: float = 0.5, after_seq: int = 0
    ) -> AsyncGenerator[list[Event], None]:
        """Yield batches of new events, from this or any other process, as they commit.

        The first batch holds everything after `after_seq` (the whole journal by
        default); empty polls yield nothing. A poll first asks SQLite whether anything
        was committed since the last read (a few microseconds, on the event loop);
        the events are read in a thread only when something was. A read-only journal
        whose file does not exist yet waits for it.
        """
        last = after_seq
        seen: tuple[int, ...] | None = None
        while True:
            version = self._version()
            if version is None or version != seen:
                try:
                    batch = await asyncio.to_thread(self.events, last)
                except JournalUnreadable as exc:
                    self.damage = str(exc)
                    batch = []
                seen = version
                if batch:
                    last = batch[-1].seq
                    yield batch
            await asyncio.sleep(poll)

    def _version(self) -> tuple[int, ...] | None:
        """What changes with every commit (other connections', then this one's) or when
        the file appears or is replaced; None when unknown (a write holds the
        connection, or the database cannot say)."""
        if self._conn is None or self._immutable:
            return None  # waiting for the file, or for a writer: `events` looks
        if not self._lock.acquire(blocking=False):
            return None
        try:
            row = self._conn.execute("PRAGMA data_version").fetchone()
            return (int(row[0]), self._appended, *(file_identity(self.path) or (0, 0)))
        except sqlite3.Error:
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the database (checkpointing the WAL when this is the last user)."""
        with self._lock:
            self._primed = None
            if self._conn is not None:
                self._conn.close()

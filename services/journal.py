"""The incident journal: one append-only SQLite database per incident.

Every change anyone makes during an incident (a tick, a note, an escalation ack) is an
event appended here and committed durably before the caller is told it happened; the
checklist, the timeline and the report are all replays of these events. Several
processes may share one journal (the driver over SSH, a read-only projector view), so
`follow` polls the file for events written by anyone.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sqlite3
import subprocess
import threading
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.clock import Clock
from services.sanitize import clean

BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process holding the write lock."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""

READ_ONLY_MESSAGE = "read-only: changes are refused"


class JournalWriteError(Exception):
    """An event could not be saved; the message is one line fit for a NOT SAVED banner."""


@dataclass(frozen=True)
class Event:
    """One committed journal entry: who did what, when, with its details."""

    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


def journal_path(state_dir: Path, incident_id: str) -> Path:
    """Where the journal of `incident_id` lives inside the state dir."""
    return state_dir / f"{incident_id}.sqlite3"


def default_actor(env: Mapping[str, str] | None = None) -> str:
    """Who is at the keyboard: WARROOM_ACTOR, else git's user.name, else the login name."""
    env = os.environ if env is None else env
    name = env.get("WARROOM_ACTOR", "").strip()
    if not name:
        try:
            result = subprocess.run(
                ["git", "config", "user.name"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            )
            name = result.stdout.strip() if result.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            name = ""
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = "unknown"
    return clean(name, 200)


def _format_at(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _row_to_event(row: tuple[Any, ...]) -> Event:
    seq, at, actor, kind, payload = row
    try:
        data = json.loads(payload)
    except (TypeError, ValueError):
        data = {"raw": str(payload)}
    if not isinstance(data, dict):
        data = {"value": data}
    return Event(
        seq=int(seq),
        at=datetime.fromisoformat(str(at)),
        actor=str(actor),
        kind=str(kind),
        payload=data,
    )


def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=uri,
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(_SCHEMA)


def _check(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError when the file is damaged."""
    results = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    if results != ["ok"]:
        problems = [line for text in results for line in text.splitlines() if "***" not in line]
        raise sqlite3.DatabaseError(f"integrity check: {(problems or ['no answer'])[0]}")
    # A file cut inside a page can pass the structural check and read back zeros:
    # every row must still be a whole event.
    last = 0
    for row in conn.execute("SELECT seq, at, actor, kind, payload FROM events ORDER BY seq"):
        if not _sound(tuple(row), last):
            raise sqlite3.DatabaseError(f"integrity check: event {row[0]} is damaged")
        last = int(row[0])


def _sound(row: tuple[Any, ...], last: int) -> bool:
    """Whether a row read from a damaged file is a whole event, not debris."""
    seq, at, actor, kind, payload = row
    if not isinstance(seq, int) or seq <= last:
        return False
    if not all(isinstance(v, str) for v in (at, actor, kind, payload)) or not kind:
        return False
    try:
        datetime.fromisoformat(at)
        return isinstance(json.loads(payload), dict)
    except ValueError:
        return False


def _salvage(damaged: Path) -> list[tuple[Any, ...]]:
    """Every events row still readable from a damaged file, in seq order."""
    rows: list[tuple[Any, ...]] = []
    try:
        conn = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.Error:
        return rows
    try:
        last = 0
        floor = 0
        while True:
            try:
                cursor = conn.execute(
                    "SELECT seq, at, actor, kind, payload FROM events WHERE seq > ? ORDER BY seq",
                    (last,),
                )
                for row in cursor:
                    if _sound(row, last):
                        rows.append(tuple(row))
                        last = int(row[0])
                break
            except sqlite3.Error:
                pass
            # A damaged page stopped the scan: probe further and further past it, so
            # rows beyond one bad page are still saved. `floor` only grows: no loops.
            start = max(last, floor)
            resumed = False
            for power in range(25):
                probe = start + (1 << power)
                try:
                    found = conn.execute(
                        "SELECT seq FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (probe,)
                    ).fetchone()
                except sqlite3.Error:
                    continue
                if found is not None:
                    last, floor, resumed = int(found[0]) - 1, probe, True
                break
            if not resumed:
                break
    finally:
        conn.close()
    return rows


class Journal:
    """An open incident journal; appends are durable before `append` returns."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        clock: Clock,
        actor: str,
        read_only: bool,
        write_problem: str | None = None,
        recovery: str | None = None,
    ) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._appended = 0
        """Commits through this connection (SQLite's `data_version` counts only others')."""
        self.path = path
        self.clock = clock
        self.actor = actor
        self.read_only = read_only
        self.write_problem = write_problem
        """Why appends will fail even though the journal opened (unwritable dir), or None."""
        self.recovery = recovery
        """A one-line message when the file was damaged and rebuilt on open, else None."""

    # --- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, clock: Clock, actor: str, read_only: bool = False) -> Journal:
        """Open (creating when allowed) the journal at `path`, recovering a damaged file.

        It never raises for an unwritable place: the journal then opens read-only or
        empty, and `append` raises `JournalWriteError` saying why.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(str(path))
        except (OSError, sqlite3.Error) as exc:
            problem = f"cannot write journal {path}: {_describe(exc)}"
            return cls._open_fallback(path, clock, actor, read_only, problem)
        recovery: str | None = None
        try:
            _prepare(conn)
            _check(conn)
        except sqlite3.OperationalError as exc:
            # Cannot write here (read-only file or dir, locked): not damage.
            conn.close()
            problem = f"cannot write journal {path}: {_describe(exc)}"
            return cls._open_fallback(path, clock, actor, read_only, problem)
        except sqlite3.DatabaseError as exc:
            conn.close()
            recovery = _recover(path, clock, exc)
            conn = _connect(str(path))
            _prepare(conn)
        return cls(conn, path, clock, actor, read_only, None, recovery)

    @classmethod
    def _open_fallback(
        cls, path: Path, clock: Clock, actor: str, read_only: bool, problem: str
    ) -> Journal:
        if path.exists():
            try:
                conn = _connect(f"file:{path}?mode=ro", uri=True)
                conn.execute("SELECT count(*) FROM events").fetchone()
                return cls(conn, path, clock, actor, read_only, problem)
            except sqlite3.Error:
                pass
        conn = _connect(":memory:")
        conn.executescript(_SCHEMA)
        return cls(conn, path, clock, actor, read_only, problem)

    # --- writing -----------------------------------------------------------------

    def append(self, kind: str, payload: Mapping[str, Any] | None = None) -> Event:
        """Commit one event durably and return it; raise `JournalWriteError` on failure."""
        if self.read_only:
            raise JournalWriteError(READ_ONLY_MESSAGE)
        if self.write_problem is not None:
            raise JournalWriteError(f"NOT SAVED: {self.write_problem}")
        if not kind:
            raise JournalWriteError("NOT SAVED: an event needs a kind")
        at = self.clock.now()
        body = json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    cursor = self._conn.execute(
                        "INSERT INTO events (at, actor, kind, payload) VALUES (?, ?, ?, ?)",
                        (_format_at(at), self.actor, kind, body),
                    )
                    self._conn.execute("COMMIT")
                    self._appended += 1
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise JournalWriteError(
                    f"NOT SAVED: journal {self.path.name}: {_describe(exc)}"
                ) from None
        seq = cursor.lastrowid
        assert seq is not None
        return Event(seq=seq, at=at, actor=self.actor, kind=kind, payload=json.loads(body))

    async def record(self, kind: str, payload: Mapping[str, Any] | None = None) -> Event:
        """`append` run in a thread, for callers on the event loop."""
        return await asyncio.to_thread(self.append, kind, payload)

    # --- reading -----------------------------------------------------------------

    def events(self, after_seq: int = 0) -> list[Event]:
        """Every committed event with seq above `after_seq`, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, at, actor, kind, payload FROM events WHERE seq > ? ORDER BY seq",
                (after_seq,),
            ).fetchall()
        return [_row_to_event(row) for row in rows]

    async def follow(
        self, poll: float = 0.5, after_seq: int = 0
    ) -> AsyncGenerator[list[Event], None]:
        """Yield batches of new events, from this or any other process, as they commit.

        The first batch holds everything after `after_seq` (the whole journal by
        default); empty polls yield nothing. A poll first asks SQLite whether anything
        was committed since the last read (a few microseconds, on the event loop);
        the events are read in a thread only when something was.
        """
        last = after_seq
        seen: tuple[int, int] | None = None
        while True:
            version = self._version()
            if version is None or version != seen:
                batch = await asyncio.to_thread(self.events, last)
                seen = version
                if batch:
                    last = batch[-1].seq
                    yield batch
            await asyncio.sleep(poll)

    def _version(self) -> tuple[int, int] | None:
        """What changes with every commit (other connections', then this one's); None
        when unknown (a write holds the connection, or the database cannot say)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            row = self._conn.execute("PRAGMA data_version").fetchone()
            return (int(row[0]), self._appended)
        except sqlite3.Error:
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the database (checkpointing the WAL when this is the last user)."""
        with self._lock:
            self._conn.close()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return clean(text.splitlines()[0] if text else text, 300)


def _recover(path: Path, clock: Clock, exc: BaseException) -> str:
    """Move a damaged journal aside and rebuild `path` from its readable rows."""
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    path.replace(damaged)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            side.replace(Path(f"{damaged}{suffix}"))
    rows = _salvage(damaged)
    conn = _connect(str(path))
    try:
        _prepare(conn)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (seq, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?)", rows
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return (
        f"journal {path.name} was damaged ({_describe(exc)}): recovered {len(rows)} events; "
        f"the damaged file is kept as {damaged.name}"
    )

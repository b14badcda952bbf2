"""The incident journal on PostgreSQL: one database shared by every screen of an incident.

SQLite stays the embedded default; `[journal] url` moves the journal to a server so
screens on several machines share it. The guarantees are the SQLite journal's:

- An append is committed before `append` returns (a tick shows done only then), and a
  failed one raises `JournalWriteError`: nothing is kept in memory to be sent later.
- Every instance applies every event once, in seq order. The session reads "every
  event after the last seq it applied", which holds only if seq order is commit order.
  A PostgreSQL sequence is not (two transactions may take 7 and 8 and commit 8 first,
  and a reader between the two commits would skip 7 forever), so an append takes the
  table's write lock (`LOCK TABLE ... IN EXCLUSIVE MODE`, which readers never wait for)
  and numbers its event `max(seq) + 1` inside that transaction: seqs are gapless and
  committed in order.
- The events are append-only: triggers refuse UPDATE, DELETE and TRUNCATE.
- Followers are woken by LISTEN/NOTIFY (the append notifies inside its transaction,
  so the wake-up comes with the commit) and poll as the safety net.
- The server may restart or the network drop mid-incident: while it is unreachable
  `damage` says changes are NOT SAVED (the screen's banner), appends raise, and the
  connection is retried with a growing pause; reading resumes from the last seq
  applied, so nothing is lost or applied twice.

The password (from `${env:PGPASSWORD}` or the URL itself) is never in a message: the
journal is named by its URL without it (`display_url`), and every server message is
sanitized and masked before it is shown (`postgres_url.py`). Reading a journal whole
and copying one into the server are in `postgres_copy.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any

import psycopg

from warroom.services.clock import Clock
from warroom.services.journal.format import (
    SELECT_EVENTS,
    Event,
    JournalWriteError,
    decode_rows,
    format_at,
    recorded,
)
from warroom.services.journal.postgres_url import display_url, server_message
from warroom.services.sanitize import clean

__all__ = ["CHANNEL", "PostgresJournal"]

CHANNEL = "warroom_events"
"""The LISTEN/NOTIFY channel an append wakes followers on (payload: the new seq)."""

CONNECT_TIMEOUT = 3
"""Seconds a connection attempt may take (libpq counts whole seconds, 2 at least)."""

RETRY_FIRST = 0.25
RETRY_MAX = 4.0
"""The pause between reconnection attempts doubles from RETRY_FIRST up to RETRY_MAX:
a restarted server is found within seconds, a dead one is not hammered."""

_SCHEMA_LOCK = 0x7761_7272_6F6F_6D
"""Advisory lock key ("warroom") taken while the schema is created, so dashboards
started together never race on CREATE TABLE."""

SCHEMA = f"""
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE journal_incident (id TEXT PRIMARY KEY);
CREATE FUNCTION warroom_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION warroom_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION warroom_append_only();
CREATE TRIGGER incident_no_update BEFORE UPDATE OR DELETE ON journal_incident
    FOR EACH ROW EXECUTE FUNCTION warroom_append_only();
COMMENT ON TABLE events IS 'warroom incident journal ({CHANNEL}): append-only';
"""
"""The SQLite journal's event table, plus the incident it belongs to: one database
(or schema, through the URL's `options=-csearch_path=...`) holds one incident, and a
dashboard of another incident pointed at it is refused instead of mixing the two."""


class PostgresJournal:
    """An open incident journal on a PostgreSQL server (see the module docstring).

    It has the SQLite `Journal`'s interface (`append`, `record`, `events`, `follow`,
    `damage`, `write_problem`), so the session and the screens do not know which one
    they hold.
    """

    def __init__(self, url: str, incident: str, clock: Clock, actor: str, read_only: bool) -> None:
        self.url = url
        self.name = display_url(url)
        self.incident = incident
        self.clock = clock
        self.actor = actor
        self.read_only = read_only
        self.recovery: str | None = None
        """Never set: a server journal is not rebuilt by warroom (kept for the interface)."""
        self.write_problem: str | None = None
        """Why appends fail for good (this database holds another incident), or None."""
        self._problem: str | None = None
        """A lasting problem with the database itself, shown as the journal's damage."""
        self._outage: str | None = None
        """Why the server cannot be reached right now; None while connected."""
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._retry_pause = RETRY_FIRST
        self._ready = False
        """The schema exists and belongs to this incident."""
        self._last_at: datetime | None = None
        self._closed = False

    # --- opening -----------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str, incident: str, clock: Clock, actor: str, read_only: bool = False
    ) -> PostgresJournal:
        """Connect and (for a writer) create the schema; never raises for an unreachable
        server: the journal then opens disconnected, `damage` says so, and it keeps
        trying to reconnect."""
        journal = cls(url, incident, clock, actor, read_only)
        with journal._lock:
            journal._connection()
        return journal

    @property
    def damage(self) -> str | None:
        """One line for the persistent banner: the server is unreachable (changes are
        NOT SAVED until it is back), or the database is not this incident's journal."""
        return self._outage or self._problem

    @property
    def missing(self) -> bool:
        """A read-only journal whose database has no journal yet (no driver opened it)."""
        return not self._ready and self._outage is None and self._problem is None

    def _say(self, exc: BaseException) -> str:
        """A server or driver message fit for the screen: one line, no password."""
        return server_message(exc, self.url)

    def connection(self) -> psycopg.Connection[Any] | None:
        """The connection as it is, for `copy_events`, which writes whole rows itself."""
        return self._conn

    def _connection(self) -> psycopg.Connection[Any] | None:
        """The live connection, reconnecting when the last attempt is old enough.

        Holds `_lock`. Returns None while the server is unreachable (`_outage` says
        why) or the journal is not ready (a viewer waiting for the driver).
        """
        if self._closed:
            return None
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            if not self._ready:
                self._prepare(conn)
            return conn if self._ready else None
        if time.monotonic() < self._retry_at:
            return None
        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name="warroom",
            )
        except psycopg.Error as exc:
            self._lost(exc)
            return None
        self._conn = conn
        self._outage = None
        self._retry_pause = RETRY_FIRST
        self._ready = False
        self._prepare(conn)
        return conn if self._ready else None

    def _lost(self, exc: BaseException) -> None:
        """The connection failed: say so, drop it, and wait a growing pause to retry."""
        self._outage = (
            f"journal {self.name}: server unreachable ({self._say(exc)}): "
            "changes are NOT SAVED until it is back; reconnecting"
        )
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None
        self._ready = False
        self._retry_at = time.monotonic() + self._retry_pause
        self._retry_pause = min(self._retry_pause * 2, RETRY_MAX)

    def _prepare(self, conn: psycopg.Connection[Any]) -> None:
        """Make sure the schema exists (a writer creates it) and is this incident's."""
        try:
            with conn.transaction():
                if not self.read_only:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                found = conn.execute("SELECT to_regclass('journal_incident')").fetchone()
                if found is None or found[0] is None:
                    if self.read_only:
                        return  # a viewer waits for the driver to create it
                    conn.execute(SCHEMA)
                    conn.execute("INSERT INTO journal_incident (id) VALUES (%s)", (self.incident,))
                row = conn.execute("SELECT id FROM journal_incident").fetchone()
        except psycopg.OperationalError as exc:
            self._lost(exc)
            return
        except psycopg.Error as exc:
            # Connected but refused: no permission to create tables, a foreign schema.
            self._problem = f"journal {self.name}: {self._say(exc)}"
            self.write_problem = self._problem
            return
        holder = str(row[0]) if row is not None else ""
        if holder != self.incident:
            self._problem = (
                f"journal {self.name}: holds incident {clean(holder, 100)!r}, "
                f"not {self.incident!r}: use a database of its own for each incident"
            )
            self.write_problem = self._problem
            return
        self._problem = None
        self._ready = True

    # --- writing -----------------------------------------------------------------

    def append(
        self, kind: str, payload: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> Event:
        """Commit one event and return it; raise `JournalWriteError` when it is not saved."""
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
        `key`, unless one whose payload holds every item of `key`. The check and the
        insert hold the same lock, so two instances append it once."""
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
            raise JournalWriteError("read-only: changes are refused")
        if not kind:
            raise JournalWriteError("an event needs a kind")
        who = clean(actor, 200) if actor else self.actor
        at = self.clock.now()
        body = json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True, default=str)
        with self._lock:
            conn = self._connection()
            if conn is None:
                raise JournalWriteError(self.write_problem or self.damage or "not connected")
            try:
                with conn.transaction():
                    # The write lock makes seq order commit order (see the module docstring).
                    conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                    if once and recorded(
                        conn.execute("SELECT payload FROM events WHERE kind = %s", (kind,)), key
                    ):
                        return None
                    row = conn.execute(
                        "INSERT INTO events (seq, at, actor, kind, payload) "
                        "SELECT coalesce(max(seq), 0) + 1, %s, %s, %s, %s FROM events "
                        "RETURNING seq",
                        (format_at(at), who, kind, body),
                    ).fetchone()
                    assert row is not None
                    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(row[0])))
            except psycopg.OperationalError as exc:
                # Lost mid-append: the commit may or may not have happened. Either way
                # the caller is told it is not saved; if it was, the event comes back
                # through `events` like anyone else's and is applied then.
                self._lost(exc)
                raise JournalWriteError(self._outage or self._say(exc)) from None
            except psycopg.Error as exc:
                raise JournalWriteError(f"journal {self.name}: {self._say(exc)}") from None
        return Event(seq=int(row[0]), at=at, actor=who, kind=kind, payload=json.loads(body))

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

        While the server is unreachable it returns nothing new (and `damage` says why):
        the caller asks again from the same seq later, so nothing is skipped.
        """
        with self._lock:
            conn = self._connection()
            if conn is None:
                return []
            try:
                rows = conn.execute(
                    f"{SELECT_EVENTS} WHERE seq > %s ORDER BY seq", (after_seq,)
                ).fetchall()
            except psycopg.OperationalError as exc:
                self._lost(exc)
                return []
            except psycopg.Error as exc:
                self._problem = f"journal {self.name}: cannot read: {self._say(exc)}"
                return []
        events = decode_rows([tuple(row) for row in rows], self._last_at)
        if events:
            self._last_at = events[-1].at
        return events

    async def follow(
        self, poll: float = 0.5, after_seq: int = 0
    ) -> AsyncGenerator[list[Event], None]:
        """Yield batches of new events, from this or any other instance, as they commit.

        A notification wakes the follower at once; without one it looks every `poll`
        seconds (a lost notification, a reconnect, a server restart).
        """
        last = after_seq
        listener: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                batch = await asyncio.to_thread(self.events, last)
                if batch:
                    last = batch[-1].seq
                    yield batch
                listener = await self._wait(listener, poll)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _wait(
        self, listener: psycopg.AsyncConnection[Any] | None, poll: float
    ) -> psycopg.AsyncConnection[Any] | None:
        """Wait for a notification or `poll` seconds; returns the listener to keep.

        The listener is a connection of its own (the main one is used from threads);
        when it cannot be had, the wait is a plain poll.
        """
        if listener is None or listener.closed or listener.broken:
            listener = None
            if self._outage is None and not self._closed:
                try:
                    listener = await psycopg.AsyncConnection.connect(
                        self.url,
                        autocommit=True,
                        connect_timeout=CONNECT_TIMEOUT,
                        application_name="warroom follower",
                    )
                    await listener.execute(f"LISTEN {CHANNEL}")
                    # Anything committed while the listener was being set up is read
                    # at once: the wait below only covers later commits.
                    return listener
                except psycopg.Error:
                    if listener is not None:
                        with contextlib.suppress(Exception):
                            await listener.close()
                    listener = None
        if listener is None:
            await asyncio.sleep(poll)
            return None
        try:
            async for _ in listener.notifies(timeout=poll, stop_after=1):
                pass
        except psycopg.Error:
            with contextlib.suppress(Exception):
                await listener.close()
            await asyncio.sleep(poll)
            return None
        return listener

    def close(self) -> None:
        """Close the connection; a follower's listener closes with its generator."""
        with self._lock:
            self._closed = True
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None

"""One-shot use of a PostgreSQL journal: read it whole, or copy a journal into it.

The report and `warroom journal copy` need a journal read or written once, with every
problem raised as one line rather than shown as an empty incident.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from warroom.services.journal.format import (
    SELECT_EVENTS,
    Event,
    JournalError,
    JournalMissing,
    JournalUnreadable,
    JournalWriteError,
    decode_rows,
    format_at,
)
from warroom.services.journal.postgres import CHANNEL, PostgresJournal
from warroom.services.journal.postgres_url import display_url, server_message


@dataclass(frozen=True)
class CopyResult:
    """What `copy_events` did: how many events it added and which seqs they were."""

    copied: int
    first: int | None
    last: int | None
    total: int


def read_events(url: str, incident: str) -> list[Event]:
    """Every event of a PostgreSQL journal, for one-shot readers (report, copy): raises
    `JournalUnreadable` (server unreachable, another incident's journal) instead of
    reading as empty."""
    journal = PostgresJournal.open(url, incident, _NoClock(), "reader", read_only=True)
    try:
        problem = journal.damage
        if problem is not None:
            raise JournalUnreadable(problem)
        if journal.missing:
            raise JournalMissing(f"journal {journal.name}: does not exist yet")
        return journal.events()
    finally:
        journal.close()


def copy_events(events: Sequence[Event], url: str, incident: str) -> CopyResult:
    """Copy a journal's events into the PostgreSQL journal at `url`, keeping each one's
    seq, time, actor, kind and payload.

    Run again while the old journal is still written to, it copies only what is new:
    the server's events must be exactly the first events of `events` (else nothing is
    copied and `JournalError` says where they differ), so a move is never a merge.
    """
    if any(event.damaged for event in events):
        raise JournalError(
            "the journal has damaged events: run `warroom journal recover` before copying it"
        )
    target = PostgresJournal.open(url, incident, _NoClock(), "copy")
    try:
        if target.damage is not None:
            raise JournalWriteError(target.damage)
        conn = target.connection()
        assert conn is not None
        name = display_url(url)
        try:
            with conn.transaction():
                conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                rows = conn.execute(f"{SELECT_EVENTS} ORDER BY seq").fetchall()
                present = decode_rows([tuple(row) for row in rows])
                for mine, theirs in zip(present, events, strict=False):
                    if _stored(mine) != _stored(theirs):
                        raise JournalError(
                            f"journal {name}: event {mine.seq} differs from the one being "
                            "copied: it already holds another journal; nothing was copied"
                        )
                if len(present) > len(events):
                    raise JournalError(
                        f"journal {name}: holds {len(present)} events, more than the "
                        f"{len(events)} being copied; nothing was copied"
                    )
                fresh = list(events[len(present) :])
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO events (seq, at, actor, kind, payload) "
                        "VALUES (%s, %s, %s, %s, %s)",
                        [_stored(event) for event in fresh],
                    )
                if fresh:
                    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(fresh[-1].seq)))
        except psycopg.Error as exc:
            raise JournalWriteError(f"journal {name}: {server_message(exc, url)}") from None
    finally:
        target.close()
    return CopyResult(
        copied=len(fresh),
        first=fresh[0].seq if fresh else None,
        last=fresh[-1].seq if fresh else None,
        total=len(events),
    )


def _stored(event: Event) -> tuple[int, str, str, str, str]:
    """An event as a row: the text a warroom writer stores for it."""
    body = json.dumps(event.payload, ensure_ascii=False, sort_keys=True, default=str)
    return (event.seq, format_at(event.at), event.actor, event.kind, body)


class _NoClock:
    """The clock of a journal that only reads or copies (it stamps no new event)."""

    def now(self) -> datetime:
        raise JournalWriteError("this journal handle does not write new events")

    def monotonic(self) -> float:
        return time.monotonic()

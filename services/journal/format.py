"""What a journal file holds: the schema, the event, and how a stored row becomes one.

Kept apart from `warroom.services.journal.store` (opening, appending, following) and
`warroom.services.journal.repair` (checking and rebuilding damaged files) because both read
rows the same way: a row that is not a whole event (bytes that are not UTF-8, a time
that is not a time, a payload that is not a JSON object) becomes a visible "damaged
event" instead of crashing the reader or vanishing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from warroom.services.sanitize import clean

SCHEMA = """
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

SELECT_EVENTS = "SELECT seq, at, actor, kind, payload FROM events"

SYSTEM_ACTOR = "warroom"
"""The actor of events nobody typed: health changes, alerts, escalation crossings."""

EVENT_DAMAGED = "journal.event-damaged"
"""The kind a reader gives a stored row that is not a whole event (it is never written)."""

JOURNAL_RECOVERED = "journal.recovered"
"""Written first into a rebuilt journal: how many events were kept, which were lost."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

by_seq = attrgetter("seq")
"""The sort key of events in journal order (a C getter: reports sort thousands)."""


class JournalError(Exception):
    """A journal problem a user meets (damage, a full disk, permissions): one line."""


class JournalWriteError(JournalError):
    """An event could not be saved; the message is one line fit for a NOT SAVED banner."""


class JournalUnreadable(JournalError):
    """The journal file cannot be read at all (a directory, no permission, not SQLite)."""


class JournalMissing(JournalUnreadable):
    """There is no journal file yet: the incident was never opened by a driver."""


class JournalDamaged(JournalUnreadable):
    """The file is damaged (pages, cut short); `warroom journal recover` rebuilds it."""


@dataclass(frozen=True)
class Event:
    """One committed journal entry: who did what, when, with its details."""

    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def damaged(self) -> bool:
        """Whether the stored row could not be read as an event (see `decode_row`)."""
        return self.kind == EVENT_DAMAGED


def format_at(at: datetime) -> str:
    """A time as stored: UTC, ISO 8601, microseconds (sorts as text)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _text(value: object, name: str, problems: list[str]) -> str:
    """A stored TEXT value, read as bytes so a bad byte is a finding, not a crash."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{name} is not UTF-8")
            return value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    problems.append(f"{name} is not text")
    return "" if value is None else str(value)


def row_problems(row: tuple[Any, ...]) -> tuple[list[str], dict[str, Any] | None, datetime | None]:
    """What is wrong with a stored row (empty when it is a whole event), its payload
    and its time when readable."""
    _, at, actor, kind, payload = row
    problems: list[str] = []
    at_text = _text(at, "time", problems)
    _text(actor, "actor", problems)
    kind_text = _text(kind, "kind", problems)
    payload_text = _text(payload, "payload", problems)
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(at_text)
    except ValueError:
        problems.append(f"time {clean(at_text, 40)!r} is not a time")
    else:
        if when.tzinfo is None:
            problems.append(f"time {clean(at_text, 40)!r} has no time zone")
            when = None
    if not kind_text:
        problems.append("kind is empty")
    data: dict[str, Any] | None = None
    try:
        loaded = json.loads(payload_text)
    except ValueError:
        problems.append("payload is not JSON")
    else:
        if isinstance(loaded, dict):
            data = loaded
        else:
            problems.append("payload is not a JSON object")
    return problems, data, when


@lru_cache(maxsize=256)
def _actor(text: str) -> str:
    """A stored actor as shown; an incident has a handful, so each is cleaned once."""
    return clean(text, 200) or "?"


def _whole_event(seq: int, row: tuple[Any, ...]) -> Event | None:
    """The event a sound row holds, or None when anything is off.

    The common case, read in one go: four UTF-8 texts, a time with a zone, a non-empty
    kind and a JSON object. Any doubt returns None and `row_problems` looks at the row
    field by field, so a damaged row is described exactly as before; this only spares
    the sound rows (all of them, usually) that bookkeeping.
    """
    _, at, actor, kind, payload = row
    try:
        at_text = at.decode("utf-8") if type(at) is bytes else at
        actor_text = actor.decode("utf-8") if type(actor) is bytes else actor
        kind_text = kind.decode("utf-8") if type(kind) is bytes else kind
        payload_text = payload.decode("utf-8") if type(payload) is bytes else payload
    except UnicodeDecodeError:
        return None
    if not (
        type(at_text) is str
        and type(actor_text) is str
        and type(kind_text) is str
        and type(payload_text) is str
        and kind_text
    ):
        return None
    try:
        when = datetime.fromisoformat(at_text)
        data = json.loads(payload_text)
    except ValueError:
        return None
    if when.tzinfo is None or type(data) is not dict:
        return None
    return Event(seq, when, _actor(actor_text), kind_text, data)


def decode_row(row: tuple[Any, ...], fallback_at: datetime | None = None) -> Event:
    """The event a stored row holds, or an `EVENT_DAMAGED` event saying what is wrong.

    A damaged event keeps its seq and, when readable, the kind it had; its time is the
    row's own when readable, else `fallback_at` (the event before it), so the timeline
    keeps its order and a report can say "event 17 is damaged".
    """
    seq = int(row[0])
    whole = _whole_event(seq, row)
    if whole is not None:
        return whole
    problems, data, when = row_problems(row)
    scratch: list[str] = []
    actor = clean(_text(row[2], "actor", scratch), 200) or "?"
    if not problems and data is not None and when is not None:
        return Event(seq, when, actor, _text(row[3], "kind", scratch), data)
    return Event(
        seq=seq,
        at=when or fallback_at or EPOCH,
        actor=actor,
        kind=EVENT_DAMAGED,
        payload={
            "kind": clean(_text(row[3], "kind", scratch), 100),
            "problem": "; ".join(problems),
            "excerpt": clean(_text(row[4], "payload", scratch), 200),
        },
    )


def decode_rows(rows: list[tuple[Any, ...]], fallback_at: datetime | None = None) -> list[Event]:
    """`decode_row` over rows in seq order, each damaged one timed after its predecessor."""
    events: list[Event] = []
    for row in rows:
        event = decode_row(row, fallback_at)
        fallback_at = event.at
        events.append(event)
    return events


def describe_damaged(events: list[Event]) -> str:
    """ "event 17 (payload is not JSON)", "3 events (17, 18, 40)": for one-line messages."""
    bad = [e for e in events if e.damaged]
    if len(bad) == 1:
        return f"event {bad[0].seq} is damaged ({bad[0].payload.get('problem', '')})"
    seqs = ", ".join(str(e.seq) for e in bad[:10]) + (", ..." if len(bad) > 10 else "")
    return f"{len(bad)} events are damaged ({seqs})"


def seq_ranges(seqs: list[int]) -> list[list[int]]:
    """Sorted seqs as inclusive ranges: [3, 4, 5, 9] -> [[3, 5], [9, 9]]."""
    ranges: list[list[int]] = []
    for seq in sorted(set(seqs)):
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1][1] = seq
        else:
            ranges.append([seq, seq])
    return ranges


def format_ranges(ranges: list[list[int]]) -> str:
    """[[3, 5], [9, 9]] -> "3-5, 9" for messages."""
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)


def recorded(rows: Iterable[tuple[Any, ...]], key: Mapping[str, Any] | None) -> bool:
    """Whether one of `rows` (payload texts of one kind) holds every item of `key`."""
    for (text,) in rows:
        if key is None:
            return True
        try:
            payload = json.loads(text)
        except (TypeError, ValueError):
            continue  # a damaged row matches nothing
        if isinstance(payload, dict) and all(payload.get(k) == v for k, v in key.items()):
            return True
    return False

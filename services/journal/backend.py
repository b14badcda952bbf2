"""Which journal an incident uses: the embedded SQLite file, or a PostgreSQL server.

`EventJournal` is what the session and the screens need from a journal, whichever it
is; `open_journal` picks the backend from the config (`[journal] url`), so nothing
above this module knows which one it holds. psycopg is imported only when a
PostgreSQL journal is configured.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, Protocol

from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.journal.format import Event, JournalError
from warroom.services.journal.readers import read_journal
from warroom.services.journal.store import Journal, journal_path


class EventJournal(Protocol):
    """An open incident journal: durable appends, ordered reads, and a follower."""

    @property
    def actor(self) -> str:
        """Who is at this keyboard (the actor of this instance's events)."""
        ...

    @property
    def read_only(self) -> bool:
        """Whether every append is refused (a projector view)."""
        ...

    @property
    def damage(self) -> str | None:
        """What is wrong with the journal now, one line for a persistent banner."""
        ...

    @property
    def write_problem(self) -> str | None:
        """Why appends fail for good although the journal opened, or None."""
        ...

    @property
    def recovery(self) -> str | None:
        """Set when a damaged journal was rebuilt on open, else None."""
        ...

    def append(
        self, kind: str, payload: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> Event:
        """Commit one event durably and return it; raise `JournalWriteError` if not saved."""
        ...

    def append_once(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
        key: Mapping[str, Any] | None = None,
    ) -> Event | None:
        """Append unless an event of `kind` (holding every item of `key`) is already in
        the journal (then None), checked and inserted in one transaction."""
        ...

    async def record(
        self, kind: str, payload: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> Event:
        """`append` off the event loop."""
        ...

    async def record_once(
        self,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
        key: Mapping[str, Any] | None = None,
    ) -> Event | None:
        """`append_once` off the event loop."""
        ...

    def events(self, after_seq: int = 0) -> list[Event]:
        """Every committed event with seq above `after_seq`, oldest first."""
        ...

    def follow(self, poll: float = 0.5, after_seq: int = 0) -> AsyncGenerator[list[Event], None]:
        """Batches of new events from any instance, as they commit."""
        ...

    def close(self) -> None:
        """Release the journal."""
        ...


def open_journal(
    loaded: LoadedConfig, clock: Clock, actor: str, *, read_only: bool = False
) -> EventJournal:
    """Open the incident's journal where the config puts it (blocking: call it in a
    thread); it never raises for a place that cannot be reached (see each backend)."""
    incident = loaded.config.incident.id
    url = loaded.config.journal.url
    if url is not None:
        from warroom.services.journal.postgres import PostgresJournal

        return PostgresJournal.open(url, incident, clock, actor, read_only=read_only)
    return Journal.open(journal_path(loaded.state_dir, incident), clock, actor, read_only=read_only)


def journal_name(loaded: LoadedConfig) -> str:
    """How messages name the incident's journal: its file, or its URL without password."""
    url = loaded.config.journal.url
    if url is not None:
        from warroom.services.journal.postgres_url import display_url

        return display_url(url)
    return str(journal_path(loaded.state_dir, loaded.config.incident.id))


def read_incident(loaded: LoadedConfig) -> list[Event]:
    """Every event of the incident's journal for a one-shot reader (the report):
    raises `JournalError` subclasses with one line when it cannot be read."""
    url = loaded.config.journal.url
    if url is not None:
        from warroom.services.journal.postgres_copy import read_events

        return read_events(url, loaded.config.incident.id)
    return read_journal(journal_path(loaded.state_dir, loaded.config.incident.id))


__all__ = ["EventJournal", "JournalError", "journal_name", "open_journal", "read_incident"]

"""`warroom journal copy --to URL`: move a running incident's journal from SQLite to
PostgreSQL without losing an event.

The SQLite journal is read read-only (the dashboards driving it keep going), and its
events are copied with their seq, time, actor, kind and payload. Run again, it copies
only what was written since, so the move is: copy, point `[journal] url` at the server,
restart the dashboards, copy once more.
"""

from __future__ import annotations

import sys

from warroom.services.config import LoadedConfig
from warroom.services.journal.format import JournalError
from warroom.services.journal.readers import read_journal
from warroom.services.journal.store import journal_path

EXIT_JOURNAL = 1


def run_journal_copy(loaded: LoadedConfig, *, to: str) -> int:
    """Copy the incident's SQLite journal to the PostgreSQL journal at `to`: 0 when
    every event is there, 1 (one line on stderr) when it cannot be done."""
    from warroom.services.journal.postgres_copy import copy_events
    from warroom.services.journal.postgres_url import display_url, is_postgres_url

    name = display_url(to)
    if not is_postgres_url(to):
        print(f"warroom: --to {name}: not a PostgreSQL URL (postgresql://...)", file=sys.stderr)
        return EXIT_JOURNAL
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    try:
        events = read_journal(path)
        result = copy_events(events, to, loaded.config.incident.id)
    except JournalError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    if result.copied:
        print(
            f"warroom: copied {result.copied} events (seq {result.first}-{result.last}) "
            f"from {path} to {name}; it holds all {result.total}. Set [journal] url to it, "
            "restart the dashboards, and copy again to bring what was written meanwhile."
        )
    else:
        print(f"warroom: {name} already holds all {result.total} events of {path}")
    return 0

"""One-shot readers of a journal file: the strict read and the explicit recovery.

The report, `warroom journal check` and the copy to PostgreSQL read a journal once
and must never mistake a damaged file for an empty incident, so these raise with one
line naming the file instead of showing what they could.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from warroom.services.clock import Clock
from warroom.services.journal.connection import RECOVER_HINT, open_reader
from warroom.services.journal.format import (
    Event,
    JournalDamaged,
    JournalUnreadable,
    JournalWriteError,
)
from warroom.services.journal.repair import Recovery, describe_error, inspect, recover_file


def read_journal(path: Path) -> list[Event]:
    """Every event of a journal, for a one-shot reader such as the report.

    It opens the file read-only and changes nothing. A row that is not a whole event
    comes back as an `EVENT_DAMAGED` event (`Event.damaged`). Raises `JournalMissing`,
    `JournalUnreadable` or `JournalDamaged`, each with one line naming the file.
    """
    conn, _ = open_reader(Path(path), lasting=False)
    try:
        inspection = inspect(conn, Path(path))
    except sqlite3.Error as exc:
        raise JournalUnreadable(f"journal {path}: cannot read: {describe_error(exc)}") from None
    finally:
        conn.close()
    if inspection.problem is not None:
        raise JournalDamaged(f"journal {path}: damaged ({inspection.problem}); {RECOVER_HINT}")
    return inspection.events


def recover_journal(path: Path, clock: Clock) -> Recovery | None:
    """Rebuild a damaged journal from its readable events (explicit recovery).

    Returns None when the journal is sound (nothing is changed), else the `Recovery`
    (the damaged file is kept beside the rebuilt one). Raises `JournalMissing` or
    `JournalUnreadable` when there is nothing to recover, and `JournalWriteError`
    when the place cannot be written (nothing is moved then).
    """
    path = Path(path)
    conn, _ = open_reader(path, lasting=False)
    try:
        inspection = inspect(conn, path)
    finally:
        conn.close()
    if inspection.problem is None and not inspection.damaged_rows:
        return None
    recovery = recover_file(path, clock, inspection)
    if recovery is None:
        raise JournalWriteError(f"journal {path}: another process rebuilt it meanwhile")
    return recovery

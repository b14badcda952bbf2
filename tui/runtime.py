"""What one running dashboard needs: the config, the clock, and the services built from them.

The screen asks the runtime for its incident session; nothing here touches Textual.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.journal.actor import default_actor
from warroom.services.journal.backend import EventJournal, open_journal
from warroom.services.session import IncidentSession


@dataclass
class Runtime:
    """The composition root's state: config, clock, mode, and the incident journal."""

    loaded: LoadedConfig
    clock: Clock
    read_only: bool = False
    live: bool = True
    """False: start no worker and open no journal (snapshots feed fixed data)."""
    demo_root: Path | None = None
    actor: str = field(default_factory=lambda: default_actor(os.environ))
    journals: list[EventJournal] = field(default_factory=list, repr=False)
    """The journals opened through `open_journal`, closed by `close`."""
    _closed: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def open_journal(self) -> EventJournal:
        """Open the incident's journal, SQLite or `[journal] url` (blocking: call it in
        a thread). One that finishes opening after `close` is closed at once: the app
        was told to stop while it opened."""
        journal = open_journal(self.loaded, self.clock, self.actor, read_only=self.read_only)
        with self._lock:
            if not self._closed:
                self.journals.append(journal)
                return journal
        journal.close()
        return journal

    def close(self) -> None:
        """Close the journals this runtime opened (the app calls it as it ends, and the
        stopper at its deadline); any opened later is closed as it opens."""
        with self._lock:
            self._closed = True
            journals, self.journals = self.journals, []
        for journal in journals:
            journal.close()

    def session(self) -> IncidentSession:
        """The incident session of this dashboard: the services, wired, and the journal."""
        return IncidentSession(
            self.loaded,
            self.clock,
            actor=self.actor,
            read_only=self.read_only,
            open_journal=self.open_journal,
        )

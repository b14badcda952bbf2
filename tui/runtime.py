"""What one running dashboard needs: the config, the clock, and the services built from them.

The screen asks the runtime for services; nothing here touches Textual.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.clock import Clock
from services.config import LoadedConfig
from services.journal import Journal, default_actor, journal_path


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

    def open_journal(self) -> Journal:
        """Open the incident's journal (blocking: call it in a thread)."""
        config = self.loaded.config
        path = journal_path(self.loaded.state_dir, config.incident.id)
        return Journal.open(path, self.clock, self.actor, read_only=self.read_only)

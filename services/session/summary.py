"""The incident as the header shows it: who, what, how bad, for how long."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentSummary:
    """One line of incident facts for the header."""

    id: str
    title: str
    severity: str
    elapsed_s: float | None = None
    resolved: bool = False
    read_only: bool = False
    save_error: str | None = None
    """The last failed journal write; shown as a persistent NOT SAVED banner."""
    journal_damage: str | None = None
    """What is wrong with the journal file (damaged, rebuilt); a persistent banner."""
    rolled_back: str = ""
    """The hotfix and what it was rolled back to, once a rollback undid the latest deploy
    ("v1.2.4 rolled back to v1.2.3 at 14:05 UTC"); "" while the deploy stands. Git still
    names the hotfix as the release, so the release bar says this instead."""

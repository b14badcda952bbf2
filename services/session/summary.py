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

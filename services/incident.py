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


def format_elapsed(seconds: float | None) -> str:
    """H:MM:SS for the incident clock; "--:--:--" before the clock starts."""
    if seconds is None:
        return "-:--:--"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"

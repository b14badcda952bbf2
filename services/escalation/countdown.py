"""The incident clock and the countdowns as text: H:MM:SS and M:SS.

Shared by the pane, the header, the projector, the crossing toast and status updates,
so every place says the same time the same way.
"""

from __future__ import annotations


def format_hms(seconds: float) -> str:
    """H:MM:SS, for the incident clock (never negative)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_countdown(seconds: float) -> str:
    """M:SS below an hour, H:MM:SS above; rounds up so 0:00 means "now"."""
    total = max(0, int(-(-seconds // 1)))
    if total >= 3600:
        return format_hms(total)
    minutes, secs = divmod(total, 60)
    return f"{minutes}:{secs:02d}"

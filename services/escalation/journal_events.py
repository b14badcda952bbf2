"""What the escalation rules read from a journal event, and how they write one.

The rules take any object with these fields (the journal's `Event`, or an event the
step has just recorded and not yet read back), so they stay pure and testable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol


class EventLike(Protocol):
    """What this module reads from a journal event."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


Record = Callable[[str, dict[str, Any]], object]
"""Appends one event to the journal: `record(kind, payload)`."""


def payload_int(value: object) -> int | None:
    """An integer from an event's payload (a level, a checkpoint), or None.

    Payloads are JSON written by any instance or version, so a digit string counts and
    a bool (an int to Python) does not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None

"""Time for every service: wall time as aware UTC datetimes, and a monotonic clock.

Services take a `Clock` so tests and the demo can freeze or advance time instead of
sleeping. Wall time is for what users read (event times, the incident clock); the
monotonic clock is for durations and schedules, which must not jump with the wall.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What services need to know about time."""

    def now(self) -> datetime:
        """The current wall time, an aware datetime in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass
class ManualClock:
    """A clock that moves only when told: tests freeze it, advance it, or jump the wall."""

    wall: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    mono: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward together, as real time does."""
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """Move only the wall clock (NTP step, DST mistakes): the monotonic clock stays."""
        self.wall += timedelta(seconds=seconds)

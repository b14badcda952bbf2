"""Value types written as text in `warroom.toml`: durations ("15m") and status ranges.

They are pydantic `Annotated` types, so a model field declares `Duration` and the
text is turned into seconds (or refused with a message naming the value) on load.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

MAX_DURATION = 366 * 86400.0
"""Longest duration accepted (a year): longer ones overflow timers and date arithmetic."""


def _bounded(seconds: float, value: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError("a duration must be a finite number")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION:
        raise ValueError(f"duration {value!r} is longer than the most allowed, 366d")
    return seconds


def parse_duration(value: object) -> float:
    """Seconds from "500ms", "5s", "15m", "2h" or "1h30m"; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 5s, 15m or 2h")
    if isinstance(value, int | float):
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 500ms, 5s, 15m or 2h")
    text = value.strip().lower()
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"invalid duration {value!r} (use e.g. 500ms, 5s, 15m, 2h)")
    return _bounded(total, value)


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds, written in TOML as "500ms", "5s", "15m" or "2h"."""


def _parse_status_range(value: object) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?", value)
        if match:
            low = int(match.group(1))
            high = int(match.group(2) or low)
            if low <= high:
                return (low, high)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f'invalid status {value!r} (use 200, or a range such as "200-399")')


StatusRange = Annotated[tuple[int, int], BeforeValidator(_parse_status_range)]

"""The pure rules of endpoint health: hysteresis, flaps, staleness and percentiles.

An endpoint turns DOWN only after `failure_threshold` consecutive failures and back UP
after `success_threshold` successes; one with no result for three intervals is STALE;
repeated changes within a window make it FLAPPING. Each rule is a function of plain
values, so the table tests can cover every case without a clock or a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warroom.services.health.status import ProbeState

STALE_INTERVALS = 3.0
FLAP_WINDOW_INTERVALS = 30
"""Flaps counted over this many probe intervals decide whether an endpoint is FLAPPING."""


@dataclass(frozen=True)
class Hysteresis:
    """The state of one endpoint's hysteresis: the shown state and the current streaks."""

    state: ProbeState = ProbeState.PENDING
    fail_streak: int = 0
    ok_streak: int = 0


def next_state(
    prev: Hysteresis, verdict: ProbeState, failure_threshold: int, success_threshold: int
) -> Hysteresis:
    """The hysteresis after one raw verdict (UP, WARN or DOWN).

    DOWN needs `failure_threshold` consecutive failures; leaving DOWN (or PENDING,
    STALE) for UP/WARN needs `success_threshold` consecutive successes. Between UP and
    WARN the state follows the latest verdict at once: both mean "answering".
    """
    if verdict is ProbeState.DOWN:
        fails = prev.fail_streak + 1
        state = ProbeState.DOWN if fails >= failure_threshold else prev.state
        return Hysteresis(state, fails, 0)
    if verdict not in (ProbeState.UP, ProbeState.WARN):
        raise ValueError(f"a verdict is UP, WARN or DOWN, not {verdict.name}")
    oks = prev.ok_streak + 1
    if prev.state in (ProbeState.UP, ProbeState.WARN) or oks >= success_threshold:
        return Hysteresis(verdict, 0, oks)
    return Hysteresis(prev.state, 0, oks)


def is_flap(before: ProbeState, after: ProbeState) -> bool:
    """Whether a state change counts as a flap: into or out of DOWN from UP/WARN."""
    answering = (ProbeState.UP, ProbeState.WARN)
    return (before in answering and after is ProbeState.DOWN) or (
        before is ProbeState.DOWN and after in answering
    )


def flaps_within(flap_times: Sequence[float], now_mono: float, interval: float) -> int:
    """How many of the flaps (monotonic times) fall within the flap window before now."""
    since = now_mono - FLAP_WINDOW_INTERVALS * interval
    return sum(1 for t in flap_times if t >= since)


def is_stale(
    last_result_mono: float | None, started_mono: float, now_mono: float, interval: float
) -> bool:
    """True when no result arrived for three intervals (counted from start if none yet)."""
    since = started_mono if last_result_mono is None else last_result_mono
    return now_mono - since >= STALE_INTERVALS * interval


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of `values` by linear interpolation; None when empty."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)

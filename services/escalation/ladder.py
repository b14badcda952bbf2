"""The escalation ladder, and the whole escalation picture at one instant.

The incident clock (`incident_clock.py`), the watch window (`watch.py`) and status
updates (`status.py`) live beside it; `compute_state` and `tick` put them together.

Everything here is a pure function of the config, the incident start, the current wall
time and the journal's events, so the same answer comes back after a restart, on a
second instance, and in a test. Firing is "crossed but not yet journaled": a level
fires once per incident whatever the wall clock does, because the journal remembers
which levels already fired and a backwards jump can neither re-fire nor un-fire them.
While the incident runs, an `IncidentClock` measures its time on the monotonic clock, so
a forward step of the wall clock does not page levels early either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warroom.services.config import EscalationConfig, EscalationLevel

# The session and the screen read the escalation rules through this module (as `esc`):
# the names kept in the modules below are re-exported here.
from warroom.services.escalation.countdown import format_countdown as format_countdown
from warroom.services.escalation.countdown import format_hms as format_hms
from warroom.services.escalation.incident_clock import IncidentClock as IncidentClock
from warroom.services.escalation.incident_clock import current_severity as current_severity
from warroom.services.escalation.incident_clock import elapsed_seconds as elapsed_seconds
from warroom.services.escalation.incident_clock import ensure_started as ensure_started
from warroom.services.escalation.incident_clock import incident_start as incident_start
from warroom.services.escalation.incident_clock import opening_payload as opening_payload
from warroom.services.escalation.incident_clock import resolved_at, running_elapsed
from warroom.services.escalation.journal_events import EventLike, Record, payload_int
from warroom.services.escalation.status import compose_status as compose_status
from warroom.services.escalation.status import last_status_at
from warroom.services.escalation.watch import WatchDue, WatchState, watch_state
from warroom.services.escalation.watch import due_watch_events as due_watch_events

# Journal event kinds and severities are defined in `warroom.services.events` (re-exported).
from warroom.services.events import DEPLOY_MARKED as DEPLOY_MARKED
from warroom.services.events import ESCALATION_ACK as ESCALATION_ACK
from warroom.services.events import ESCALATION_CROSSED as ESCALATION_CROSSED
from warroom.services.events import INCIDENT_OPENED as INCIDENT_OPENED
from warroom.services.events import INCIDENT_RESOLVED as INCIDENT_RESOLVED
from warroom.services.events import SEVERITIES as SEVERITIES
from warroom.services.events import SEVERITY_CHANGED as SEVERITY_CHANGED
from warroom.services.events import STATUS_SENT as STATUS_SENT
from warroom.services.events import WATCH_CHECKPOINT as WATCH_CHECKPOINT
from warroom.services.events import WATCH_ENDED as WATCH_ENDED

APPROACH_SECONDS = 120.0
"""A threshold is "approaching" in its last two minutes."""


# --- values ------------------------------------------------------------------


@dataclass(frozen=True)
class LevelInfo:
    """One rung of the ladder as shown: whom to call and how."""

    index: int
    after: float
    role: str
    name: str
    contact: str

    @property
    def who(self) -> str:
        """ "Senior engineer (Alice)", or just the role when no name is configured."""
        return f"{self.role} ({self.name})" if self.name else self.role


@dataclass(frozen=True)
class NextLevel:
    """The next rung and how long until it is reached."""

    level: LevelInfo
    remaining: float


@dataclass(frozen=True)
class Ack:
    """An acknowledgement: who took the escalation, and when."""

    level: int
    actor: str
    at: datetime


@dataclass(frozen=True)
class EscalationState:
    """Everything the Escalation pane and the header show, at one instant."""

    started: datetime
    elapsed: float
    """Seconds since the start, frozen at resolution, never negative."""
    resolved: bool
    resolved_at: datetime | None
    severity: str
    reached: LevelInfo | None
    """The highest level reached (by the clock or by a journaled crossing)."""
    next: NextLevel | None
    approaching: bool
    """True in the last two minutes before the next level."""
    crossed: tuple[int, ...]
    """Level indexes journaled as crossed, in ladder order."""
    unacked: tuple[int, ...]
    """Crossed levels that nobody acknowledged (an ack covers the levels below it)."""
    acks: tuple[Ack, ...]
    status_due_in: float | None
    """Seconds until the next status update is due; negative when overdue; None resolved."""
    last_status_at: datetime | None
    watch: WatchState | None

    @property
    def status_overdue(self) -> bool:
        """A status update is late."""
        return self.status_due_in is not None and self.status_due_in < 0

    @property
    def reached_unacked(self) -> bool:
        """The level reached has fired and nobody has acknowledged it yet."""
        return self.reached is not None and self.reached.index in self.unacked


# --- the ladder --------------------------------------------------------------


def level_at(levels: Sequence[EscalationLevel], elapsed: float) -> int | None:
    """Index of the highest level whose threshold is at or before `elapsed`, else None.

    Exactly at a threshold the level is reached (15:00 reaches the 15-minute level).
    """
    reached: int | None = None
    for index, level in enumerate(levels):
        if elapsed >= level.after:
            reached = index
    return reached


def _level_info(levels: Sequence[EscalationLevel], index: int) -> LevelInfo:
    level = levels[index]
    return LevelInfo(index, level.after, level.role, level.name, level.contact)


def crossed_levels(events: Sequence[EventLike]) -> set[int]:
    """Level indexes already journaled as crossed."""
    crossed: set[int] = set()
    for event in events:
        if event.kind == ESCALATION_CROSSED:
            index = payload_int(event.payload.get("level"))
            if index is not None:
                crossed.add(index)
    return crossed


def due_crossings(
    levels: Sequence[EscalationLevel], elapsed: float, events: Sequence[EventLike]
) -> list[int]:
    """Levels reached by `elapsed` that have not fired yet (journal one event for each).

    A forward jump returns every level it skipped, once each; a backwards jump returns
    nothing, because the levels it "un-reached" are already in the journal. Nothing
    fires once the incident is resolved.
    """
    reached = level_at(levels, elapsed)
    if reached is None or resolved_at(events) is not None:
        return []
    done = crossed_levels(events)
    return [index for index in range(reached + 1) if index not in done]


def crossing_payload(
    levels: Sequence[EscalationLevel], index: int, elapsed: float
) -> dict[str, Any]:
    """The `escalation.crossed` payload for level `index`."""
    level = levels[index]
    return {
        "level": index,
        "role": level.role,
        "name": level.name,
        "contact": level.contact,
        "after": level.after,
        "elapsed": round(elapsed, 3),
    }


def crossing_text(levels: Sequence[EscalationLevel], index: int) -> str:
    """One line for the toast and the webhook: whom to call now, and how."""
    info = _level_info(levels, index)
    contact = f" at {info.contact}" if info.contact else ""
    return f"Escalate: call {info.who}{contact} ({format_hms(info.after)} elapsed)"


def _acks(events: Sequence[EventLike]) -> tuple[Ack, ...]:
    acks: list[Ack] = []
    for event in events:
        if event.kind == ESCALATION_ACK:
            index = payload_int(event.payload.get("level"))
            if index is not None:
                acks.append(Ack(index, event.actor, event.at))
    return tuple(acks)


def ack_payload(state: EscalationState) -> dict[str, Any] | None:
    """The `escalation.ack` payload for the level reached; None when nothing is reached."""
    if state.reached is None:
        return None
    return {"level": state.reached.index, "role": state.reached.role}


# --- everything at once ------------------------------------------------------


def compute_state(
    config: EscalationConfig,
    started: datetime,
    now: datetime,
    events: Sequence[EventLike],
    default_severity: str = "SEV2",
    running: float | None = None,
) -> EscalationState:
    """The whole escalation picture at `now`, derived from the journal (pure).

    `running`: the elapsed seconds of an `IncidentClock` (`clock.elapsed(started,
    monotonic)`), which the ladder then follows instead of the wall clock. Status
    and watch-window countdowns compare with journaled (wall) times, so they use `now`.
    """
    levels = config.levels
    elapsed = running_elapsed(started, now, events, running)
    end = resolved_at(events)
    crossed = crossed_levels(events)
    by_clock = level_at(levels, elapsed)
    candidates = [i for i in crossed if 0 <= i < len(levels)]
    if by_clock is not None:
        candidates.append(by_clock)
    reached_index = max(candidates) if candidates else None
    reached = _level_info(levels, reached_index) if reached_index is not None else None

    following = 0 if reached_index is None else reached_index + 1
    next_level: NextLevel | None = None
    if end is None and following < len(levels):
        info = _level_info(levels, following)
        next_level = NextLevel(info, max(0.0, info.after - elapsed))
    approaching = next_level is not None and next_level.remaining <= APPROACH_SECONDS

    acks = _acks(events)
    highest_ack = max((ack.level for ack in acks), default=-1)
    crossed_sorted = tuple(sorted(i for i in crossed if 0 <= i < len(levels)))
    unacked = tuple(i for i in crossed_sorted if i > highest_ack)

    last_status = last_status_at(events)
    status_due_in: float | None = None
    if end is None:
        since = last_status if last_status is not None and last_status > started else started
        status_due_in = (since + timedelta(seconds=config.status_every) - now).total_seconds()

    return EscalationState(
        started=started,
        elapsed=elapsed,
        resolved=end is not None,
        resolved_at=end,
        severity=current_severity(default_severity, events),
        reached=reached,
        next=next_level,
        approaching=approaching,
        crossed=crossed_sorted,
        unacked=unacked,
        acks=acks,
        status_due_in=status_due_in,
        last_status_at=last_status,
        watch=watch_state(config.watch, now, events) if end is None else None,
    )


# --- the once-a-second step --------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    """An event just recorded, seen locally until the journal hands it back."""

    seq: int
    at: datetime
    actor: str
    kind: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Tick:
    """One step of the incident clock: the state to show and what fired just now."""

    state: EscalationState
    crossed: tuple[LevelInfo, ...]
    """Levels that fired in this step (already journaled): toast, bell and webhooks."""
    watch: tuple[WatchDue, ...]
    """Watch checkpoints (or its end) journaled in this step: webhooks, if wanted."""


def tick(
    config: EscalationConfig,
    started: datetime,
    now: datetime,
    events: Sequence[EventLike],
    record: Record,
    health: str = "",
    default_severity: str = "SEV2",
    running: float | None = None,
) -> Tick:
    """Journal every level and watch step that is due, then compute the state to show.

    The screen calls this every second with the journal's events; whatever fired is
    journaled through `record` before it is returned, so it never fires twice.
    `running` is the incident clock's elapsed seconds from an `IncidentClock`; given,
    a step of the wall clock no longer moves the ladder:

        clock = IncidentClock.anchor(system_clock)  # once
        tick(..., running=clock.elapsed(started, system_clock.monotonic()))
    """
    levels = config.levels
    elapsed = running_elapsed(started, now, events, running)
    pending: list[_Pending] = []

    def journal(kind: str, payload: dict[str, Any]) -> None:
        record(kind, payload)
        pending.append(_Pending(-1, now, "", kind, payload))

    fired: list[LevelInfo] = []
    for index in due_crossings(levels, elapsed, events):
        journal(ESCALATION_CROSSED, crossing_payload(levels, index, elapsed))
        fired.append(_level_info(levels, index))
    watch_due = due_watch_events(config.watch, now, events)
    for item in watch_due:
        journal(item.kind, item.payload(health))
    seen: Sequence[EventLike] = [*events, *pending] if pending else events
    state = compute_state(config, started, now, seen, default_severity, running)
    return Tick(state, tuple(fired), tuple(watch_due))

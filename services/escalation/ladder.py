"""The incident clock, the escalation ladder, status-update cadence and the watch window.

Everything here is a pure function of the config, the incident start, the current wall
time and the journal's events, so the same answer comes back after a restart, on a
second instance, and in a test. Firing is "crossed but not yet journaled": a level
fires once per incident whatever the wall clock does, because the journal remembers
which levels already fired and a backwards jump can neither re-fire nor un-fire them.
While the incident runs, an `IncidentClock` measures its time on the monotonic clock, so
a forward step of the wall clock does not page levels early either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from warroom.services.clock import Clock
from warroom.services.config import EscalationConfig, EscalationLevel

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
WATCH_CHECKPOINT_EVERY = 30 * 60.0
"""The watch window journals an all-clear checkpoint every 30 minutes."""


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


# --- values --------------------------------------------------------------------


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
class WatchState:
    """The post-deploy watch window: how long is left and the next all-clear checkpoint."""

    deploy_seq: int
    started: datetime
    length: float
    elapsed: float
    remaining: float
    checkpoints_done: int
    next_checkpoint: int | None
    """The number (1-based) of the next checkpoint, None when only the end is left."""
    next_checkpoint_in: float | None
    ended: bool


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


@dataclass(frozen=True)
class WatchDue:
    """A watch window event that is due and not yet journaled."""

    kind: str
    """WATCH_CHECKPOINT or WATCH_ENDED."""
    deploy_seq: int
    n: int
    """Checkpoint number (1-based); for the end, the number of checkpoints before it + 1."""

    def payload(self, health: str) -> dict[str, Any]:
        """The journal payload for this event, with the health summary at that moment."""
        return {"deploy_seq": self.deploy_seq, "n": self.n, "health": health}


# --- formatting ----------------------------------------------------------------


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


# --- the ladder ----------------------------------------------------------------


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


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def crossed_levels(events: Sequence[EventLike]) -> set[int]:
    """Level indexes already journaled as crossed."""
    crossed: set[int] = set()
    for event in events:
        if event.kind == ESCALATION_CROSSED:
            index = _int(event.payload.get("level"))
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


# --- the clock -----------------------------------------------------------------


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def incident_start(configured: datetime | None, events: Sequence[EventLike]) -> datetime | None:
    """When the clock started: the configured start, else the earliest `incident.opened`.

    None means this is the first launch: journal `opening_payload(now)` and call again.
    """
    if configured is not None:
        return configured
    starts = [
        _parse_time(event.payload.get("started")) or event.at
        for event in events
        if event.kind == INCIDENT_OPENED
    ]
    return min(starts) if starts else None


def opening_payload(now: datetime) -> dict[str, Any]:
    """The `incident.opened` payload journaled on the first launch."""
    return {"started": now.isoformat()}


def ensure_started(
    configured: datetime | None, events: Sequence[EventLike], now: datetime, record: Record
) -> datetime:
    """The incident start, journaling `incident.opened` first if nothing says when it began.

    Two instances opening at once both journal; the earliest start wins for both.
    """
    start = incident_start(configured, events)
    if start is not None:
        return start
    record(INCIDENT_OPENED, opening_payload(now))
    return now


def resolved_at(events: Sequence[EventLike]) -> datetime | None:
    """When the incident was resolved (the first `incident.resolved`), else None."""
    for event in events:
        if event.kind == INCIDENT_RESOLVED:
            return event.at
    return None


def elapsed_seconds(started: datetime, now: datetime, events: Sequence[EventLike]) -> float:
    """Seconds on the incident clock: wall time since the start, frozen at resolution."""
    end = resolved_at(events)
    until = end if end is not None and end < now else now
    return max(0.0, (until - started).total_seconds())


@dataclass(frozen=True)
class IncidentClock:
    """The incident clock while it runs: elapsed time measured on the monotonic clock.

    Anchored once per process at a (wall, monotonic) pair read together; from then on
    the clock moves only with the monotonic clock, so an NTP step or a DST mistake on
    the host moves neither the clock shown nor the ladder (a +1 h step would otherwise
    page two levels at once). The journal's start is wall time, the only time shared
    between instances and restarts, so the anchor places it once, at anchoring.
    """

    wall: datetime
    """Wall time when the clock was anchored."""
    monotonic: float
    """The monotonic reading taken at the same moment."""

    @classmethod
    def anchor(cls, clock: Clock) -> IncidentClock:
        """Anchor on `clock` now (once, when this process starts the incident clock)."""
        return cls(clock.now(), clock.monotonic())

    def now(self, monotonic: float) -> datetime:
        """Steady wall time: the anchor's wall time plus the monotonic time since."""
        return self.wall + timedelta(seconds=max(0.0, monotonic - self.monotonic))

    def elapsed(self, started: datetime, monotonic: float) -> float:
        """Seconds since `started` (the journal's start) at the monotonic reading given."""
        return max(0.0, (self.now(monotonic) - started).total_seconds())


def _running_elapsed(
    started: datetime, now: datetime, events: Sequence[EventLike], running: float | None
) -> float:
    """The incident clock: `running` (from `IncidentClock`) until resolved, then frozen.

    Without `running` it is the wall time since the start. Once resolved it is the
    resolution's journaled (wall) time less the start, the same on every instance.
    """
    if running is None or resolved_at(events) is not None:
        return elapsed_seconds(started, now, events)
    return max(0.0, running)


def current_severity(default: str, events: Sequence[EventLike]) -> str:
    """The latest journaled severity, else the configured one."""
    severity = default
    for event in events:
        if event.kind == SEVERITY_CHANGED:
            value = event.payload.get("severity")
            if isinstance(value, str) and value in SEVERITIES:
                severity = value
    return severity


def _acks(events: Sequence[EventLike]) -> tuple[Ack, ...]:
    acks: list[Ack] = []
    for event in events:
        if event.kind == ESCALATION_ACK:
            index = _int(event.payload.get("level"))
            if index is not None:
                acks.append(Ack(index, event.actor, event.at))
    return tuple(acks)


def ack_payload(state: EscalationState) -> dict[str, Any] | None:
    """The `escalation.ack` payload for the level reached; None when nothing is reached."""
    if state.reached is None:
        return None
    return {"level": state.reached.index, "role": state.reached.role}


# --- status updates ------------------------------------------------------------


def last_status_at(events: Sequence[EventLike]) -> datetime | None:
    """When the latest status update went out."""
    latest: datetime | None = None
    for event in events:
        if event.kind == STATUS_SENT and (latest is None or event.at > latest):
            latest = event.at
    return latest


def compose_status(
    *,
    incident: str,
    severity: str,
    elapsed: float,
    phase: str = "",
    health: str = "",
    error_trend: str = "",
    version: str = "",
    next_step: str = "",
) -> str:
    """A status update pre-filled from live state, for the user to edit before sending."""
    lines = [f"[{severity}] {incident}: status update ({format_hms(elapsed)} elapsed)"]
    for label, value in (
        ("Phase", phase),
        ("Health", health),
        ("Error rate", error_trend),
        ("Hotfix", version),
        ("Next", next_step),
    ):
        lines.append(f"{label}: {value.strip() or 'n/a'}")
    return "\n".join(lines)


# --- the watch window ----------------------------------------------------------


def _latest_deploy(events: Sequence[EventLike]) -> EventLike | None:
    latest: EventLike | None = None
    for event in events:
        if event.kind == DEPLOY_MARKED:
            latest = event
    return latest


def _checkpoint_count(length: float, every: float) -> int:
    """Checkpoints strictly before the end: 2h at 30 min gives 3 (the end is the 4th)."""
    count = int(length // every)
    return count - 1 if count * every >= length else count


def _watch_done(events: Sequence[EventLike], deploy_seq: int) -> tuple[set[int], bool]:
    checkpoints: set[int] = set()
    ended = False
    for event in events:
        if _int(event.payload.get("deploy_seq")) != deploy_seq:
            continue
        if event.kind == WATCH_CHECKPOINT:
            n = _int(event.payload.get("n"))
            if n is not None:
                checkpoints.add(n)
        elif event.kind == WATCH_ENDED:
            ended = True
    return checkpoints, ended


def watch_state(
    length: float,
    now: datetime,
    events: Sequence[EventLike],
    every: float = WATCH_CHECKPOINT_EVERY,
) -> WatchState | None:
    """The watch window of the latest `deploy.marked`, else None (no deploy yet)."""
    deploy = _latest_deploy(events)
    if deploy is None:
        return None
    elapsed = max(0.0, (now - deploy.at).total_seconds())
    total = _checkpoint_count(length, every)
    done, ended_event = _watch_done(events, deploy.seq)
    ended = ended_event or elapsed >= length
    upcoming = int(elapsed // every) + 1
    next_checkpoint: int | None = upcoming if upcoming <= total and not ended else None
    return WatchState(
        deploy_seq=deploy.seq,
        started=deploy.at,
        length=length,
        elapsed=min(elapsed, length),
        remaining=max(0.0, length - elapsed) if not ended_event else 0.0,
        checkpoints_done=len(done),
        next_checkpoint=next_checkpoint,
        next_checkpoint_in=(upcoming * every - elapsed) if next_checkpoint else None,
        ended=ended,
    )


def due_watch_events(
    length: float,
    now: datetime,
    events: Sequence[EventLike],
    every: float = WATCH_CHECKPOINT_EVERY,
) -> list[WatchDue]:
    """Checkpoints (and the end) of the watch window that are due and not yet journaled.

    Like the ladder, each fires once: a forward jump returns every step it skipped, a
    backwards jump returns nothing new. Nothing is due once the incident is resolved.
    """
    deploy = _latest_deploy(events)
    if deploy is None or resolved_at(events) is not None:
        return []
    elapsed = (now - deploy.at).total_seconds()
    total = _checkpoint_count(length, every)
    done, ended = _watch_done(events, deploy.seq)
    if ended:
        return []
    due = [
        WatchDue(WATCH_CHECKPOINT, deploy.seq, n)
        for n in range(1, total + 1)
        if n * every <= elapsed and n not in done
    ]
    if elapsed >= length:
        due.append(WatchDue(WATCH_ENDED, deploy.seq, total + 1))
    return due


# --- everything at once --------------------------------------------------------


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
    elapsed = _running_elapsed(started, now, events, running)
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


# --- the once-a-second step ----------------------------------------------------


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
    elapsed = _running_elapsed(started, now, events, running)
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

"""The post-deploy watch window: its countdown and its all-clear checkpoints.

After each `deploy.marked` the incident is watched for `[escalation] watch` seconds,
with a journaled checkpoint every 30 minutes and one at the end. Like the ladder,
each fires once, whatever the wall clock does, because the journal remembers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.services.escalation.incident_clock import resolved_at
from warroom.services.escalation.journal_events import EventLike, payload_int
from warroom.services.events import DEPLOY_MARKED, WATCH_CHECKPOINT, WATCH_ENDED

WATCH_CHECKPOINT_EVERY = 30 * 60.0
"""The watch window journals an all-clear checkpoint every 30 minutes."""


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
        if payload_int(event.payload.get("deploy_seq")) != deploy_seq:
            continue
        if event.kind == WATCH_CHECKPOINT:
            n = payload_int(event.payload.get("n"))
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

"""The session's journal applied in sequence order, and the incident clock stepped over it.

`JournalApply` is the part of the session's engine that keeps its state true to the
journal: it opens the journal and follows it, applies each event exactly once and in
order (the checklist fold, the deploy mark, the verdict, the escalation), commits events
off the event loop, and steps the incident clock once a second, journaling what fired.
The services, the state handed out and the stream are in
`warroom.services.session.engine`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from warroom.services import events as kinds
from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.escalation import ladder as esc
from warroom.services.escalation.ladder import EscalationState, LevelInfo
from warroom.services.journal.backend import EventJournal
from warroom.services.journal.store import Event, JournalWriteError
from warroom.services.redact import redact
from warroom.services.runbook.model import RunbookState
from warroom.services.runbook.replay import Replayer
from warroom.services.session.deploy_watch import DeployWatch
from warroom.services.session.state import Notice, NoticeLevel

JournalOpener = Callable[[], EventJournal]
"""Opens the incident's journal (blocking: the session calls it in a thread)."""

FOLLOW_POLL = 0.5
"""Seconds between looks for other instances' events (the safety net of `follow`)."""
TICK = 1.0
"""Seconds between steps of the incident clock."""


class JournalApply(DeployWatch):
    """The journal read, written and applied in order, and the clock's steps (a mixin of
    `SessionEngine`, which holds the services and hands out the state)."""

    loaded: LoadedConfig
    clock: Clock
    read_only: bool
    _open_journal: JournalOpener
    _replayer: Replayer
    _runbook: RunbookState
    _escalation: EscalationState | None
    _started: datetime | None
    _incident_clock: esc.IncidentClock | None
    _save_error: str | None
    _crossed: list[LevelInfo]
    _notices: list[Notice]

    def _publish(self, now: bool = False) -> None:
        raise NotImplementedError  # the engine's

    def health_summary(self) -> str:
        """Every endpoint's state in words (the engine's)."""
        raise NotImplementedError

    @property
    def events(self) -> tuple[Event, ...]:
        """Every journal event applied so far, in sequence order."""
        return self._events

    @property
    def last_seq(self) -> int:
        """The last journal event applied."""
        return self._events[-1].seq if self._events else 0

    async def _run_journal(self) -> None:
        journal = await asyncio.to_thread(self._open_journal)
        self.journal = journal
        if journal.recovery:
            self._notice(journal.recovery, "Journal recovered", "warning")
        elif journal.damage:
            self._notice(journal.damage, "Journal damaged", "error")
        if journal.write_problem and not journal.read_only:
            self._save_error = journal.write_problem
        self._apply(await asyncio.to_thread(journal.events))
        if self._started is None:
            self._started = esc.incident_start(None, self._events)
        if self._started is None and not self.read_only:
            # Two dashboards started together journal the opening once between them.
            now = self.clock.now()
            await self._write(kinds.INCIDENT_OPENED, esc.opening_payload(now), once=True)
            self._started = esc.incident_start(None, self._events) or now
        self._spawn(self._run_clock())
        self._publish(now=True)
        async for batch in journal.follow(poll=FOLLOW_POLL, after_seq=self.last_seq):
            self._apply(batch)

    async def _run_clock(self) -> None:
        self._incident_clock = esc.IncidentClock.anchor(self.clock)
        while True:
            await self._step()
            await asyncio.sleep(TICK)

    async def _step(self) -> None:
        """One second of the incident clock: journal what fired, hand out the state."""
        if self._started is None:
            if self.read_only:
                # A viewer waits for a driving instance to open the incident.
                self._started = esc.incident_start(None, self._events)
            if self._started is None:
                self._publish(now=True)
                return
        fired: list[tuple[str, dict[str, Any]]] = []
        result = esc.tick(
            self.loaded.config.escalation,
            self._started,
            self.clock.now(),
            self._events,
            lambda kind, payload: fired.append((kind, payload)),
            health=self.health_summary(),
            default_severity=self.loaded.config.incident.severity,
            running=self._running(),
        )
        self._escalation = result.state
        written = [
            await self._write(kind, payload, once=True, key=_once_key(kind, payload))
            for kind, payload in fired
        ]
        crossings = [
            ok
            for (kind, _), ok in zip(fired, written, strict=True)
            if kind == kinds.ESCALATION_CROSSED
        ]
        if not self.read_only:
            # Only a crossing that is on record pages anyone: one the journal refused is
            # due again next second, and would page every second.
            for level, ok in zip(result.crossed, crossings, strict=True):
                if not ok:
                    continue
                self._crossed.append(level)
                text = esc.crossing_text(self.loaded.config.escalation.levels, level.index)
                self._announce("escalation", text)
        await self._judge()
        self._publish(now=True)

    def _apply(self, batch: Sequence[Event]) -> None:
        """Apply the events not applied yet, in sequence order (each exactly once).

        Every read returns all the events committed after a point, so what has been
        applied is always a whole prefix of the journal and `seq` alone tells what is new.
        """
        last = self.last_seq
        fresh = [event for event in batch if event.seq > last]
        if not fresh:
            return
        self._events = (*self._events, *fresh)
        self._replayer.feed(fresh)
        self._runbook = self._replayer.state()
        if any(event.kind in (kinds.DEPLOY_MARKED, kinds.ROLLBACK_FINISHED) for event in fresh):
            self._apply_deploy_mark()
            self._end_watch_after_rollback()
        if any(event.kind in _JUDGED_FROM for event in fresh):
            # A new deploy (or its rollback) shows at once, not with the next second.
            self._verdict = self.verdict_now()
        if self._escalation is not None and self._started is not None:
            # Acks, severity and resolution show at once, not with the next second.
            self._escalation = esc.compute_state(
                self.loaded.config.escalation,
                self._started,
                self.clock.now(),
                self._events,
                self.loaded.config.incident.severity,
                running=self._running(),
            )
        self._publish(now=True)

    def _running(self) -> float | None:
        """Seconds the incident has run, on the monotonic clock (None before it starts)."""
        if self._incident_clock is None or self._started is None:
            return None
        return self._incident_clock.elapsed(self._started, self.clock.monotonic())

    async def _catch_up(self) -> None:
        """Read and apply everything committed so far (this instance's and others').

        A read that fails is said, not raised: an event already committed comes back
        with the next read that works (the follow loop's, or the next command's).
        """
        journal = self.journal
        if journal is None:
            return
        try:
            batch = await asyncio.to_thread(journal.events, self.last_seq)
        except Exception as exc:  # an unreadable journal, a dropped connection
            self._notice(f"{type(exc).__name__}: {exc}", "Journal not read", "warning")
            return
        self._apply(batch)

    async def _write(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        system: bool = False,
        once: bool = False,
        key: Mapping[str, Any] | None = None,
    ) -> bool:
        """Commit one event (in a thread), then apply the journal up to it; True when
        this call wrote it.

        `system`: no person did it (health, alerts, the clock), so it is journaled as
        warroom's own; `once`: only if no event of the kind (holding every item of
        `key`) is in the journal yet, checked in the same transaction, so what several
        instances find due at once is written, and announced, by one of them.
        """
        journal = self.journal
        if journal is None or self.read_only:
            return False
        masked: dict[str, Any] = redact(payload, self.loaded.secrets)
        actor = kinds.SYSTEM_ACTOR if system or once else None
        try:
            if once:
                written = await journal.record_once(kind, masked, actor, key)
            else:
                written = await journal.record(kind, masked, actor)
        except JournalWriteError as exc:
            if str(exc) != self._save_error:
                # Once per problem: the header's banner stays while it lasts.
                self._notice(str(exc), "NOT SAVED", "error")
            self._save_error = str(exc)
            self._publish(now=True)
            return False
        if self._save_error is not None:
            self._save_error = None
            self._publish(now=True)
        await self._catch_up()
        return written is not None

    def _record_soon(self, kind: str, payload: dict[str, Any]) -> None:
        """Journal an event from a synchronous callback (a webhook that gave up)."""
        self._spawn(self._write(kind, payload, system=True))

    def _notice(self, text: str, title: str = "", level: NoticeLevel = "information") -> None:
        self._notices.append(Notice(text, title, level))
        self._publish(now=True)


_JUDGED_FROM = frozenset({kinds.DEPLOY_MARKED, kinds.ROLLBACK_FINISHED, kinds.ACTION_FINISHED})
"""The events that change which deploy the verdict judges."""


def _once_key(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a clock-driven event the same one, whichever instance writes it."""
    if kind == kinds.ESCALATION_CROSSED:
        return {"level": payload.get("level")}
    if kind == kinds.WATCH_CHECKPOINT:
        return {"deploy_seq": payload.get("deploy_seq"), "n": payload.get("n")}
    if kind == kinds.WATCH_ENDED:
        return {"deploy_seq": payload.get("deploy_seq")}
    return dict(payload)

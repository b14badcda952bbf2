"""The session's engine: the services wired, the journal read in order, the stream.

`SessionEngine` holds the incident's state and keeps it true: it starts the services
and feeds each into the next, commits events off the event loop and applies the journal
in sequence order, each event once, and hands out immutable `SessionState`s. The
commands a screen sends are in `warroom.services.session.core`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from warroom.services import events as kinds
from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.escalation import ladder as esc
from warroom.services.escalation.ladder import EscalationState, LevelInfo
from warroom.services.escalation.notify import Delivery, Notifier
from warroom.services.health.alerts import Alert, AlertTracker
from warroom.services.health.probe import HealthSnapshot, Prober, make_client
from warroom.services.journal.backend import EventJournal
from warroom.services.journal.store import Event, JournalWriteError
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogBatch, LogBuffer, LogFollower, LogItem
from warroom.services.metrics.sampler import MetricSampler, MetricsSnapshot
from warroom.services.redact import redact
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import Runbook, RunbookState, runbook_for
from warroom.services.runbook.replay import Replayer
from warroom.services.session.alert_log import RaisedAlert, alert_log
from warroom.services.session.deploy_watch import DeployWatch
from warroom.services.session.state import Notice, NoticeLevel, SessionState
from warroom.services.session.summary import IncidentSummary

if TYPE_CHECKING:
    from warroom.services.release.controller import ReleaseController

JournalOpener = Callable[[], EventJournal]
"""Opens the incident's journal (blocking: the session calls it in a thread)."""

FOLLOW_POLL = 0.5
"""Seconds between looks for other instances' events (the safety net of `follow`)."""
CLOSE_WAIT = 0.5
"""Most seconds closing waits for the journal (a lock held by another process)."""
TICK = 1.0
"""Seconds between steps of the incident clock."""


class SessionEngine(DeployWatch):
    """The incident's services, its journal applied in order, and its state stream."""

    def __init__(
        self,
        loaded: LoadedConfig,
        clock: Clock,
        *,
        actor: str,
        open_journal: JournalOpener,
        read_only: bool = False,
        runbook: Runbook | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.loaded = loaded
        self.clock = clock
        self.actor = actor
        self.read_only = read_only
        self.runbook = runbook if runbook is not None else runbook_for(loaded)
        config = loaded.config
        self._open_journal = open_journal
        self._client = client
        self.journal: EventJournal | None = None
        self._events: tuple[Event, ...] = ()
        self._replayer = Replayer(self.runbook)
        """The checklist fold: each event is fed once, as it is applied."""
        self._runbook: RunbookState = self._replayer.state()
        self._escalation: EscalationState | None = None
        self._health: HealthSnapshot | None = None
        self._metrics: MetricsSnapshot | None = None
        self._started: datetime | None = config.incident.started
        self._incident_clock: esc.IncidentClock | None = None
        """Anchored when the clock starts: the incident clock runs on the monotonic clock."""
        self._save_error: str | None = None
        self.log_buffer = LogBuffer(log_filter=LogFilter.parse(self.initial_filter))
        self.alerts = AlertTracker({m.name: m.min_duration for m in config.metric})
        self.prober: Prober | None = None
        self.sampler: MetricSampler | None = None
        self.notifier: Notifier | None = None
        # What happened since the last state handed out (shown once).
        self._new_lines: list[LogItem] = []
        self._new_alerts: list[Alert] = []
        self._crossed: list[LevelInfo] = []
        self._notices: list[Notice] = []
        self._unjournaled: list[RaisedAlert] = []
        """Alerts the journal did not take (a failed write, a stopped service)."""
        self._changed = asyncio.Event()
        self._commands = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._streaming = False
        self._closing = False
        self._alert_log_key: tuple[int, frozenset[str], int] | None = None
        self._alert_log_cache: tuple[RaisedAlert, ...] = ()
        self._release: ReleaseController | None = None
        self._verdict: DeployVerdict | None = None
        """The verdict as of the last clock step (or the last deploy event applied)."""

    @property
    def initial_filter(self) -> str:
        """The error log's filter at start: the first `[[log]]`'s own."""
        logs = self.loaded.config.log
        return logs[0].filter if logs else ""

    @property
    def events(self) -> tuple[Event, ...]:
        """Every journal event applied so far, in sequence order."""
        return self._events

    @property
    def last_seq(self) -> int:
        """The last journal event applied."""
        return self._events[-1].seq if self._events else 0

    def state(self) -> SessionState:
        """The state now, taking what happened since the previous state (shown once)."""
        state = SessionState(
            seq=self.last_seq,
            events=self._events,
            runbook=self._runbook,
            summary=self._summary(),
            escalation=self._escalation,
            health=self._health,
            metrics=self._metrics,
            journal_open=self.journal is not None,
            alert_log=self._alert_log(),
            verdict=self._verdict,
            new_lines=tuple(self._new_lines),
            alerts=tuple(self._new_alerts),
            crossed=tuple(self._crossed),
            notices=tuple(self._notices),
        )
        self._new_lines.clear()
        self._new_alerts.clear()
        self._crossed.clear()
        self._notices.clear()
        return state

    def _alert_log(self) -> tuple[RaisedAlert, ...]:
        """The alert list, worked out again only when what it is made of changed (a
        state goes out every second; the journal may hold thousands of events)."""
        active = frozenset(self.alerts.active_subjects())
        key = (self.last_seq, active, len(self._unjournaled))
        if self._alert_log_key != key:
            self._alert_log_key = key
            self._alert_log_cache = alert_log(self._events, active, self._unjournaled)
        return self._alert_log_cache

    def _summary(self) -> IncidentSummary:
        incident = self.loaded.config.incident
        state = self._escalation
        return IncidentSummary(
            id=incident.id,
            title=incident.title,
            severity=state.severity if state is not None else incident.severity,
            # Whole seconds, as shown: a second step within the same second changes nothing.
            elapsed_s=float(int(state.elapsed)) if state is not None else None,
            resolved=state.resolved if state is not None else False,
            read_only=self.read_only,
            save_error=self._save_error,
            journal_damage=self.journal.damage if self.journal is not None else None,
        )

    def health_summary(self) -> str:
        """Every endpoint's state in words, for status updates and the watch window."""
        snapshot = self._health
        if snapshot is None or not snapshot.endpoints:
            return "no endpoints"
        return ", ".join(f"{e.name} {e.state.word}" for e in snapshot.endpoints)

    async def stream(self) -> AsyncIterator[SessionState]:
        """Start the services and yield the state whenever it changed, in order.

        Once the clock runs, health, metrics and log lines are handed out with its next
        step (one repaint a second); journal events (a tick, another instance's ack)
        are handed out at once. Stopping the iteration stops every service and closes
        the journal.
        """
        if self._streaming:
            raise RuntimeError("an incident session has one stream")
        self._streaming = True
        self._start()
        try:
            yield self.state()
            while True:
                await self._changed.wait()
                self._changed.clear()
                yield self.state()
        finally:
            await self.close()

    def _publish(self, now: bool = False) -> None:
        """Hand out a new state: at once, or (while the clock runs) with its next step."""
        if now or self._escalation is None:
            self._changed.set()

    def _start(self) -> None:
        config = self.loaded.config
        if self._client is None and (config.endpoint or config.metric or config.notify):
            self._client = make_client(config.endpoint)
        client = self._client
        if config.endpoint and client is not None:
            self.prober = Prober(config.endpoint, client, self.clock)
            self._spawn(self._run_health())
        if config.metric and client is not None:
            self.sampler = MetricSampler(config.metric, client, self.clock)
            self._spawn(self._run_metrics())
        if config.notify and client is not None and not self.read_only:
            self.notifier = Notifier(
                config.notify,
                client,
                self.clock,
                record=self._record_soon,
                incident=config.incident.id,
                on_result=self._on_delivery,
            )
        if config.log:
            self._spawn(self._run_logs())
        self._spawn(self._run_journal())

    def _spawn(self, coro: Any) -> None:
        if self._closing:
            coro.close()  # closing: nothing new starts (it would outlive the session)
            return
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        # A service that failed for good: say so once instead of dying silently.
        exc = task.exception()
        text = f"Service stopped: {type(exc).__name__}: {exc}"
        self._unjournaled.append(RaisedAlert(self.clock.now(), "service", text, "service"))
        self._publish(now=True)

    async def close(self) -> None:
        """Stop every service and close the journal (idempotent).

        The journal is closed in a thread, for at most `CLOSE_WAIT` seconds: a writer
        of another process holding its lock must not freeze the loop on the way out.
        """
        self._closing = True
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if self.notifier is not None:
            with contextlib.suppress(Exception):
                await self.notifier.aclose()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
        journal, self.journal = self.journal, None
        if journal is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.to_thread(journal.close), CLOSE_WAIT)

    async def _run_health(self) -> None:
        assert self.prober is not None
        async for snapshot in self.prober.stream():
            self._health = snapshot
            if self.sampler is not None:
                self.sampler.feed_health(snapshot)
            changes, alerts = self.alerts.observe_health(snapshot)
            for change in changes:
                await self._write(kinds.HEALTH_CHANGED, change.payload(), system=True)
            await self._raise(alerts)
            self._publish()

    async def _run_metrics(self) -> None:
        assert self.sampler is not None
        async for snapshot in self.sampler.stream():
            self._metrics = snapshot
            await self._raise(self.alerts.observe_metrics(snapshot, self.clock.monotonic()))
            self._publish()

    async def _raise(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            written = await self._write(kinds.ALERT_RAISED, alert.payload(), system=True)
            if not written and not self.read_only:
                # Still on the alert line; a viewer lists the driver's alerts instead.
                at = self.clock.now()
                self._unjournaled.append(RaisedAlert(at, alert.subject, alert.text))
        self._new_alerts.extend(alerts)

    async def _run_logs(self) -> None:
        loaded = self.loaded
        follower = LogFollower(
            loaded.config.log, loaded.base_dir, self.clock, log_filter=self.log_buffer.log_filter
        )
        names = {log.name for log in loaded.config.log}
        async for batch in follower.stream():
            shown = self.log_buffer.append(batch)
            if shown:
                self._new_lines.extend(shown)
                self._publish()
            if self.sampler is not None:
                for name, lines in _lines_by_log(batch, names).items():
                    self.sampler.feed_log_lines(name, lines, backlog=batch.backlog)

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

    def _on_delivery(self, delivery: Delivery) -> None:
        # A webhook that gave up is journaled (`notify.failed`) and so listed on the
        # alert line; it is not the user's action, so it is no toast.
        del delivery

    def _announce(self, kind: str, text: str, extra: Mapping[str, Any] | None = None) -> None:
        """Send one event to the webhooks, with who, which incident and which versions."""
        if self.notifier is None:
            return
        incident = self.loaded.config.incident
        fields: dict[str, Any] = {
            "incident": incident.id,
            "title": incident.title,
            "actor": self.actor,
            **self._versions(),
            **dict(extra or {}),
        }
        self._spawn(self.notifier.send(kind, text, fields))


_JUDGED_FROM = frozenset({kinds.DEPLOY_MARKED, kinds.ROLLBACK_FINISHED, kinds.ACTION_FINISHED})
"""The events that change which deploy the verdict judges."""


def _lines_by_log(batch: LogBatch, names: set[str]) -> dict[str, list[str]]:
    """The batch's line texts by `[[log]]` name (a glob's files are tagged `name:file`)."""
    by_log: dict[str, list[str]] = {}
    for line in batch.lines:
        name = line.source if line.source in names else line.source.rsplit(":", 1)[0]
        by_log.setdefault(name, []).append(line.text)
    return by_log


def _once_key(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a clock-driven event the same one, whichever instance writes it."""
    if kind == kinds.ESCALATION_CROSSED:
        return {"level": payload.get("level")}
    if kind == kinds.WATCH_CHECKPOINT:
        return {"deploy_seq": payload.get("deploy_seq"), "n": payload.get("n")}
    if kind == kinds.WATCH_ENDED:
        return {"deploy_seq": payload.get("deploy_seq")}
    return dict(payload)

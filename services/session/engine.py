"""The session's engine: the services wired, the state handed out, the stream.

`SessionEngine` holds the incident's state: it starts the services and feeds each into
the next (health into the metrics and the alerts, the logs into the metrics, alerts to
the journal), and hands out immutable `SessionState`s. How the journal is applied in
sequence order, each event once, and how the clock steps, is in
`warroom.services.session.journal_apply`; the commands a screen sends are in
`warroom.services.session.core`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
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
from warroom.services.journal.store import Event
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogBatch, LogBuffer, LogFollower, LogItem
from warroom.services.metrics.sampler import MetricSampler, MetricsSnapshot
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import Runbook, RunbookState, runbook_for
from warroom.services.runbook.replay import Replayer
from warroom.services.session.alert_log import RaisedAlert, alert_log
from warroom.services.session.journal_apply import FOLLOW_POLL as FOLLOW_POLL
from warroom.services.session.journal_apply import TICK as TICK
from warroom.services.session.journal_apply import JournalApply
from warroom.services.session.journal_apply import JournalOpener as JournalOpener
from warroom.services.session.state import Notice, SessionState
from warroom.services.session.summary import IncidentSummary

if TYPE_CHECKING:
    from warroom.services.release.controller import ReleaseController

CLOSE_WAIT = 0.5
"""Most seconds closing waits for the journal (a lock held by another process)."""


class SessionEngine(JournalApply):
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

    @property
    def summary(self) -> IncidentSummary:
        """The header's facts now; unlike `state()` it takes nothing shown once (a screen
        reads it before the stream starts)."""
        return self._summary()

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
            rolled_back=self._rolled_back,
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
            # The first state already lists every endpoint (PENDING until answered).
            self._health = self.prober.snapshot()
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


def _lines_by_log(batch: LogBatch, names: set[str]) -> dict[str, list[str]]:
    """The batch's line texts by `[[log]]` name (a glob's files are tagged `name:file`)."""
    by_log: dict[str, list[str]] = {}
    for line in batch.lines:
        name = line.source if line.source in names else line.source.rsplit(":", 1)[0]
        by_log.setdefault(name, []).append(line.text)
    return by_log

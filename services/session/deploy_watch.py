"""What the session knows about the deploy: its mark, a rollback, its versions, its verdict.

`DeployWatch` is the part of the session's engine that follows the production deploy:
it hands the deploy mark to the samplers (or takes it back after a rollback), ends the
watch window a rollback cut short, and judges the deploy on each clock step, journaling
each change of outcome once.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from warroom.services import events as kinds
from warroom.services.journal.format import Event
from warroom.services.release.deploy_verdict import DeployVerdict, deploy_verdict

if TYPE_CHECKING:
    from warroom.services.clock import Clock
    from warroom.services.config import LoadedConfig
    from warroom.services.health.probe import HealthSnapshot, Prober
    from warroom.services.journal.backend import EventJournal
    from warroom.services.metrics.sampler import MetricSampler, MetricsSnapshot
    from warroom.services.release.controller import ReleaseController


class DeployWatch:
    """The deploy as the session follows it (a mixin of `SessionEngine`)."""

    loaded: LoadedConfig
    clock: Clock
    read_only: bool
    journal: EventJournal | None
    sampler: MetricSampler | None
    prober: Prober | None
    _events: tuple[Event, ...]
    _health: HealthSnapshot | None
    _metrics: MetricsSnapshot | None
    _verdict: DeployVerdict | None
    _release: ReleaseController | None
    _uptime_from: int | None = None
    """The event (a deploy mark or a rollback) the prober's deploy share counts from."""

    async def _write(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        system: bool = False,
        once: bool = False,
        key: Mapping[str, Any] | None = None,
    ) -> bool:
        raise NotImplementedError  # the engine's

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        raise NotImplementedError  # the engine's

    def _announce(self, kind: str, text: str, extra: Mapping[str, Any] | None = None) -> None:
        raise NotImplementedError  # the engine's

    _rollback: Event | None = None
    """The successful rollback after the latest deploy mark, kept as the journal is
    applied (`_apply_deploy_mark`) instead of searched for on every read."""

    _rolled_back: str = ""
    """`rollback_line` of `_rollback` ("" without one), worked out once per rollback."""

    def rollback(self) -> Event | None:
        """The successful rollback that superseded the latest deploy mark, if any."""
        return self._rollback

    def verdict_now(self) -> DeployVerdict | None:
        """The verdict on the deploy in production, judged from the latest snapshots now.

        None before any deploy mark or finished rolling batch, and after a rollback.
        Cheap enough for every clock step: the windows are a few hundred points and the
        rank test caches its answers.
        """
        return deploy_verdict(
            self.loaded.config, self._events, self._health, self._metrics, self.clock.now()
        )

    async def _judge(self) -> None:
        """Judge the deploy; journal (and tell the webhooks) when its outcome changed.

        A change is counted per deploy judged (`deploy_seq`): each batch of a rolling
        deploy, and the deploy mark, has its own first verdict on record.
        """
        verdict = self._verdict = self.verdict_now()
        if verdict is None or self.read_only or self.journal is None:
            return
        last = next(
            (
                e
                for e in reversed(self._events)
                if e.kind == kinds.VERDICT_CHANGED
                and e.payload.get("deploy_seq") == verdict.deploy_seq
            ),
            None,
        )
        if last is not None and last.payload.get("outcome") == verdict.outcome.value:
            return
        # The change is from the last verdict on record: two instances judging the same
        # change at once journal (and announce) it once.
        payload = {**verdict.payload(), "previous": last.seq if last is not None else 0}
        key = {"deploy_seq": verdict.deploy_seq, "previous": payload["previous"]}
        if not await self._write(kinds.VERDICT_CHANGED, payload, once=True, key=key):
            return
        fields = {
            "step": kinds.VERDICT_CHANGED,
            "verdict": verdict.outcome.value,
            "summary": payload["summary"],
            "headline": verdict.headline,
            "deploy_seq": verdict.deploy_seq,
        }
        if verdict.batch is not None:
            fields["batch"] = verdict.batch
        # A step of the deploy path, so the webhooks subscribed to deploys hear it.
        self._announce("deploy", verdict.text(), fields)

    def _apply_deploy_mark(self) -> None:
        """Hand the change production runs under to the samplers and the prober.

        Called when a deploy mark or a rollback is applied: only those change which
        rollback (if any) undid the latest deploy.
        """
        self._rollback = rollback = rolled_back(self._events)
        self._rolled_back = rollback_line(rollback) if rollback is not None else ""
        deploy = latest(self._events, kinds.DEPLOY_MARKED)
        if deploy is None:
            return
        if self.sampler is not None:
            if rollback is not None:
                # A rollback superseded the mark: no figure compares against it any more.
                self.sampler.clear_deploy_mark()
            else:
                self.sampler.mark_deploy(deploy.at)
        # Health's "since deploy" share counts from what production runs now: the
        # deploy, or the rollback that undid it (the hotfix's failures are not the
        # previous version's). Restarted only when that changes: a rollback that
        # failed left the deploy running, and its count goes on.
        running = rollback if rollback is not None else deploy
        if self.prober is not None and running.seq != self._uptime_from:
            self._uptime_from = running.seq
            self.prober.mark_deploy(running.at)

    def _end_watch_after_rollback(self) -> None:
        """A rollback superseded the deploy: its watch window ends, on record (once)."""
        deploy = latest(self._events, kinds.DEPLOY_MARKED)
        if deploy is None or self.read_only or self.rollback() is None:
            return
        ended = any(
            e.kind == kinds.WATCH_ENDED and e.payload.get("deploy_seq") == deploy.seq
            for e in self._events
        )
        if not ended:
            payload = {"deploy_seq": deploy.seq, "health": "rolled back"}
            key = {"deploy_seq": deploy.seq}
            self._spawn(self._write(kinds.WATCH_ENDED, payload, once=True, key=key))

    def _versions(self) -> dict[str, str]:
        """The hotfix version and the one before it, as far as git (or the journal) knows."""
        versions: dict[str, str] = {}
        info = self._release.release if self._release is not None else None
        if info is not None:
            if info.next_version:
                versions["version"] = info.next_version
            if info.previous_version:
                versions["previous_version"] = info.previous_version
        deploy = latest(self._events, kinds.DEPLOY_MARKED)
        if "version" not in versions and deploy is not None:
            version = deploy.payload.get("version")
            if isinstance(version, str) and version:
                versions["version"] = version
        return versions

    def hotfix_line(self) -> str:
        """The hotfix as a status update says it: deployed, rolled back, or planned."""
        rollback = self.rollback()
        if rollback is not None:
            return rollback_line(rollback)
        deploy = latest(self._events, kinds.DEPLOY_MARKED)
        version = self._versions().get("version", "")
        if deploy is not None:
            shown = text_of(deploy.payload.get("version")) or version or "the hotfix"
            return f"{shown} deployed at {deploy.at:%H:%M} UTC"
        return f"{version} (not deployed yet)" if version else ""


def latest(events: Sequence[Event], kind: str) -> Event | None:
    """The last event of `kind`, or None."""
    return next((e for e in reversed(events) if e.kind == kind), None)


def rolled_back(events: Sequence[Event]) -> Event | None:
    """The successful rollback after the latest deploy mark, if one came after it."""
    deploy = latest(events, kinds.DEPLOY_MARKED)
    if deploy is None:
        return None
    for event in reversed(events):
        if event.seq <= deploy.seq:
            return None
        if event.kind == kinds.ROLLBACK_FINISHED and event.payload.get("ok") is True:
            return event
    return None


def rollback_line(rollback: Event) -> str:
    """ "v1.2.4 rolled back to v1.2.3 at 14:05 UTC": what a successful rollback did."""
    back = text_of(rollback.payload.get("version")) or "the previous version"
    was = text_of(rollback.payload.get("from_version")) or "the hotfix"
    return f"{was} rolled back to {back} at {rollback.at:%H:%M} UTC"


def text_of(value: object) -> str:
    """A payload field as text: itself if it is a string, else "" (the journal's JSON
    may hold anything there)."""
    return value if isinstance(value, str) else ""

"""The incident session: the engine behind every screen of one incident.

It builds the services from the config and wires them to each other (health feeds the
metrics and the alerts, the logs feed the metrics, alerts and escalation steps go to
the journal, the deploy mark goes to the samplers), writes the journal off the event
loop, and hands out ONE ordered stream of immutable states plus the commands a screen
may send. A screen never wires services together and never writes the journal itself.

One path for state: every change, this instance's or another's, reaches the state by
reading the journal in sequence order, and each event is applied exactly once. A
command returns once its event is committed AND applied, so a tick shows done only
after it is durable, and never before an earlier event of another instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from warroom.services import events as kinds
from warroom.services.escalation import ladder as esc
from warroom.services.health.probe import ProbeState
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogItem
from warroom.services.session.engine import FOLLOW_POLL, TICK, JournalOpener, SessionEngine

if TYPE_CHECKING:
    from warroom.services.journal.store import Event
    from warroom.services.release.controller import ReleaseController

__all__ = ["FOLLOW_POLL", "TICK", "IncidentSession", "JournalOpener"]


class IncidentSession(SessionEngine):
    """One incident as one engine: services built and wired, state streamed, commands.

    `stream()` starts everything and yields `SessionState`s until the consumer stops;
    the commands (`toggle`, `note`, `ack`, ...) may be called while it runs and return
    True once their event is committed and applied.
    """

    # --- what the screens read ------------------------------------------------------

    def gates(self) -> dict[str, bool]:
        """Whether each endpoint and metric holds now, by name (rolling deploys)."""
        held: dict[str, bool] = {}
        if self._health is not None:
            for endpoint in self._health.endpoints:
                held[endpoint.name] = endpoint.state is ProbeState.UP
        if self._metrics is not None:
            for series in self._metrics.series:
                held[series.name] = series.state in ("ok", "warn")
        return held

    @property
    def release(self) -> ReleaseController:
        """The deploy commands and git actions of this incident, guarded by its runbook.

        Made on first use (the first frame does not wait for git and the runner); it
        journals through this session and tells the webhooks each step.
        """
        if self._release is None:
            from warroom.services.release.controller import ReleaseController

            self._release = ReleaseController(
                self.loaded,
                self.clock,
                actor=self.actor,
                record=self.record,
                read_only=self.read_only,
                gates=self.gates,
                verdict=self.verdict_now,
                runbook=lambda: self._runbook,
                announce=self._announce,
            )
        return self._release

    def tick_waits(self, item_id: str) -> tuple[str, ...]:
        """What a tick of `item_id` waits for, in words; () when it may be ticked."""
        from warroom.services.runbook.gates import item_waits

        return item_waits(self._runbook, item_id)

    def status_draft(self) -> str:
        """A status update pre-filled from the live state, for the user to edit."""
        state = self._runbook
        phase = next_step = ""
        if state.current is not None:
            current = state.phases[state.current]
            phase = current.phase.title
            opened = [item for item in current.items if item.status == "open"]
            next_step = opened[0].item.text if opened else ""
        error = self._metrics.get("Error rate") if self._metrics is not None else None
        trend = ""
        rollback = self.rollback()
        if error is not None and error.current is not None:
            trend = error.delta_text() or f"error rate {error.current:.1f}{error.unit}"
            if rollback is not None:
                trend += f" (rolled back at {rollback.at:%H:%M} UTC)"
        escalation = self._escalation
        return esc.compose_status(
            incident=self.loaded.config.incident.title,
            severity=escalation.severity if escalation else "",
            elapsed=escalation.elapsed if escalation else 0.0,
            phase=phase,
            health=self.health_summary(),
            error_trend=trend,
            version=self.hotfix_line(),
            next_step=next_step,
        )

    def set_filter(self, log_filter: LogFilter) -> tuple[LogItem, ...]:
        """Apply a new error-log filter to the whole backlog; returns what is now shown.

        Lines not handed out yet were chosen by the old filter: what is returned replaces
        them (it holds every line the new filter shows).
        """
        self._new_lines.clear()
        return self.log_buffer.set_filter(log_filter)

    # --- commands ------------------------------------------------------------------

    def refusal(self) -> str | None:
        """Why no change can be made now, or None."""
        if self.read_only:
            return "Read-only: changes are refused."
        if self.journal is None:
            return "The journal is still opening; try again."
        return None

    async def record(self, kind: str, payload: dict[str, Any]) -> bool:
        """Journal a user's change; True once it is committed and applied."""
        refusal = self.refusal()
        if refusal is not None:
            self._notice(refusal, "", "warning")
            return False
        return await self._write(kind, payload)

    async def toggle(self, item_id: str, done: bool, *, overridden: bool = False) -> bool:
        """Tick (or untick) a runbook item; a press that changes nothing journals nothing.

        Presses are taken one at a time against the journal as it stands, so two quick
        presses never record `done, done`. An item whose requirements are open is not
        ticked unless `overridden` (after `override` journaled why). Ticking an item
        that `marks_deploy` marks the deploy, once.
        """
        async with self._commands:
            await self._catch_up()
            item = self._runbook.item(item_id)
            if item is None:
                return False
            if (item.status == "done") == done:
                if done and item.item.marks_deploy and not self.deploy_marked:
                    # The tick is on record but its deploy mark was not (a failed write):
                    # pressing again marks it, rather than leaving the deploy unmarked.
                    return await self._mark(item=item_id)
                return True
            waits = self.tick_waits(item_id) if done and not overridden else ()
            if waits:
                self._notice("; ".join(waits), "Not ticked: gated", "warning")
                return False
            kind = kinds.ITEM_DONE if done else kinds.ITEM_UNDONE
            if not await self.record(kind, {"item": item_id}):
                return False
            if done and item.item.marks_deploy and not self.deploy_marked:
                await self._mark(item=item_id)
            return True

    @property
    def deploy_marked(self) -> bool:
        """Whether anyone has marked the production deploy."""
        return any(event.kind == kinds.DEPLOY_MARKED for event in self._events)

    def live_mark(self) -> Event | None:
        """The deploy mark production runs under: the latest, unless a rollback undid it."""
        mark = next((e for e in reversed(self._events) if e.kind == kinds.DEPLOY_MARKED), None)
        return None if mark is None or self.rollback() is not None else mark

    async def mark_deploy(self, *, again: bool = False, **details: Any) -> bool:
        """Mark the production deploy now: the baseline, the watch window, a webhook.

        A deploy already marked (and not rolled back) is marked again only with `again`
        (the user confirmed it), checked against the journal as it stands: two quick
        presses of `D` mark it once.
        """
        async with self._commands:
            await self._catch_up()
            mark = self.live_mark()
            if mark is not None and not again:
                when = f"{mark.at:%H:%M:%S} UTC by {mark.actor}"
                self._notice(f"The deploy is already marked ({when}).", "", "warning")
                return False
            return await self._mark(**details)

    async def _mark(self, **details: Any) -> bool:
        # The versions (the hotfix, and production before it) go into the event, so the
        # report can tell the deploy's story from the journal alone.
        if not await self.record(kinds.DEPLOY_MARKED, {**self._versions(), **details}):
            return False
        self._announce("deploy", "Hotfix deployed to production.")
        return True

    async def override(self, what: str, refusals: Sequence[str], reason: str) -> bool:
        """Journal that a person overrode a guard (who, what, why) and tell the webhooks.

        Used for a gated tick; the release controller journals its own (deploys, batches).
        """
        payload = {"what": what, "reason": reason, "refusals": list(refusals)}
        if not await self.record(kinds.OVERRIDE_GRANTED, payload):
            return False
        text = f"Override by {self.actor}: {what}. Reason: {reason}"
        self._announce("deploy", text, {"step": "override", **payload})
        return True

    async def note(self, item_id: str, text: str) -> bool:
        """Attach a note to a runbook item."""
        return await self.record(kinds.ITEM_NOTE, {"item": item_id, "text": text})

    async def not_applicable(self, item_id: str, reason: str) -> bool:
        """Mark a runbook item not applicable, with the reason."""
        return await self.record(kinds.ITEM_NA, {"item": item_id, "reason": reason})

    async def choose(self, choice_id: str, option: str) -> bool:
        """Pick one alternative of a runbook choice (Blue-Green or Rolling)."""
        return await self.record(kinds.CHOICE_MADE, {"choice": choice_id, "option": option})

    async def ack(self) -> bool:
        """Acknowledge the escalation level reached; False when none is, or it already is
        (checked against the journal as it stands: another screen may have acked it)."""
        async with self._commands:
            await self._catch_up()
            state = self._escalation
            payload = esc.ack_payload(state) if state is not None else None
            if state is None or payload is None:
                self._notice("No escalation level reached yet: nothing to acknowledge.")
                return False
            reached = state.reached
            if reached is not None and any(a.level >= reached.index for a in state.acks):
                self._notice("That level is acknowledged already.")
                return False
            return await self.record(kinds.ESCALATION_ACK, payload)

    async def send_status(self, text: str) -> bool:
        """Journal a status update and send it to the webhooks."""
        if not await self.record(kinds.STATUS_SENT, {"text": text}):
            return False
        self._announce("status", text)
        return True

    async def resolve(self) -> bool:
        """Resolve the incident: the clock and the ladder stop."""
        if not await self.record(kinds.INCIDENT_RESOLVED, {}):
            return False
        self._announce("resolved", "Incident resolved.")
        return True

    async def set_severity(self, severity: str) -> bool:
        """Change the incident's severity (SEV1..SEV4)."""
        if severity not in kinds.SEVERITIES:
            self._notice(f"unknown severity {severity!r}", "", "warning")
            return False
        return await self.record(kinds.SEVERITY_CHANGED, {"severity": severity})

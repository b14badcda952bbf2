"""The release controller: deploy commands and git actions of one incident, run and journaled.

A running command must outlive any screen that started it (the engineer goes back to
the dashboard to watch the graphs while production deploys), so the runner, the run in
progress and the rolling plan live here, owned by the incident session
(`IncidentSession.release`); screens only show its state and ask it to act.

Before a command runs, the runbook has its say (`guard`): the items the command
performs must have their requirements complete, and the chosen strategy must be the
command's. A person may override a refusal, with a reason, which is journaled
(`override.granted`) and sent to the webhooks like every step of the deploy path.

This module holds the controller's state, its guards and overrides; running the
commands is services/release/command_run.py, the git actions
services/release/git_actions.py, and the watch between rolling batches
services/release/rollout.py (mixins the controller is made of).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from warroom.services import events as kinds
from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.redact import redact
from warroom.services.release.actions import (
    ActionError,
    ActionRun,
    ActionRunner,
    PreparedAction,
    RollingPlan,
)
from warroom.services.release.command_run import ROLLING, CommandRunning
from warroom.services.release.controller_hooks import (
    Announce,
    Gates,
    Listener,
    Record,
    RunbookNow,
    VerdictNow,
)
from warroom.services.release.git_actions import GitActions
from warroom.services.release.release_info import ReleaseInfo
from warroom.services.release.rollout import verdict_refusal
from warroom.services.runbook.gates import command_refusals


class ReleaseController(CommandRunning, GitActions):
    """Owns the action runner, the latest run and the rolling plan, for the session's life.

    Nothing here touches widgets: screens subscribe to be told when the state changed
    and read `release`, `run`, `rolling` and `message`. Runs and their journaling go on
    in tasks of their own, so closing a screen never stops or forgets a deploy.
    """

    def __init__(
        self,
        loaded: LoadedConfig,
        clock: Clock,
        *,
        actor: str,
        record: Record,
        read_only: bool = False,
        gates: Gates | None = None,
        verdict: VerdictNow | None = None,
        runbook: RunbookNow | None = None,
        announce: Announce | None = None,
        runner: ActionRunner | None = None,
        gate_poll: float = 1.0,
    ) -> None:
        config = loaded.config
        self.loaded = loaded
        self.clock = clock
        self.actor = actor
        self.read_only = read_only
        self._record = record
        self._gates = gates
        self._judge = verdict
        self._runbook = runbook
        self._announce = announce
        self.runner = runner or ActionRunner(
            config.actions, clock, config_path=loaded.path, read_only=read_only
        )
        self.release: ReleaseInfo | None = None
        """The last git snapshot; None before the first read or without `[git]`."""
        self.run: ActionRun | None = None
        """The latest snapshot of the last action (git or command), for the output pane."""
        self.message = ""
        """One line about the last outcome (or refusal)."""
        actions = config.actions
        self.rolling: RollingPlan | None = (
            RollingPlan.from_config(actions)
            if actions.batches > 1 and ROLLING in actions.commands
            else None
        )
        self._gate_poll = gate_poll
        self._display_ids = itertools.count(1)
        self._task: asyncio.Task[Any] | None = None
        self._gate_task: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        self._closing = False
        self.running_label: str | None = None
        """The running command as the user knows it (`production v1.2.4`), or None."""

    # --- state -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether an action (git or command) is running now."""
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The task of the last action started (await it through `asyncio.shield`)."""
        return self._task

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` whenever the state changes; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def gates(self) -> Mapping[str, bool]:
        """The health and metric gates now, by name (empty when nothing feeds them)."""
        return self._gates() if self._gates is not None else {}

    def refusal(self) -> str | None:
        """Why no action may run now (read-only, unsafe config, one running), or None.

        No override lifts these: they protect the machine, not the procedure.
        """
        if self.busy and not self.runner.running:
            return "another action is still running"
        return self.runner.refusal()

    def guard(self, name: str) -> tuple[str, ...]:
        """Why the procedure says not to run command `name` now; () when it may run.

        The runbook's word (requirements of the items the command performs, the chosen
        strategy) and, for a rolling batch, the verdict on the batch before it (or,
        without a verdict, the plain gates). Each reason may be overridden by a person
        with a reason (`override`).
        """
        state = self._runbook() if self._runbook is not None else None
        reasons = list(command_refusals(state, name)) if state is not None else []
        plan = self.rolling
        if name == ROLLING and plan is not None and plan.failed is None:
            now = self.clock.monotonic()
            between = not plan.running and not plan.complete
            if between and self._judge is not None and plan.done > 0:
                refusal = verdict_refusal(plan, self._judge())
                if refusal is not None:
                    reasons.append(refusal)
            elif between and not plan.offer_next(now):
                reasons.append(f"batch {plan.next_batch}/{plan.total}: {plan.waiting_for(now)}")
        return tuple(reasons)

    async def override(self, what: str, refusals: tuple[str, ...], reason: str) -> bool:
        """Journal that a person overrode a refusal (who, what, why) and tell the webhooks."""
        payload = {"what": what, "reason": reason, "refusals": list(refusals)}
        if not await self._record(kinds.OVERRIDE_GRANTED, payload):
            return False
        text = f"Override by {self.actor}: {what}. Reason: {reason}"
        self._tell("deploy", text, {"step": "override", **payload})
        return True

    def _tell(self, event: str, text: str, fields: Mapping[str, Any]) -> None:
        if self._announce is not None:
            self._announce(event, text, redact(dict(fields), self.loaded.secrets))

    def placeholders(self, batch: int | None = None) -> dict[str, str | int | None]:
        """{version}, {previous_version} and {batch} as the commands will get them."""
        info = self.release
        return {
            "version": info.next_version if info is not None else None,
            "previous_version": info.previous_version if info is not None else None,
            "batch": batch,
        }

    def prepare(
        self, name: str, values: Mapping[str, str | int | None]
    ) -> PreparedAction | ActionError:
        """The exact argv of a command, as the confirmation shows and `start` runs it."""
        return self.runner.prepare(name, **values)

    # --- git actions -----------------------------------------------------------------

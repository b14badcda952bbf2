"""A rolling deploy between its batches: the verdict or the gates decide the next one.

Between batches the gates must hold for `gate_for`, or, with a verdict, the verdict on
the batch just deployed decides: Pass offers the next batch, Fail refuses it and
recommends the rollback, Inconclusive pauses for a person. They are watched here, in
a task of the controller's, so the rollout keeps counting while the dashboard is shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from warroom.services.clock import Clock
from warroom.services.release.actions import RollingPlan
from warroom.services.release.controller_hooks import VerdictNow
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.release.verdict import Outcome

ROLLOUT_WORDS: dict[Outcome, str] = {
    Outcome.PASS: "verdict Pass: next batch ready",
    Outcome.FAIL: "verdict Fail: next batch refused, roll back recommended",
    Outcome.INCONCLUSIVE: "verdict Inconclusive: paused, a person decides",
}
"""What each verdict means for the rollout, as the webhooks are told it."""


def verdict_refusal(plan: RollingPlan, verdict: DeployVerdict | None) -> str | None:
    """Why the next batch waits, by the verdict on the batch before it; None on Pass.

    A verdict on another deploy (the batch's end not journaled yet) is no answer.
    """
    where = f"batch {plan.next_batch}/{plan.total}"
    if verdict is None or verdict.batch != plan.done:
        return f"{where}: waiting for the verdict on batch {plan.done}"
    if verdict.outcome is Outcome.PASS:
        return None
    if verdict.outcome is Outcome.FAIL:
        return f"{where}: refused, verdict Fail · {verdict.headline} → roll back (ctrl+r)"
    return f"{where}: paused, verdict Inconclusive · {verdict.headline}: decide, or wait"


def verdict_plan(plan: RollingPlan, verdict: DeployVerdict | None, now: float) -> RollingPlan:
    """The plan as the verdict leaves it, so the Release screen shows ready or waiting.

    Pass counts as gates held long enough; anything else as gates not holding, named
    by the verdict's outcome.
    """
    if plan.running or plan.done == 0:
        return plan
    if verdict is not None and verdict.outcome is Outcome.PASS:
        held = plan.held_since if plan.held_since is not None else now - plan.gate_for
        return replace(plan, held_since=held, failed_gates=())
    word = "waiting for the verdict" if verdict is None else f"verdict {verdict.outcome.value}"
    return replace(plan, held_since=None, failed_gates=(word,))


class RolloutWatch:
    """The release controller's watch between rolling batches, told to the webhooks.

    A mixin of `ReleaseController`, which owns the state named below.
    """

    clock: Clock
    rolling: RollingPlan | None
    _judge: VerdictNow | None
    _gate_poll: float
    _changed: Callable[[], None]
    _tell: Callable[[str, str, Mapping[str, Any]], None]
    gates: Callable[[], Mapping[str, bool]]
    placeholders: Callable[[], dict[str, str | int | None]]

    async def _watch_gates(self) -> None:
        if self._judge is not None:
            await self._watch_verdict(self._judge)
            return
        # Between batches the gates must hold for `gate_for`; watched here, not in a
        # screen, so the rollout keeps counting while the dashboard is shown. Each
        # verdict (the gates stopped holding, they held long enough) goes to the webhooks.
        ready_told = False
        while (plan := self.rolling) is not None:
            if plan.running or plan.complete or plan.failed is not None:
                return
            now = self.clock.monotonic()
            observed = plan.observe_gates(dict(self.gates()), now)
            if observed != plan:
                self.rolling = observed
                self._changed()
                if observed.failed_gates and not plan.failed_gates:
                    failing = ", ".join(observed.failed_gates)
                    self._verdict(observed, f"gates not holding: {failing}")
                    ready_told = False
            if observed.offer_next(now) and not ready_told:
                ready_told = True
                self._verdict(observed, f"gates held {observed.gate_for:.0f}s: next batch ready")
                self._changed()
            await asyncio.sleep(self._gate_poll)

    async def _watch_verdict(self, judge: VerdictNow) -> None:
        # Between batches the verdict on the batch just deployed decides: Pass offers the
        # next batch, Fail refuses it and recommends the rollback, Inconclusive pauses
        # for a person. Each change goes to the webhooks with what it means for the
        # rollout (the verdict itself is journaled and told by the session).
        told: Outcome | None = None
        while (plan := self.rolling) is not None:
            if plan.running or plan.complete or plan.failed is not None:
                return
            now = self.clock.monotonic()
            verdict = judge()
            judged = verdict if verdict is not None and verdict.batch == plan.done else None
            observed = verdict_plan(plan, judged, now)
            if observed != plan:
                self.rolling = observed
                self._changed()
            if judged is not None and judged.outcome is not told:
                told = judged.outcome
                self._verdict(observed, ROLLOUT_WORDS[told])
            await asyncio.sleep(self._gate_poll)

    def _verdict(self, plan: RollingPlan, verdict: str) -> None:
        version = self.placeholders()["version"]
        text = f"Rolling deploy of {version}, after batch {plan.done}/{plan.total}: {verdict}"
        self._tell(
            "deploy",
            text,
            {"step": "rolling.verdict", "batch": plan.done, "verdict": verdict},
        )

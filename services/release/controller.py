"""The release controller: deploy commands and git actions of one incident, run and journaled.

A running command must outlive any screen that started it (the engineer goes back to
the dashboard to watch the graphs while production deploys), so the runner, the run in
progress and the rolling plan live here, owned by the incident session
(`IncidentSession.release`); screens only show its state and ask it to act.

Before a command runs, the runbook has its say (`guard`): the items the command
performs must have their requirements complete, and the chosen strategy must be the
command's. A person may override a refusal, with a reason, which is journaled
(`override.granted`) and sent to the webhooks like every step of the deploy path.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from warroom.services import events as kinds
from warroom.services.clock import Clock
from warroom.services.config import LoadedConfig
from warroom.services.journal.store import Journal, JournalWriteError, journal_path
from warroom.services.redact import redact
from warroom.services.release.actions import (
    ActionError,
    ActionRun,
    ActionRunner,
    PreparedAction,
    RollingPlan,
    RunState,
)
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.release.git import (
    ActionKind,
    ActionResult,
    Plan,
    Refusal,
    ReleaseInfo,
    execute,
    plan_branch,
    plan_merge_back,
    plan_tag,
    read_release,
)
from warroom.services.release.verdict import Outcome
from warroom.services.runbook.gates import command_refusals
from warroom.services.runbook.model import RunbookState
from warroom.services.sanitize import clean

Record = Callable[[str, dict[str, Any]], Awaitable[bool]]
"""Journals one event; True once it is committed (the session's `record`)."""

Gates = Callable[[], Mapping[str, bool]]
"""The health and metric gates by name, True while each holds."""

Listener = Callable[[], None]

Announce = Callable[[str, str, Mapping[str, Any]], None]
"""Sends one step of the deploy path to the webhooks: (event kind, text, fields)."""

VerdictNow = Callable[[], DeployVerdict | None]
"""The verdict on the deploy in production now (the session's `verdict_now`)."""

RunbookNow = Callable[[], RunbookState | None]
"""The checklist as the journal has it now (None when there is no runbook to ask)."""

ROLLING = "rolling"
"""The command run once per batch of a rolling deploy."""
PRODUCTION = "production"
"""The command whose success marks the deploy in the journal."""
ROLLBACK = "rollback"
"""The command run (after a typed confirmation) to go back to the previous version."""

GIT_EVENTS: dict[ActionKind, str] = {
    "branch": "release.branch",
    "tag": "release.tag",
    "merge_back": "release.merge",
}
"""The journal event of each git action."""

GIT_ACTIONS: tuple[tuple[ActionKind, str], ...] = (
    ("branch", "Create the hotfix branch from the production tag"),
    ("tag", "Tag the next version"),
    ("merge_back", "Merge back to main and delete the branch"),
)

GIT_TITLES: dict[str, tuple[ActionKind, str]] = {kind: (kind, t) for kind, t in GIT_ACTIONS}
"""Each git action and its title, by the option id the Release screen gives it."""

REFRESH_EVERY = 10.0
"""Seconds between re-reads of the git state while the screen is open."""

STARTED = kinds.ACTION_STARTED
"""Journaled when a command's process starts: name, argv (secrets masked), pid, pgid."""
END_EVENTS: dict[RunState, str] = {
    "succeeded": "action.finished",
    "failed": "action.failed",
    "cancelled": "action.cancelled",
    # Never journaled as an end (a run's last snapshot is never running); listed so
    # the table is total.
    "running": "action.finished",
}
"""The journal event of a command's end, by how it ended (exit status and duration)."""

QUIT_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when the user confirmed stopping to quit."""
SHUTDOWN_GRACE = 0.3
"""The same when the app is going away regardless (terminal closed, killed): short,
as the process ends a second after such a signal (`warroom.tui.stopping.DEADLINE`)."""


DEPLOYS = frozenset({PRODUCTION, ROLLING})
"""The commands that put a version in production: their start and end go to webhooks."""

GIT_ITEMS: dict[ActionKind, tuple[str, ...]] = {
    "branch": ("p03.branch-from-tag",),
    "tag": ("p07.tag-push",),
    "merge_back": ("p17.merge", "p17.cleanup"),
}
"""The runbook items each git action performs (those the runbook has and are open)."""


class ReleaseController:
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
    def repo_dir(self) -> Path | None:
        """The repository of `[git]`, resolved beside the config; None without `[git]`."""
        git = self.loaded.config.git
        return None if git is None else self.loaded.resolve(git.repo)

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

    async def refresh_release(self) -> ReleaseInfo | None:
        """Re-read the git state (in a thread) and tell the subscribers."""
        git = self.loaded.config.git
        repo = self.repo_dir
        if git is None or repo is None:
            return None
        self.release = await read_release(git, repo)
        self._changed()
        return self.release

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

    async def plan(self, kind: ActionKind) -> Plan | Refusal:
        """Read the git state afresh and plan one git action (both in a thread)."""
        info = await self.refresh_release()
        if info is None:
            return Refusal("no [git] section is configured")
        return await asyncio.to_thread(plan_for, kind, info)

    def start_git(self, plan: Plan) -> asyncio.Task[ActionResult]:
        """Run a confirmed git plan, journal it and re-read the state, in a task of its own."""
        task = asyncio.create_task(self._git(plan))
        self._task = task
        return task

    async def _git(self, plan: Plan) -> ActionResult:
        version = self.release.next_version if self.release is not None else None
        result = await execute(plan)
        lines = [f"$ {clean(line)}" for line in result.ran] + [result.message]
        self.run = ActionRun(
            run_id=next(self._display_ids),
            seq=1,
            name=f"git {plan.kind.replace('_', ' ')}",
            argv=(),
            state="succeeded" if result.ok else "failed",
            exit_code=0 if result.ok else 1,
            new_lines=tuple(lines),
            tail=tuple(lines),
            lines_total=len(lines),
        )
        self.message = result.message
        self._changed()
        payload: dict[str, Any] = {
            "ok": result.ok,
            "summary": plan.summary,
            "message": result.message,
            "commands": list(result.ran),
            "version": version,
        }
        await self._record(GIT_EVENTS[plan.kind], payload)
        if result.ok:
            await self._tick_git_items(plan.kind, clean(plan.summary, 200))
        await self.refresh_release()
        return result

    async def _tick_git_items(self, kind: ActionKind, summary: str) -> None:
        """The git action did what these items say: tick the open ones, noting how."""
        state = self._runbook() if self._runbook is not None else None
        if state is None:
            return
        for item_id in GIT_ITEMS[kind]:
            item = state.item(item_id)
            if item is not None and item.status == "open":
                await self._record(kinds.ITEM_DONE, {"item": item_id, "note": f"by git: {summary}"})

    # --- commands --------------------------------------------------------------------

    def start(self, name: str, values: Mapping[str, str | int | None]) -> asyncio.Task[ActionRun]:
        """Run a confirmed command in a task of its own; the task's result is the last run.

        A rolling batch's gates are then watched here, even while no screen shows them.
        """
        rolling = name == ROLLING and self.rolling is not None
        if rolling and self.rolling is not None:
            self.rolling = replace(self.rolling, failed=None).start_batch()
        task = asyncio.create_task(self._command(name, dict(values), rolling))
        self._task = task
        return task

    async def _command(
        self, name: str, values: dict[str, str | int | None], rolling: bool
    ) -> ActionRun:
        display = next(self._display_ids)
        final: ActionRun | None = None
        try:
            async for snapshot in self.runner.run(name, **values):
                if snapshot.pid is not None and snapshot.seq == 1:
                    # Journaled before the run (and so any of its output) is shown: a
                    # process is on record from its start, whatever happens afterwards.
                    self.running_label = _label(name, values)
                    await self._record(STARTED, self._payload(name, values, snapshot, started=True))
                    self._tell_step(name, values, "started", None)
                final = replace(snapshot, run_id=display)
                self.run = final
                self._changed()
        finally:
            self.running_label = None
        assert final is not None  # the runner always yields a final snapshot
        ok = final.state == "succeeded"
        self.message = final.status
        if rolling and self.rolling is not None:
            self.rolling = self.rolling.batch_finished(ok, self.clock.monotonic())
            if ok and not self.rolling.complete:
                self._gate_task = asyncio.create_task(self._watch_gates())
        self._changed()
        await self._journal(name, values, final, rolling)
        if final.pid is not None:
            self._tell_step(name, values, final.state, final)
        return final

    def _tell_step(
        self,
        name: str,
        values: Mapping[str, str | int | None],
        state: str,
        run: ActionRun | None,
    ) -> None:
        """One step of a deploy or rollback, to the webhooks."""
        if name not in DEPLOYS and name != ROLLBACK:
            return
        version, previous = values.get("version"), values.get("previous_version")
        batch = values.get("batch")
        if name == ROLLBACK:
            event, what = "rollback", f"Rollback of {version} to {previous}"
        elif batch is not None and self.rolling is not None:
            event, what = "deploy", f"Rolling batch {batch}/{self.rolling.total} of {version}"
        else:
            event, what = "deploy", f"Deploy of {version} to production ({name})"
        text = f"{what} {state}" + (f": {run.status}" if run is not None else ".")
        fields: dict[str, Any] = {"step": f"{name}.{state}", "action": name, "state": state}
        if batch is not None:
            fields["batch"] = batch
        if run is not None:
            fields["exit_code"] = run.exit_code
            fields["duration"] = round(run.duration, 3)
        self._tell(event, text, fields)

    def _payload(
        self, name: str, values: dict[str, str | int | None], run: ActionRun, started: bool
    ) -> dict[str, Any]:
        """What the journal keeps of a run; secrets in the argv are masked here, so no
        recorder can keep them whatever it does itself."""
        payload: dict[str, Any] = {"name": name, "argv": list(run.argv)}
        if run.pid is not None:
            payload["pid"] = run.pid
            payload["pgid"] = run.pgid
        if not started:
            payload["state"] = run.state
            payload["exit_code"] = run.exit_code
            payload["duration"] = round(run.duration, 3)
            if run.leftovers:
                payload["leftovers_stopped"] = run.leftovers
            if run.error is not None:
                payload["error"] = run.error
        if values.get("version") is not None:
            payload["version"] = values["version"]
        if values.get("batch") is not None:
            payload["batch"] = values["batch"]
        masked: dict[str, Any] = redact(payload, self.loaded.secrets)
        return masked

    async def _journal(
        self,
        name: str,
        values: dict[str, str | int | None],
        run: ActionRun,
        rolling: bool,
    ) -> None:
        record = self._while_open(self._record)
        await record(END_EVENTS[run.state], self._payload(name, values, run, started=False))
        ok = run.state == "succeeded"
        deployed = name == PRODUCTION or (
            rolling and self.rolling is not None and self.rolling.complete
        )
        if ok and deployed:
            await record(kinds.DEPLOY_MARKED, {"action": name, "version": values.get("version")})
        if name == ROLLBACK and run.error is None:
            await record(
                kinds.ROLLBACK_FINISHED,
                {
                    "version": values.get("previous_version"),
                    "from_version": values.get("version"),
                    "ok": ok,
                    "exit_code": run.exit_code,
                    "state": run.state,
                    "duration": round(run.duration, 3),
                },
            )

    def _while_open(self, record: Record) -> Record:
        """`record`, or, once the app is closing, a journal handle of the controller's own.

        As the app ends its screens close first, and the session's journal with them;
        the end of a command stopped then must still be on record.
        """

        async def keep(kind: str, payload: dict[str, Any]) -> bool:
            if not self._closing:
                return await record(kind, payload)
            return await asyncio.to_thread(self._append_directly, kind, payload)

        return keep

    def _append_directly(self, kind: str, payload: dict[str, Any]) -> bool:
        """Blocking: append one event through a journal handle opened for it."""
        if self.read_only:
            return False
        incident = self.loaded.config.incident.id
        path = journal_path(self.loaded.state_dir, incident)
        journal = Journal.open(path, self.clock, self.actor)
        try:
            journal.append(kind, redact(payload, self.loaded.secrets))
        except JournalWriteError:
            return False
        finally:
            journal.close()
        return True

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

    def cancel(self) -> bool:
        """Ask the running command to stop (SIGINT, SIGTERM, SIGKILL to its whole group);
        False if none runs."""
        return self.runner.cancel()

    async def stop(self, grace: float = QUIT_GRACE, journal_timeout: float = 5.0) -> None:
        """Stop a running command's whole process group (SIGTERM, then SIGKILL after
        `grace`) and wait until its end is journaled (`action.cancelled`).

        For quitting: returns once nothing it started runs and the journal has its end,
        or after `journal_timeout` more seconds if the journal does not answer.
        """
        task = self._task
        await self.runner.stop(grace)
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=journal_timeout)

    async def shutdown(self, timeout: float = 2.0, grace: float = SHUTDOWN_GRACE) -> None:
        """The app is exiting (a quit, a closed terminal): stop watching the gates, stop a
        running command's whole group quickly (SIGTERM, SIGKILL after `grace`), and give
        its end `timeout` seconds to be journaled."""
        self._closing = True
        if self._gate_task is not None:
            self._gate_task.cancel()
        task = self._task
        if task is None or task.done():
            return
        await self.stop(grace, timeout)
        if not task.done():
            # The journal did not answer in time: the group is already gone; do not hang.
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


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


def _label(name: str, values: Mapping[str, str | int | None]) -> str:
    """How a running command is named to the user: `production v1.2.4`, `rolling batch 2`."""
    parts = [name]
    if values.get("batch") is not None:
        parts.append(f"batch {values['batch']}")
    if values.get("version") is not None:
        parts.append(str(values["version"]))
    return clean(" ".join(parts), 120)


def plan_for(kind: ActionKind, info: ReleaseInfo) -> Plan | Refusal:
    """The plan (or refusal) of one git action; blocking (it may look at branches)."""
    if kind == "branch":
        return plan_branch(info)
    if kind == "tag":
        return plan_tag(info)
    return plan_merge_back(info)

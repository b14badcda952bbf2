"""The deploy commands of the release controller: run, told to the webhooks, journaled.

A running command must outlive any screen that started it, so it runs in a task of
the controller's. Its start is journaled before any of its output is shown, its end
by how it ended (with secrets in the argv masked), and a successful production deploy
(or the last rolling batch) marks the deploy. As the app closes, the end of a command
stopped then still goes on record through a journal handle of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from warroom.services import events as kinds
from warroom.services.config import LoadedConfig
from warroom.services.journal.store import Journal, JournalWriteError, journal_path
from warroom.services.redact import redact
from warroom.services.release.actions import ActionRun, ActionRunner, RunState
from warroom.services.release.controller_hooks import Record
from warroom.services.release.rollout import RolloutWatch
from warroom.services.sanitize import clean

ROLLING = "rolling"
"""The command run once per batch of a rolling deploy."""
PRODUCTION = "production"
"""The command whose success marks the deploy in the journal."""
ROLLBACK = "rollback"
"""The command run (after a typed confirmation) to go back to the previous version."""

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


class CommandRunning(RolloutWatch):
    """The release controller's commands: start one, follow its run, journal its end.

    A mixin of `ReleaseController`, which owns the state named below; a rolling batch
    that succeeds hands over to the watch between batches (`RolloutWatch`).
    """

    loaded: LoadedConfig
    actor: str
    read_only: bool
    runner: ActionRunner
    run: ActionRun | None
    message: str
    running_label: str | None
    _record: Record
    _display_ids: itertools.count[int]
    _task: asyncio.Task[Any] | None
    _gate_task: asyncio.Task[None] | None
    _closing: bool

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


def _label(name: str, values: Mapping[str, str | int | None]) -> str:
    """How a running command is named to the user: `production v1.2.4`, `rolling batch 2`."""
    parts = [name]
    if values.get("batch") is not None:
        parts.append(f"batch {values['batch']}")
    if values.get("version") is not None:
        parts.append(str(values["version"]))
    return clean(" ".join(parts), 120)

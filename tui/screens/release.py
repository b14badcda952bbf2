"""The Release screen: the git steps and deploy commands of a hotfix, shown, confirmed, journaled.

A running command must outlive the screen that started it (the engineer goes back to
the dashboard to watch the graphs while production deploys), so the runner, the run in
progress and the rolling plan live in a `ReleaseController` the app keeps for its whole
life; the screen only shows the controller's state and asks it to act.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

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
from warroom.services.sanitize import clean
from warroom.tui.runtime import Runtime
from warroom.tui.stopping import STOPPER
from warroom.widgets.action_output import ActionOutput, status_line
from warroom.widgets.confirm import ConfirmScreen, TypedConfirmScreen
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.release_bar import ReleaseBar

Record = Callable[[str, dict[str, Any]], Awaitable[bool]]
"""Journals one event; True once it is durable (the dashboard's `_record_async`)."""

Gates = Callable[[], Mapping[str, bool]]
"""The health and metric gates by name, True while each holds."""

Listener = Callable[[], None]

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

_GIT_TITLES: dict[str, tuple[ActionKind, str]] = {kind: (kind, t) for kind, t in GIT_ACTIONS}

REFRESH_EVERY = 10.0
"""Seconds between re-reads of the git state while the screen is open."""

STARTED = "action.started"
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


class ReleaseController:
    """Owns the action runner, the latest run and the rolling plan, for the app's lifetime.

    Nothing here touches widgets: screens subscribe to be told when the state changed
    and read `release`, `run`, `rolling` and `message`. Runs and their journaling go on
    in tasks of their own, so closing the screen never stops or forgets a deploy.
    """

    def __init__(
        self, runtime: Runtime, runner: ActionRunner | None = None, *, gate_poll: float = 1.0
    ) -> None:
        config = runtime.loaded.config
        self.runtime = runtime
        self.runner = runner or ActionRunner(
            config.actions,
            runtime.clock,
            config_path=runtime.loaded.path,
            read_only=runtime.read_only,
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
        self._gates: Gates | None = None
        self._display_ids = itertools.count(1)
        self._task: asyncio.Task[Any] | None = None
        self._gate_task: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        # Should the app not end in time after a signal, the process exits at once and
        # only the stopper's cleanups run: the command's group must not outlive it.
        STOPPER.add_cleanup(self.runner.kill_now)
        self._closing = False
        self.running_label: str | None = None
        """The running command as the user knows it (`production v1.2.4`), or None."""

    # --- state -----------------------------------------------------------------------

    @property
    def repo_dir(self) -> Path | None:
        """The repository of `[git]`, resolved beside the config; None without `[git]`."""
        git = self.runtime.loaded.config.git
        return None if git is None else self.runtime.loaded.resolve(git.repo)

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

    def refusal(self) -> str | None:
        """Why no action may run now (read-only, unsafe config, one running), or None."""
        if self.busy and not self.runner.running:
            return "another action is still running"
        return self.runner.refusal()

    async def refresh_release(self) -> ReleaseInfo | None:
        """Re-read the git state (in a thread) and tell the subscribers."""
        git = self.runtime.loaded.config.git
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

    def start_git(self, plan: Plan, record: Record) -> asyncio.Task[ActionResult]:
        """Run a confirmed git plan, journal it and re-read the state, in a task of its own."""
        task = asyncio.create_task(self._git(plan, record))
        self._task = task
        return task

    async def _git(self, plan: Plan, record: Record) -> ActionResult:
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
        await record(GIT_EVENTS[plan.kind], payload)
        await self.refresh_release()
        return result

    # --- commands --------------------------------------------------------------------

    def start(
        self,
        name: str,
        record: Record,
        values: Mapping[str, str | int | None],
        *,
        gates: Gates | None = None,
    ) -> asyncio.Task[ActionRun]:
        """Run a confirmed command in a task of its own; the task's result is the last run.

        `gates` (for a rolling batch) is kept to watch the gates after the batch, even
        while no screen shows them.
        """
        if gates is not None:
            self._gates = gates
        rolling = name == ROLLING and self.rolling is not None
        if rolling and self.rolling is not None:
            self.rolling = replace(self.rolling, failed=None).start_batch()
        task = asyncio.create_task(self._command(name, record, dict(values), rolling))
        self._task = task
        return task

    async def _command(
        self, name: str, record: Record, values: dict[str, str | int | None], rolling: bool
    ) -> ActionRun:
        display = next(self._display_ids)
        final: ActionRun | None = None
        try:
            async for snapshot in self.runner.run(name, **values):
                if snapshot.pid is not None and snapshot.seq == 1:
                    # Journaled before the run (and so any of its output) is shown: a
                    # process is on record from its start, whatever happens afterwards.
                    self.running_label = _label(name, values)
                    await record(STARTED, self._payload(name, values, snapshot, started=True))
                final = replace(snapshot, run_id=display)
                self.run = final
                self._changed()
        finally:
            self.running_label = None
        assert final is not None  # the runner always yields a final snapshot
        ok = final.state == "succeeded"
        self.message = status_line(final)
        if rolling and self.rolling is not None:
            self.rolling = self.rolling.batch_finished(ok, self.runtime.clock.monotonic())
            if ok and not self.rolling.complete:
                self._gate_task = asyncio.create_task(self._watch_gates())
        self._changed()
        await self._journal(record, name, values, final, rolling)
        return final

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
        masked: dict[str, Any] = redact(payload, self.runtime.loaded.secrets)
        return masked

    async def _journal(
        self,
        record: Record,
        name: str,
        values: dict[str, str | int | None],
        run: ActionRun,
        rolling: bool,
    ) -> None:
        record = self._while_open(record)
        await record(END_EVENTS[run.state], self._payload(name, values, run, started=False))
        ok = run.state == "succeeded"
        deployed = name == PRODUCTION or (
            rolling and self.rolling is not None and self.rolling.complete
        )
        if ok and deployed:
            await record("deploy.marked", {"action": name, "version": values.get("version")})
        if name == ROLLBACK and run.error is None:
            await record(
                "rollback.finished",
                {
                    "version": values.get("previous_version"),
                    "ok": ok,
                    "exit_code": run.exit_code,
                    "state": run.state,
                    "duration": round(run.duration, 3),
                },
            )

    def _while_open(self, record: Record) -> Record:
        """`record`, or, once the app is closing, a journal handle of the controller's own.

        As the app ends its screens close first, and the dashboard's journal with them;
        the end of a command stopped then must still be on record.
        """

        async def keep(kind: str, payload: dict[str, Any]) -> bool:
            if not self._closing:
                return await record(kind, payload)
            return await asyncio.to_thread(self._append_directly, kind, payload)

        return keep

    def _append_directly(self, kind: str, payload: dict[str, Any]) -> bool:
        """Blocking: append one event through a journal handle opened for it."""
        runtime = self.runtime
        if runtime.read_only:
            return False
        incident = runtime.loaded.config.incident.id
        path = journal_path(runtime.loaded.state_dir, incident)
        journal = Journal.open(path, runtime.clock, runtime.actor)
        try:
            journal.append(kind, redact(payload, runtime.loaded.secrets))
        except JournalWriteError:
            return False
        finally:
            journal.close()
        return True

    async def _watch_gates(self) -> None:
        # Between batches the gates must hold for `gate_for`; watched here, not in a
        # screen, so the rollout keeps counting while the dashboard is shown.
        while (plan := self.rolling) is not None:
            if plan.running or plan.complete or plan.failed is not None:
                return
            if self._gates is not None:
                observed = plan.observe_gates(dict(self._gates()), self.runtime.clock.monotonic())
                if observed != plan:
                    self.rolling = observed
                    self._changed()
            await asyncio.sleep(self._gate_poll)

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


def plan_for(kind: ActionKind, info: ReleaseInfo) -> Plan | Refusal:
    """The plan (or refusal) of one git action; blocking (it may look at branches)."""
    if kind == "branch":
        return plan_branch(info)
    if kind == "tag":
        return plan_tag(info)
    return plan_merge_back(info)


async def ask(app: App[Any], dialog: ModalScreen[bool]) -> bool:
    """Push a confirmation dialog and wait for its answer (from a worker or a handler)."""
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def done(result: bool | None) -> None:
        if not answer.done():
            answer.set_result(bool(result))

    app.push_screen(dialog, done)
    return await answer


async def rollback_flow(
    app: App[Any], controller: ReleaseController, record: Record
) -> ActionRun | None:
    """Roll production back after the previous version is typed; the last run, or None.

    Usable from any screen (the dashboard's ctrl+r): run it in a worker. The run and
    its journaling (`action.started`, its end, `rollback.finished`) go on if the caller
    goes away.
    """

    def say(message: str, severity: SeverityLevel = "information") -> None:
        app.notify(message, title="Rollback", severity=severity, markup=False)

    refusal = controller.refusal()
    if refusal is not None:
        say(refusal, "error")
        return None
    if ROLLBACK not in controller.runtime.loaded.config.actions.commands:
        say("no [actions.commands.rollback] is configured", "error")
        return None
    info = await controller.refresh_release()
    previous = info.previous_version if info is not None else None
    if previous is None:
        say("no previous version is known: there is no version tag to go back to", "error")
        return None
    values = controller.placeholders()
    prepared = controller.prepare(ROLLBACK, values)
    if isinstance(prepared, ActionError):
        say(prepared.message, "error")
        return None
    lines = [clean(prepared.description)] if prepared.description else []
    lines.append(f"$ {clean(prepared.line)}")
    title = f"Roll production back to {previous}"
    if not await ask(app, TypedConfirmScreen(title, lines, previous)):
        say("rollback cancelled: nothing ran")
        return None
    refusal = controller.refusal()
    if refusal is not None:
        say(refusal, "error")
        return None
    task = controller.start(ROLLBACK, record, values)
    say(f"rolling back to {previous}…")
    final = await asyncio.shield(task)
    say(status_line(final), "information" if final.state == "succeeded" else "error")
    return final


# --- the screen ----------------------------------------------------------------------


def _prompt(title: str, detail: str, lines: list[str], refused: bool = False) -> Text:
    text = Text()
    text.append(title, style="bold")
    if detail:
        text.append(f"  {detail}")
    for line in lines:
        text.append("\n    ")
        text.append(line, style="dim" if not refused else "italic")
    return text


class ReleaseScreen(Screen[None]):
    """The release bar, the git actions and deploy commands, and the running action's output."""

    DEFAULT_CSS = """
    ReleaseScreen #release-notice {
        height: auto;
        padding: 0 1;
        display: none;
    }
    ReleaseScreen #release-notice.-refused {
        display: block;
        color: $error;
        text-style: bold;
    }
    ReleaseScreen #release-body {
        height: 1fr;
    }
    ReleaseScreen #release-actions {
        width: 2fr;
        height: 1fr;
        border: round $panel-lighten-2;
    }
    ReleaseScreen #release-actions OptionList {
        height: 1fr;
    }
    ReleaseScreen ActionOutput {
        width: 3fr;
    }
    ReleaseScreen #release-rolling {
        height: auto;
        padding: 0 1;
    }
    ReleaseScreen #release-rolling.-waiting {
        color: $warning;
    }
    ReleaseScreen #release-rolling.-ready {
        color: $success;
    }
    ReleaseScreen #release-message {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+c", "cancel_action", "Cancel action"),
        Binding("ctrl+r", "rollback", "Roll back"),
        Binding("f5", "refresh", "Refresh git"),
        Binding("o", "focus_output", "Output"),
    ]

    info: reactive[ReleaseInfo | None] = reactive(None)
    """The git snapshot shown in the release bar."""
    run: reactive[ActionRun | None] = reactive(None, always_update=True)
    """The latest snapshot of the action shown in the output pane."""

    def __init__(
        self,
        runtime: Runtime,
        record: Record,
        gates: Callable[[], dict[str, bool]],
        controller: ReleaseController | None = None,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.record = record
        self.gates = gates
        self.controller = controller or ReleaseController(runtime)
        self._plans: dict[ActionKind, Plan | Refusal] = {}
        self._prompts: dict[str, str] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._release_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="release-notice", markup=False)
        yield ReleaseBar().data_bind(info=ReleaseScreen.info)
        with Horizontal(id="release-body"):
            with Vertical(id="release-actions") as actions:
                actions.border_title = "Actions · enter: review, then confirm"
                yield OptionList(*self._options(), id="release-list")
                yield Static("", id="release-rolling", markup=False)
                yield Static("", id="release-message", markup=False)
            yield ActionOutput().data_bind(run=ReleaseScreen.run)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#release-list", OptionList).focus()
        self._unsubscribe = self.controller.subscribe(self._sync)
        self._sync()
        self._release_timers = [
            self.set_interval(REFRESH_EVERY, self.action_refresh),
            self.set_interval(1.0, self._show_rolling),
        ]
        self.action_refresh()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for timer in self._release_timers:
            timer.stop()

    # --- what is shown ---------------------------------------------------------------

    def _sync(self) -> None:
        """The controller changed: show its state."""
        controller = self.controller
        self.info = controller.release
        if controller.run is not None and controller.run is not self.run:
            self.run = controller.run
        self.query_one("#release-message", Static).update(controller.message)
        self._show_rolling()
        self._show_notice()

    def _show_notice(self) -> None:
        refusal = self.controller.runner.refusal()
        if refusal == "another action is still running":
            refusal = None
        notice = self.query_one("#release-notice", Static)
        notice.update(f"Actions disabled: {refusal}" if refusal else "")
        notice.set_class(refusal is not None, "-refused")

    def _show_rolling(self) -> None:
        rolling = self.query_one("#release-rolling", Static)
        plan = self.controller.rolling
        rolling.display = plan is not None
        if plan is None:
            return
        now = self.runtime.clock.monotonic()
        line = f"Rolling deploy: {plan.progress} · {plan.waiting_for(now)}"
        if plan.gates and plan.done > 0 and not plan.complete:
            current = self.gates()
            marks = ", ".join(f"{g} {'✓' if current.get(g, False) else '✗'}" for g in plan.gates)
            line += f"\nGates (must hold {plan.gate_for:.0f}s): {marks}"
        rolling.update(line)
        rolling.set_class(plan.offer_next(now), "-ready")
        rolling.set_class(not plan.offer_next(now) and not plan.complete, "-waiting")
        self._update_option(f"cmd:{ROLLING}")

    def _options(self) -> list[Option]:
        options = [
            Option(self._git_prompt(kind, title), id=f"git:{kind}") for kind, title in GIT_ACTIONS
        ]
        options += [
            Option(self._command_prompt(name), id=f"cmd:{name}")
            for name in self.runtime.loaded.config.actions.commands
        ]
        return options

    def _git_prompt(self, kind: ActionKind, title: str) -> Text:
        plan = self._plans.get(kind)
        if self.runtime.loaded.config.git is None:
            return _prompt(title, "", ["no [git] section configured"], refused=True)
        if plan is None:
            return _prompt(title, "", ["reading git…"], refused=True)
        if isinstance(plan, Refusal):
            return _prompt(title, "", [f"unavailable: {plan.message}"], refused=True)
        return _prompt(title, "", [clean(line) for line in plan.lines])

    def _command_prompt(self, name: str) -> Text:
        command = self.runtime.loaded.config.actions.commands[name]
        batch: int | None = None
        detail = clean(command.description, 200)
        plan = self.controller.rolling
        if name == ROLLING and plan is not None:
            batch = plan.next_batch
            detail = f"{detail}  ({plan.progress})".strip()
        prepared = self.controller.prepare(name, self.controller.placeholders(batch))
        if isinstance(prepared, ActionError):
            return _prompt(clean(name, 100), detail, [prepared.message], refused=True)
        return _prompt(clean(name, 100), detail, [f"$ {clean(prepared.line)}"])

    def _update_option(self, option_id: str) -> None:
        options = self.query_one("#release-list", OptionList)
        kind, _, name = option_id.partition(":")
        if kind == "git" and name in _GIT_TITLES:
            prompt = self._git_prompt(*_GIT_TITLES[name])
        elif name in self.runtime.loaded.config.actions.commands:
            prompt = self._command_prompt(name)
        else:
            return
        if self._prompts.get(option_id) != prompt.plain:
            self._prompts[option_id] = prompt.plain
            options.replace_option_prompt(option_id, prompt)

    def _refresh_options(self) -> None:
        for option in self.query_one("#release-list", OptionList).options:
            if option.id is not None:
                self._update_option(option.id)

    def _say(self, message: str, severity: SeverityLevel = "information") -> None:
        self.controller.message = message
        self.query_one("#release-message", Static).update(message)
        self.notify(message, severity=severity, markup=False)

    # --- keys ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.run_worker(self._refresh(), group="release-refresh", exclusive=True)

    async def _refresh(self) -> None:
        info = await self.controller.refresh_release()
        if info is not None:
            kinds = [kind for kind, _ in GIT_ACTIONS]
            plans = await asyncio.gather(*(asyncio.to_thread(plan_for, k, info) for k in kinds))
            self._plans = dict(zip(kinds, plans, strict=True))
        self._refresh_options()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cancel_action(self) -> None:
        if self.controller.cancel():
            self._say(
                "cancelling: SIGINT sent to it and all it started (then SIGTERM, SIGKILL)",
                "warning",
            )

    def on_action_output_cancel_requested(self, message: ActionOutput.CancelRequested) -> None:
        message.stop()
        self.action_cancel_action()

    def action_focus_output(self) -> None:
        self.query_one(ActionOutput).focus()

    def action_rollback(self) -> None:
        self.run_worker(self._rollback(), group="release-flow", exclusive=False)

    async def _rollback(self) -> None:
        await rollback_flow(self.app, self.controller, self.record)

    @on(OptionList.OptionSelected, "#release-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        kind, _, name = option_id.partition(":")
        refusal = self.controller.refusal()
        if refusal is not None:
            self._say(f"Refused: {refusal}", "error")
            return
        if kind == "git" and name in _GIT_TITLES:
            self.run_worker(self._git_flow(_GIT_TITLES[name][0]), group="release-flow")
        elif name == ROLLBACK:
            self.action_rollback()
        else:
            self.run_worker(self._command_flow(name), group="release-flow")

    async def _git_flow(self, kind: ActionKind) -> None:
        plan = await self.controller.plan(kind)
        if isinstance(plan, Refusal):
            self._say(f"Refused: {plan.message}", "error")
            return
        lines = [clean(line) for line in plan.lines]
        if not await ask(self.app, ConfirmScreen(clean(plan.summary).capitalize(), lines, "Run")):
            self._say("Cancelled: nothing ran.")
            return
        result = await asyncio.shield(self.controller.start_git(plan, self.record))
        self._say(result.message, "information" if result.ok else "error")

    async def _command_flow(self, name: str) -> None:
        await self.controller.refresh_release()
        batch: int | None = None
        plan = self.controller.rolling
        title = f"Run {name}"
        if name == ROLLING and plan is not None:
            now = self.runtime.clock.monotonic()
            if plan.complete:
                self._say(f"The rolling deploy is complete: {plan.progress}.")
                return
            if plan.failed is None and not plan.offer_next(now):
                self._say(f"Not yet: {plan.waiting_for(now)}", "warning")
                return
            batch = plan.next_batch
            retry = " again (it failed)" if plan.failed is not None else ""
            title = f"Deploy batch {batch}/{plan.total}{retry}"
        values = self.controller.placeholders(batch)
        prepared = self.controller.prepare(name, values)
        if isinstance(prepared, ActionError):
            self._say(f"Refused: {prepared.message}", "error")
            return
        lines = [clean(prepared.description)] if prepared.description else []
        lines.append(f"$ {clean(prepared.line)}")
        if not await ask(self.app, ConfirmScreen(clean(title), lines, "Run")):
            self._say("Cancelled: nothing ran.")
            return
        refusal = self.controller.refusal()
        if refusal is not None:
            self._say(f"Refused: {refusal}", "error")
            return
        self.controller.start(name, self.record, values, gates=self.gates)
        self.query_one(ActionOutput).focus()

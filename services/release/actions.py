"""Deploy commands from `[actions]`, run as guarded subprocesses with live output.

A command is an argv list with placeholders ({version}, {previous_version},
{batch}); it runs without a shell unless the config says `shell = true`, in its own
process group (services/process.py) so cancelling reaches its children and nothing
it started outlives it, with stdout and stderr merged,
read in chunks (a 1 MB line costs a capped line, not a megabyte per copy), cleaned
and streamed as `ActionRun` snapshots. Filling the argv is in `action_argv.py`; the
rolling deploy's state machine in `rolling.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shlex
import signal
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from warroom.services import process
from warroom.services.clock import Clock
from warroom.services.config import ActionsConfig
from warroom.services.redact import mask

# The release controller reads the prepared command, its refusal and the rolling plan
# from here, beside the runner they go with.
from warroom.services.release.action_argv import ActionError as ActionError
from warroom.services.release.action_argv import PreparedAction as PreparedAction
from warroom.services.release.action_argv import check_config_permissions, prepare
from warroom.services.release.rolling import RollingPlan as RollingPlan
from warroom.services.sanitize import MAX_LINE, clean_bytes

RunState = Literal["running", "succeeded", "failed", "cancelled"]

_CHUNK = 64 * 1024
_CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
"""A user's cancel: SIGINT first, as a Ctrl-C in a terminal, so a script can clean up."""


# --- running -------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRun:
    """A snapshot of one run: the pane renders it, the journal records the last one."""

    run_id: int
    seq: int
    """Increases with every snapshot of a run, so each is a distinct value."""
    name: str
    argv: tuple[str, ...]
    state: RunState
    exit_code: int | None = None
    duration: float = 0.0
    new_lines: tuple[str, ...] = ()
    """Output lines since the previous snapshot (cleaned)."""
    tail: tuple[str, ...] = ()
    """The last lines of output (cleaned), for a pane opened late."""
    lines_total: int = 0
    error: str | None = None
    """Set when the action could not start (refused, unknown, not executable)."""
    pid: int | None = None
    """The command's process id (None when it could not start)."""
    pgid: int | None = None
    """Its process group: every process it started, stopped together."""
    leftovers: int = 0
    """Processes it left running in its group after it exited, which were stopped."""

    @property
    def line(self) -> str:
        """The argv as one shell-quoted line, for display (secrets from the environment masked)."""
        return mask(shlex.join(self.argv))

    @property
    def finished(self) -> bool:
        """Whether the run is over, for better or worse."""
        return self.state != "running"

    @property
    def status(self) -> str:
        """`deploy  running 12.3s` / `deploy  failed (exit 3) 4.0s` / the refusal: one
        line for the output pane, a toast and a webhook alike."""
        if self.error is not None:
            return f"{self.name}  refused: {self.error}"
        if self.state == "running":
            state = "running"
        elif self.state == "cancelled":
            code = f" (exit {self.exit_code})" if self.exit_code is not None else ""
            state = f"cancelled{code}"
        else:
            state = f"{self.state} (exit {self.exit_code})"
        return f"{self.name}  {state}  {self.duration:.1f}s"


@dataclass
class _Live:
    child: process.GroupProcess
    cancel_requested: bool = False
    escalation: asyncio.Task[process.ProcessEnd] | None = None


class _LineSplitter:
    """Bytes in, cleaned lines out; a line longer than the cap is cut, not accumulated."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._buf = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[str]:
        lines: list[str] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            if not self._skipping:
                room = self._max - len(self._buf)
                self._buf += piece[: max(room, 0)]
                if len(piece) > room:
                    lines.append(self._emit(truncated=True))
                    self._skipping = True
            if nl < 0:
                return lines
            if self._skipping:
                self._skipping = False
            else:
                lines.append(self._emit())
            start = nl + 1

    def close(self) -> list[str]:
        if self._buf and not self._skipping:
            return [self._emit()]
        return []

    def _emit(self, truncated: bool = False) -> str:
        data = bytes(self._buf)
        self._buf.clear()
        if data.endswith(b"\r"):
            data = data[:-1]
        text = clean_bytes(data, limit=MAX_LINE)
        if truncated and not text.endswith("[line truncated]"):
            text += " …[line truncated]"
        return text


class ActionRunner:
    """Runs one named action at a time and cancels it on request.

    `grace` is the wait between SIGINT and SIGTERM (and SIGTERM and SIGKILL);
    `config_path`, when given, is checked with `check_config_permissions` before
    every run; `read_only` refuses every run.
    """

    def __init__(
        self,
        config: ActionsConfig,
        clock: Clock,
        *,
        config_path: Path | None = None,
        read_only: bool = False,
        grace: float = 5.0,
        batch_interval: float = 0.05,
        tail_lines: int = 200,
        max_pending: int = 5000,
        drain_timeout: float = 1.0,
    ) -> None:
        self._config = config
        self._clock = clock
        self._config_path = config_path
        self._read_only = read_only
        self._grace = grace
        self._batch_interval = batch_interval
        self._tail_lines = tail_lines
        self._max_pending = max_pending
        self._drain_timeout = drain_timeout
        self._ids = itertools.count(1)
        self._live: _Live | None = None

    @property
    def running(self) -> bool:
        """Whether an action is running now."""
        return self._live is not None

    def prepare(self, name: str, **placeholders: str | int | None) -> PreparedAction | ActionError:
        """The exact argv that `run` would execute, for the confirmation dialog."""
        return prepare(self._config, name, **placeholders)

    def refusal(self) -> str | None:
        """Why no action may run now, or None."""
        if self._read_only:
            return "this instance is read-only: it runs no actions"
        if self._live is not None:
            return "another action is still running"
        if self._config_path is not None:
            return check_config_permissions(self._config_path)
        return None

    async def run(self, name: str, **placeholders: str | int | None) -> AsyncIterator[ActionRun]:
        """Start the action and yield snapshots until it ends (the last one is final)."""
        run_id = next(self._ids)
        prepared = self.prepare(name, **placeholders)
        refused = self.refusal()
        if isinstance(prepared, ActionError) or refused is not None:
            message = refused if refused is not None else str(getattr(prepared, "message", ""))
            argv = prepared.argv if isinstance(prepared, PreparedAction) else ()
            yield ActionRun(run_id, 1, name, argv, "failed", error=message)
            return
        async for snapshot in self._run(run_id, prepared):
            yield snapshot

    async def _run(self, run_id: int, prepared: PreparedAction) -> AsyncIterator[ActionRun]:
        started = self._clock.monotonic()
        seq = itertools.count(1)
        base = ActionRun(run_id, 0, prepared.name, prepared.argv, "running")
        try:
            child = await process.start(prepared.argv)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            yield replace(
                base, seq=1, state="failed", error=f"cannot start {prepared.argv[0]}: {reason}"
            )
            return
        base = replace(base, pid=child.pid, pgid=child.pgid)
        live = _Live(child)
        self._live = live
        pending: deque[str] = deque()
        tail: deque[str] = deque(maxlen=self._tail_lines)
        counts = {"total": 0, "dropped": 0}
        wake = asyncio.Event()

        def push(lines: list[str]) -> None:
            for line in lines:
                counts["total"] += 1
                tail.append(line)
                if len(pending) >= self._max_pending:
                    pending.popleft()
                    counts["dropped"] += 1
                pending.append(line)
            if lines:
                wake.set()

        async def pump() -> None:
            assert child.stdout is not None
            splitter = _LineSplitter(MAX_LINE * 4)
            while data := await child.stdout.read(_CHUNK):
                push(splitter.feed(data))
            push(splitter.close())

        reader = asyncio.create_task(pump())
        waiter = asyncio.create_task(child.wait())

        def snapshot(
            state: RunState = "running", code: int | None = None, leftovers: int = 0
        ) -> ActionRun:
            lines = list(pending)
            pending.clear()
            if counts["dropped"]:
                lines.insert(0, f"…[{counts['dropped']} lines skipped]")
                counts["dropped"] = 0
            return replace(
                base,
                seq=next(seq),
                state=state,
                exit_code=code,
                duration=self._clock.monotonic() - started,
                new_lines=tuple(lines),
                tail=tuple(tail),
                lines_total=counts["total"],
                leftovers=leftovers,
            )

        try:
            # The first snapshot carries no output (the reader has not run yet): the
            # owner journals the start from it before any line of the command shows.
            yield snapshot()
            while not reader.done():
                wake_task = asyncio.create_task(wake.wait())
                await asyncio.wait({reader, wake_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                wake_task.cancel()
                if waiter.done() and not reader.done():
                    await self._drain(live, reader)
                    if not reader.done():
                        break
                if wake.is_set():
                    wake.clear()
                    yield snapshot()
                    await asyncio.sleep(self._batch_interval)
            code = await waiter
            end = await self._end_group(live)
            state: RunState = "succeeded" if code == 0 else "failed"
            if live.cancel_requested:
                state = "cancelled"
            yield snapshot(state, code, end.leftovers)
        finally:
            self._live = None
            if child.ended is None:
                # The consumer went away mid-run (the app is closing, the task was
                # cancelled): stop the whole group and wait for it; never orphan it.
                await child.stop(self._grace)
            for task in (reader, waiter, live.escalation):
                if task is not None and not task.done():
                    task.cancel()

    async def _drain(self, live: _Live, reader: asyncio.Task[None]) -> None:
        """The command exited but its pipe is still open: something it started in the
        background holds it. Give that a moment to finish writing, then end what is
        left of the group (which closes the pipe) and read what remains."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), self._drain_timeout)
        if reader.done():
            return
        await self._end_group(live)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), self._drain_timeout)
        if not reader.done():
            # Held by a process outside the group that could not be found.
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            live.child.close_pipes()

    async def _end_group(self, live: _Live) -> process.ProcessEnd:
        """The leader has exited: wait for a stop under way, or stop what it left."""
        if live.escalation is not None:
            return await asyncio.shield(live.escalation)
        return await live.child.finish(self._grace)

    def cancel(self) -> bool:
        """Ask the running action to stop: SIGINT, then SIGTERM and SIGKILL a grace period
        apart, to its whole process group, until no member of the group is left.

        Returns False when nothing is running.
        """
        live = self._live
        if live is None or live.child.ended is not None:
            return False
        if live.cancel_requested:
            return True
        live.cancel_requested = True
        live.escalation = asyncio.create_task(live.child.stop(self._grace, _CANCEL_SIGNALS))
        return True

    def kill_now(self) -> None:
        """Last resort, callable from any thread (the process is about to end at once):
        SIGKILL the running action's whole group, with no wait and no journal."""
        live = self._live
        if live is not None:
            live.child.send(signal.SIGKILL)

    async def stop(self, grace: float = process.DEFAULT_GRACE) -> bool:
        """Stop the running action now (SIGTERM, then SIGKILL after `grace`) and return
        once its whole group is gone; hurries a cancel already under way.

        For quitting: the run still ends as `cancelled` for whoever consumes it.
        Returns False when nothing is running.
        """
        live = self._live
        if live is None or live.child.ended is not None:
            return False
        if not live.cancel_requested:
            live.cancel_requested = True
            live.escalation = asyncio.create_task(live.child.stop(grace))
            await asyncio.shield(live.escalation)
        else:
            await live.child.stop(grace)
        return True

"""Every child process warroom starts, in a process group of its own that ends with it.

A deploy script, a `[[log]] command` or the demo's git may start children of its own
(`sleep 45 & wait`, an ssh, a pager); signalling the one process we started would leave
those running after warroom has gone. So each child starts in a new session (it leads
its own process group, pgid == pid), and stopping it signals the whole group, TERM then
KILL after a grace period, and waits until no member of the group is left, not merely
until the leader has exited.

Both an asyncio form (`start`, `GroupProcess`) for the engine's streams and a blocking
form (`run_sync`) for one-shot commands run from a thread are here, so there is one
place that knows how a child is started and ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil

TERM_THEN_KILL: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGKILL)
"""How a group is stopped unless the owner asks otherwise."""

DEFAULT_GRACE = 2.0
"""Seconds a group gets after each signal before the next, stronger one."""

_POLL = 0.02
"""How often the leader's exit is looked at: on Python 3.11 `Process.wait()` also waits
for the pipes, which a grandchild can hold open forever."""

_GROUP_POLL = 0.05
"""How often a stopping group is looked at: the kernel has no 'group is empty' event,
and a look reads /proc."""

_FIRST_POLL = 0.005
"""The first look after a signal: most groups are gone within milliseconds; the pause
then doubles up to `_GROUP_POLL`."""


@dataclass(frozen=True)
class ProcessStart:
    """A child has started: what ran and where to find it, for the journal."""

    argv: tuple[str, ...]
    pid: int
    pgid: int


@dataclass(frozen=True)
class ProcessEnd:
    """A child's group has ended: how the leader exited and how long it all took."""

    exit_code: int | None
    """The leader's exit status; negative is the signal that ended it (None: unknown)."""
    duration: float
    """Seconds from start until the last member of the group was gone."""
    stopped: bool
    """Whether the owner signalled the group (a stop, not the command's own end)."""
    leftovers: int = 0
    """Members still running after the leader exited on its own, stopped by the owner."""


def group_alive(pgid: int) -> bool:
    """Whether any live process is still in the process group `pgid`.

    Signal 0 answers "nobody" cheaply. When it finds someone, the members are looked
    at: a zombie is dead, though it stays in the group until its new parent (init, in
    a container often a slow reaper) collects it. A member we may not signal (it
    changed its user) still counts: it is alive, and the caller must not pretend not.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """The pids of the live (not zombie) processes in group `pgid`, best effort."""
    proc = Path("/proc")
    if not proc.is_dir():
        return _members_psutil(pgid)
    found: list[int] = []
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue  # it ended while we looked
        # The command name may hold spaces or parentheses: the fields follow the last ')'.
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            found.append(int(entry.name))
    return found


def _members_psutil(pgid: int) -> list[int]:
    found: list[int] = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
    return found


def signal_group(pgid: int, sig: signal.Signals, strays: Sequence[int] = ()) -> None:
    """Send `sig` to the whole group, and to `strays` (descendants that left the group).

    A group that is already empty is not an error: stopping is idempotent.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for pid in strays:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def strays_of(pid: int, pgid: int) -> list[int]:
    """Descendants of `pid` still alive that moved to another process group.

    A child that called setsid() is out of reach of `killpg`; while its parent chain
    is still alive it can be found, so a stop takes it along.
    """
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    found: list[int] = []
    for child in children:
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(child.pid) != pgid:
                found.append(child.pid)
    return found


class GroupProcess:
    """An asyncio child leading its own process group, stopped as a whole.

    Made by `start`. The owner reads `stdout`, awaits `wait()` for the leader's exit
    and calls `stop()` (or `finish()`, after the leader exited) so no member is left.
    """

    def __init__(self, proc: asyncio.subprocess.Process, argv: tuple[str, ...]) -> None:
        self.proc = proc
        self.argv = argv
        self.pid = proc.pid
        self.pgid = proc.pid  # the child called setsid(): it leads its own group
        self._started = time.monotonic()
        self._ended: ProcessEnd | None = None
        self._stopping = False

    @property
    def start_info(self) -> ProcessStart:
        """What the journal records when the child starts."""
        return ProcessStart(self.argv, self.pid, self.pgid)

    @property
    def stdout(self) -> asyncio.StreamReader | None:
        """The child's output (stderr merged in when started that way)."""
        return self.proc.stdout

    @property
    def returncode(self) -> int | None:
        """The leader's exit status, None while it runs."""
        return self.proc.returncode

    @property
    def ended(self) -> ProcessEnd | None:
        """How the group ended, once `stop` or `finish` has seen it empty."""
        return self._ended

    @property
    def stopping(self) -> bool:
        """Whether a stop has been asked for."""
        return self._stopping

    async def wait(self) -> int:
        """The leader's exit status, once it has exited (members may still run)."""
        while self.proc.returncode is None:
            await asyncio.sleep(_POLL)
        return self.proc.returncode

    def alive(self) -> bool:
        """Whether the leader or any member of its group still runs."""
        return self.proc.returncode is None or group_alive(self.pgid)

    def send(self, sig: signal.Signals) -> None:
        """Send `sig` to every member of the group (and to descendants that left it)."""
        signal_group(self.pgid, sig, strays_of(self.pid, self.pgid))

    async def stop(
        self,
        grace: float = DEFAULT_GRACE,
        signals: Sequence[signal.Signals] = TERM_THEN_KILL,
    ) -> ProcessEnd:
        """Signal the whole group with each of `signals` in turn, `grace` seconds apart,
        until no member is left; then close the pipes.

        A later call does not wait for an earlier, slower one: both signal on their own
        schedule and both return once the group is empty (a quit may hurry a cancel).
        """
        if self._ended is not None:
            return self._ended
        self._stopping = True
        # Shielded: the owner being cancelled must not leave the group half stopped.
        task = asyncio.create_task(self._stop(grace, tuple(signals)))
        return await asyncio.shield(task)

    async def _stop(self, grace: float, signals: tuple[signal.Signals, ...]) -> ProcessEnd:
        for sig in signals:
            if not self.alive():
                break
            self.send(sig)
            if await self._gone_within(grace):
                break
        # A member still there after the strongest signal is one we may not signal, or
        # one stuck in the kernel: reported by `alive()`, not waited on forever.
        if self._ended is not None:
            return self._ended
        return self._end(stopped=True)

    async def finish(self, grace: float = DEFAULT_GRACE) -> ProcessEnd:
        """The leader exited on its own: stop whatever it left behind in its group."""
        await self.wait()
        if self._ended is not None:
            return self._ended
        if not group_alive(self.pgid):
            return self._end(stopped=self._stopping)
        leftovers = len(group_members(self.pgid))
        end = await self.stop(grace)
        self._ended = ProcessEnd(end.exit_code, end.duration, stopped=False, leftovers=leftovers)
        return self._ended

    async def _gone_within(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        pause = _FIRST_POLL
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, _GROUP_POLL)
        return True

    def _end(self, stopped: bool) -> ProcessEnd:
        self.close_pipes()
        self._ended = ProcessEnd(
            exit_code=self.proc.returncode,
            duration=time.monotonic() - self._started,
            stopped=stopped,
        )
        return self._ended

    def close_pipes(self) -> None:
        """Drop our ends of the child's pipes (a member that held them is gone by now)."""
        # asyncio offers no public way to close a pipe a grandchild still holds; without
        # this the transport (and its file descriptor) lives as long as the grandchild.
        transport = getattr(self.proc, "_transport", None)
        if isinstance(transport, asyncio.SubprocessTransport):
            transport.close()


async def start(
    argv: Sequence[str],
    *,
    stdin: int | None = asyncio.subprocess.DEVNULL,
    stdout: int | None = asyncio.subprocess.PIPE,
    stderr: int | None = asyncio.subprocess.STDOUT,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> GroupProcess:
    """Start `argv` (no shell) as the leader of a new session and process group.

    Raises OSError when it cannot be started (not found, not executable), for the
    caller to turn into its own one-line message.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        env=None if env is None else dict(env),
        start_new_session=True,
    )
    return GroupProcess(proc, tuple(argv))


def run_sync(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    timeout: float | None = None,
    check: bool = False,
    grace: float = DEFAULT_GRACE,
) -> subprocess.CompletedProcess[bytes]:
    """`subprocess.run` with output captured, in a group of its own that ends with it.

    For blocking one-shot commands (from a thread or before the loop starts). On a
    timeout, an interrupt or any other error while waiting, the whole group is stopped
    before the exception goes on; the group is stopped too when the leader exits and
    leaves members behind.
    """
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=None if env is None else dict(env),
        start_new_session=True,
    ) as popen:
        try:
            out, err = popen.communicate(input, timeout=timeout)
        except BaseException:
            stop_sync(popen, grace)
            raise
        stop_sync(popen, grace)
    code = popen.returncode
    if check and code != 0:
        raise subprocess.CalledProcessError(code, list(argv), out, err)
    return subprocess.CompletedProcess(list(argv), code, out, err)


def stop_sync(popen: subprocess.Popen[Any], grace: float = DEFAULT_GRACE) -> None:
    """Blocking: TERM then KILL the group `popen` leads until it is empty, and reap it."""
    pgid = popen.pid
    for sig in TERM_THEN_KILL:
        if popen.poll() is not None and not group_alive(pgid):
            break
        signal_group(pgid, sig, strays_of(popen.pid, pgid))
        deadline = time.monotonic() + grace
        pause = _FIRST_POLL
        while (popen.poll() is None or group_alive(pgid)) and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, _GROUP_POLL)
    popen.wait()
    for stream in (popen.stdin, popen.stdout, popen.stderr):
        _close(stream)


def _close(stream: IO[Any] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()

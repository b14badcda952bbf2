"""The process-group helper, with real shells, sleeps and their grandchildren."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from warroom.services import process

PY = sys.executable


def running(pid: int) -> bool:
    """Whether `pid` still runs. A zombie has ended: it only waits for its new parent
    (init, a slow reaper in some containers) to collect it."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


async def read_pid(child: process.GroupProcess) -> int:
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), 10)
    return int(line.decode())


async def test_stopping_sleep_and_wait_leaves_no_sleep_behind() -> None:
    # The reported case: a background sleep in a non-interactive shell ignores SIGINT
    # and outlived the shell when only the shell's end was waited for.
    child = await process.start(["sh", "-c", "sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    assert running(sleep) and os.getpgid(sleep) == child.pgid == child.pid
    end = await child.stop(grace=5)
    assert not running(sleep)
    assert not running(child.pid)
    assert end.stopped and end.exit_code == -signal.SIGTERM
    assert not child.alive()


async def test_a_group_that_ignores_sigterm_is_killed_after_the_grace_period() -> None:
    # An ignored signal is inherited: the background sleep ignores SIGTERM too.
    child = await process.start(["sh", "-c", "trap '' TERM; sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    end = await child.stop(grace=0.2)
    assert not running(sleep)
    assert end.exit_code == -signal.SIGKILL


async def test_a_cancel_signal_the_group_ignores_moves_on_to_the_next() -> None:
    child = await process.start(["sh", "-c", "sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    # SIGINT ends the shell but not its background sleep; SIGTERM must follow.
    end = await child.stop(0.2, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL))
    assert not running(sleep)
    assert end.exit_code == -signal.SIGINT


async def test_a_quicker_stop_hurries_a_slow_one_under_way() -> None:
    child = await process.start(["sh", "-c", "trap '' INT TERM; sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    slow = asyncio.create_task(child.stop(60, (signal.SIGINT, signal.SIGKILL)))
    await asyncio.sleep(0)  # the slow stop has sent SIGINT and waits out its grace
    end = await asyncio.wait_for(child.stop(0.1), 10)
    assert not running(sleep)
    assert (await asyncio.wait_for(slow, 10)) == end


async def test_finish_stops_what_the_command_left_running() -> None:
    child = await process.start(["sh", "-c", "sleep 45 & echo $!"])
    sleep = await read_pid(child)
    assert await child.wait() == 0
    assert running(sleep)
    end = await child.finish(grace=5)
    assert not running(sleep)
    assert end.exit_code == 0 and not end.stopped and end.leftovers == 1


async def test_finish_of_a_command_that_left_nothing() -> None:
    child = await process.start(["true"])
    end = await child.finish()
    assert end == process.ProcessEnd(0, end.duration, stopped=False, leftovers=0)


async def test_a_descendant_that_left_the_group_is_stopped_too() -> None:
    # setsid puts the sleep in a session of its own: out of reach of the group signal,
    # but still a descendant while the shell waits for it.
    child = await process.start(["sh", "-c", "setsid sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    for _ in range(500):  # setsid execs the sleep: wait for it to have left the group
        if os.getpgid(sleep) != child.pgid:
            break
        await asyncio.sleep(0.01)
    assert os.getpgid(sleep) != child.pgid
    await child.stop(grace=5)
    assert not running(sleep)


async def test_a_cancelled_owner_still_stops_the_whole_group() -> None:
    child = await process.start(["sh", "-c", "sleep 45 & echo $!; wait"])
    sleep = await read_pid(child)
    owner = asyncio.create_task(child.stop(grace=5))
    await asyncio.sleep(0)
    owner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await owner
    # The stop itself was shielded: it goes on and ends the group.
    await asyncio.wait_for(child.stop(grace=5), 10)
    assert not running(sleep)


async def test_a_command_that_cannot_start_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        await process.start([str(tmp_path / "missing")])


def test_group_alive_tells_an_empty_group() -> None:
    with subprocess.Popen(["sleep", "45"], start_new_session=True) as popen:
        assert process.group_alive(popen.pid)
        assert process.group_members(popen.pid) == [popen.pid]
        process.stop_sync(popen, grace=5)
    assert not process.group_alive(popen.pid)


def test_run_sync_returns_the_output_and_leaves_nothing(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    done = process.run_sync(
        ["sh", "-c", f"sleep 45 >/dev/null 2>&1 & echo $! > {pidfile}; echo out; echo err >&2"]
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"out\n", b"err\n")
    assert not running(int(pidfile.read_text()))


def test_run_sync_on_timeout_stops_the_group_and_raises(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(subprocess.TimeoutExpired):
        process.run_sync(
            ["sh", "-c", f"sleep 45 & echo $! > {pidfile}; wait"], timeout=0.5, grace=5
        )
    assert not running(int(pidfile.read_text()))


def test_run_sync_check_raises_with_the_error_output() -> None:
    with pytest.raises(subprocess.CalledProcessError) as caught:
        process.run_sync(["sh", "-c", "echo broken >&2; exit 3"], check=True)
    assert caught.value.returncode == 3 and caught.value.stderr == b"broken\n"


def test_run_sync_feeds_input() -> None:
    done = process.run_sync([PY, "-c", "import sys; print(sys.stdin.read().upper())"], input=b"hi")
    assert done.stdout == b"HI\n"

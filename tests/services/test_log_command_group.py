"""A `[[log]] command` source: nothing the command starts outlives it (real shells)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psutil

from warroom.services.clock import ManualClock
from warroom.services.config import LogConfig
from warroom.services.logs.follow import LogFollower
from warroom.services.logs.lines import LogEvent, LogLine


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has ended; init collects it in its own time)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


async def wait_until(check: object, timeout: float = 10.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


class Follow:
    """A follower of one command, its lines and events collected as they come."""

    def __init__(self, command: list[str], tmp_path: Path) -> None:
        config = LogConfig(name="cmd", command=command, restart_backoff=60.0)
        self.follower = LogFollower(config, tmp_path, ManualClock(), 0.02)
        self.lines: list[str] = []
        self.events: list[str] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for batch in self.follower.stream():
            for item in batch.items:
                if isinstance(item, LogLine):
                    self.lines.append(item.text)
                elif isinstance(item, LogEvent):
                    self.events.append(item.kind)

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def test_a_followed_command_s_background_child_ends_with_the_follower(
    tmp_path: Path,
) -> None:
    # Its background sleep ignores SIGTERM too (an ignored signal is inherited).
    follow = Follow(["sh", "-c", "trap '' TERM; sleep 45 & echo $!; wait"], tmp_path)
    try:
        await wait_until(lambda: bool(follow.lines))
        sleep = int(follow.lines[0])
        assert running(sleep)
    finally:
        await follow.close()
    await wait_until(lambda: not running(sleep))


async def test_what_an_exited_command_left_running_is_stopped_before_the_restart(
    tmp_path: Path,
) -> None:
    follow = Follow(["sh", "-c", "sleep 45 >/dev/null 2>&1 & echo $!"], tmp_path)
    try:
        await wait_until(lambda: "exited" in follow.events)
        # Said "exited" only once what it left behind was gone.
        assert not running(int(follow.lines[0]))
    finally:
        await follow.close()

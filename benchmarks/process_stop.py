"""Ending a child's process group: what a stop and a clean exit cost.

1. `group_alive` on a live group: the check a stop repeats (5 ms after a signal, the
   pause doubling up to 50 ms): signal 0, then one read of /proc to tell live members
   from zombies.
2. `finish()` of a command that left nothing behind: the overhead every action and
   every `[[log]] command` restart now pays. Goal: p50 below 5 ms.
3. `stop()` of `sh -c 'sleep 45 & wait'`, from the request until no member is left
   (SIGTERM ends both). Goal: p50 below 100 ms.
4. `stop()` of a group that ignores SIGTERM, with a 0.2 s grace: the grace plus the
   SIGKILL, so the bound a quit or a closed terminal waits at most.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import time

from warroom.services import process

RUNS = 20
FINISH_GOAL_MS = 5.0
STOP_GOAL_MS = 100.0
GRACE = 0.2


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def time_group_alive() -> float:
    with subprocess.Popen(["sleep", "45"], start_new_session=True) as popen:
        runs = []
        for _ in range(RUNS * 10):
            start = time.perf_counter()
            process.group_alive(popen.pid)
            runs.append(time.perf_counter() - start)
        process.stop_sync(popen)
    return statistics.median(runs)


async def time_finish() -> float:
    runs = []
    for _ in range(RUNS):
        child = await process.start(["true"])
        await child.wait()
        start = time.perf_counter()
        await child.finish()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


async def time_stop(script: str, grace: float) -> float:
    runs = []
    for _ in range(RUNS):
        child = await process.start(["sh", "-c", script])
        assert child.stdout is not None
        await child.stdout.readline()  # the background sleep is running
        start = time.perf_counter()
        await child.stop(grace)
        runs.append(time.perf_counter() - start)
        assert not child.alive()
    return statistics.median(runs)


async def measure() -> dict[str, float]:
    return {
        "group_alive_ms": ms(time_group_alive()),
        "finish_ms": ms(await time_finish()),
        "stop_term_ms": ms(await time_stop("sleep 45 & echo up; wait", 5.0)),
        "stop_kill_ms": ms(await time_stop("trap '' TERM; sleep 45 & echo up; wait", GRACE)),
    }


def main() -> None:
    result = asyncio.run(measure())
    procs = sum(1 for name in os.listdir("/proc") if name.isdigit())
    rows = [
        ("group_alive (live group)", result["group_alive_ms"], "-"),
        ("finish, nothing left", result["finish_ms"], f"< {FINISH_GOAL_MS}"),
        ("stop, sleep & wait (TERM)", result["stop_term_ms"], f"< {STOP_GOAL_MS}"),
        (f"stop, TERM ignored ({GRACE}s grace)", result["stop_kill_ms"], "-"),
    ]
    print(f"process groups: medians of {RUNS} runs, {procs} processes on the host")
    print(f"{'measure':<36} {'ms':>10} {'goal ms':>10}")
    for name, value, goal in rows:
        print(f"{name:<36} {value:>10.3f} {goal:>10}")
    ok = result["finish_ms"] < FINISH_GOAL_MS and result["stop_term_ms"] < STOP_GOAL_MS
    print(json.dumps({"benchmark": "process_stop", **result, "processes": procs, "ok": ok}))


if __name__ == "__main__":
    main()

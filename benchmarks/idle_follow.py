"""Following an idle log: the CPU a follower spends while nothing is written. Goal: at
most 1% of one core at the screen's poll interval, and no busy loop at a test's 20 ms.

An idle incident log is the common case (the service is quiet, or down): a follower
that spins there costs a laptop's battery and the event loop's attention. The follower
runs in this process, reading one file that gets a single line and then nothing, for
`--seconds` (default 5) at each poll interval; CPU is this process's user + system time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from warroom.services.clock import SystemClock
from warroom.services.config import LogConfig
from warroom.services.logs.follow import LogFollower

POLLS = (0.25, 0.02)
"""The dashboard's poll interval, then the tests' (the stress case)."""

GOAL_PCT = {0.25: 1.0, 0.02: 5.0}
"""Percent of one core allowed at each poll interval."""


async def idle_cpu(poll: float, seconds: float) -> float:
    """Percent of one core used following an idle file for `seconds`."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        log.write_text("one line, then silence\n", encoding="utf-8")
        follower = LogFollower(LogConfig(name="app", path=str(log)), Path(tmp), SystemClock(), poll)
        stream = follower.stream()
        await anext(stream)  # the backlog: from here on the file is idle
        consumer = asyncio.ensure_future(anext(stream))
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        used, spent = time.process_time() - cpu, time.monotonic() - wall
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await stream.aclose()
    return 100.0 * used / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="idle time per interval")
    args = parser.parse_args()
    results = {poll: asyncio.run(idle_cpu(poll, args.seconds)) for poll in POLLS}
    print(f"idle log following: {args.seconds:g} s per poll interval, CPU of one core")
    print(f"{'poll interval':<16} {'cpu %':>8} {'goal %':>8}")
    for poll, pct in results.items():
        print(f"{poll * 1000:>10.0f} ms    {pct:>8.2f} {GOAL_PCT[poll]:>8.1f}")
    ok = all(pct <= GOAL_PCT[poll] for poll, pct in results.items())
    line = {f"cpu_pct_poll_{int(poll * 1000)}ms": round(pct, 3) for poll, pct in results.items()}
    print(json.dumps({"benchmark": "idle_follow", **line, "seconds": args.seconds, "ok": ok}))


if __name__ == "__main__":
    main()

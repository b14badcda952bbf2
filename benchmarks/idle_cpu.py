"""Idle CPU: percent of one core used by the running demo over 60 s. Goal <= 2%."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.terminal import spawn

TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    warroom = str(Path(sys.executable).with_name("warroom"))
    with tempfile.TemporaryDirectory() as cwd:
        proc = spawn([warroom, "demo"], 80, 24, cwd=cwd)
        try:
            if proc.wait_for(TITLES, timeout=30) is None:
                raise SystemExit("idle_cpu: the demo never drew its panes")
            deadline = time.monotonic() + 3  # let start-up work settle
            while time.monotonic() < deadline:
                proc.pump()
            process = psutil.Process(proc.pid)

            def cpu_seconds() -> float:
                total = 0.0
                for p in [process, *process.children(recursive=True)]:
                    try:
                        times = p.cpu_times()
                        total += times.user + times.system
                    except psutil.NoSuchProcess:
                        pass
                return total

            before, start = cpu_seconds(), time.monotonic()
            while time.monotonic() - start < args.seconds:
                proc.pump(0.2)
            used, elapsed = cpu_seconds() - before, time.monotonic() - start
            rss_mb = process.memory_info().rss / 2**20
        finally:
            proc.stop()
    percent = 100.0 * used / elapsed
    print(f"{'measure':<30}{'value':>12}")
    print(f"{'window (s)':<30}{elapsed:>12.1f}")
    print(f"{'CPU (% of one core)':<30}{percent:>12.2f}")
    print(f"{'RSS (MB)':<30}{rss_mb:>12.1f}")
    print("goal: <= 2% of one core")
    print(
        json.dumps(
            {
                "benchmark": "idle_cpu",
                "seconds": round(elapsed, 1),
                "cpu_percent": round(percent, 3),
                "rss_mb": round(rss_mb, 1),
                "goal_cpu_percent": 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()

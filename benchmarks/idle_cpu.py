"""Idle CPU: percent of one core used by the running demo over 60 s. Goal <= 2%.

`--hooks-off paint_cache,line_paint` turns the named private-Textual hooks off (see
`widgets/internals.py`), `--stock` turns them all off: what each hook buys is the
difference. `benchmarks/idle_hooks.py` runs every variant, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

from benchmarks.terminal import spawn

TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]

_STOCK_DRIVER = (
    "import sys, warroom.widgets.internals;"
    "from textual.drivers.linux_driver import LinuxDriver;"
    "warroom.widgets.internals.QuietDriver = LinuxDriver;"
    "from warroom.tui.cli import main; sys.exit(main(['demo']))"
)
"""The demo with Textual's own Linux driver: the quiet driver is chosen in the app, so
turning it off for a measurement means handing the app the stock class under its name."""


def measure(seconds: float, hooks_off: Sequence[str] = (), stock: bool = False) -> dict[str, float]:
    """CPU (% of one core, the demo and its children) and RSS over `seconds` of idling."""
    env_before = dict(os.environ)
    os.environ["WARROOM_HOOKS_OFF"] = ",".join(hooks_off)
    if stock:
        os.environ["WARROOM_STOCK_TEXTUAL"] = "1"
    else:
        os.environ.pop("WARROOM_STOCK_TEXTUAL", None)
    if stock or "quiet_driver" in hooks_off:
        argv = [sys.executable, "-c", _STOCK_DRIVER]
    else:
        argv = [str(Path(sys.executable).with_name("warroom")), "demo"]
    try:
        with tempfile.TemporaryDirectory() as cwd:
            proc = spawn(argv, 80, 24, cwd=cwd)
            try:
                return _idle(proc, seconds)
            finally:
                proc.stop()
    finally:
        os.environ.clear()
        os.environ.update(env_before)


def _idle(proc: object, seconds: float) -> dict[str, float]:
    from benchmarks.terminal import PtyProcess

    assert isinstance(proc, PtyProcess)
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
    while time.monotonic() - start < seconds:
        proc.pump(0.2)
    used, elapsed = cpu_seconds() - before, time.monotonic() - start
    return {
        "seconds": round(elapsed, 1),
        "cpu_percent": round(100.0 * used / elapsed, 3),
        "rss_mb": round(process.memory_info().rss / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--hooks-off", default="", help="comma-separated hook names")
    parser.add_argument("--stock", action="store_true", help="every private hook off")
    args = parser.parse_args()
    hooks_off = [h for h in args.hooks_off.split(",") if h]
    result = measure(args.seconds, hooks_off, args.stock)
    variant = "stock" if args.stock else ("-" + ",-".join(hooks_off) if hooks_off else "all hooks")
    print(f"{'measure':<30}{'value':>12}")
    print(f"{'variant':<30}{variant:>12}")
    print(f"{'window (s)':<30}{result['seconds']:>12.1f}")
    print(f"{'CPU (% of one core)':<30}{result['cpu_percent']:>12.2f}")
    print(f"{'RSS (MB)':<30}{result['rss_mb']:>12.1f}")
    print("goal: <= 2% of one core")
    print(
        json.dumps({"benchmark": "idle_cpu", "variant": variant, **result, "goal_cpu_percent": 2.0})
    )


if __name__ == "__main__":
    main()

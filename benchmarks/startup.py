"""Start-up: whole-process time until `warroom demo` shows its five panes, against a
bare one-widget Textual app, in the same run. Goal: ratio <= 1.5x (median of 10)."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.terminal import spawn

TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]
RUNS = 10


def measure(argv: list[str], needles: list[str]) -> tuple[float, float | None]:
    """Seconds until `needles` are drawn, and from pressing q until the process exits."""
    with tempfile.TemporaryDirectory() as cwd:
        proc = spawn(argv, 80, 24, cwd=cwd)
        try:
            seconds = proc.wait_for(needles, timeout=30)
            quit_s = None
            if seconds is not None:
                proc.send(b"q")
                quit_s = proc.wait_exit(timeout=10)
        finally:
            proc.stop()
    if seconds is None:
        raise SystemExit(f"startup: {argv[0]} never drew {needles}")
    return seconds, quit_s


def main() -> None:
    here = Path(__file__).resolve().parent
    warroom = str(Path(sys.executable).with_name("warroom"))
    bare_argv = [sys.executable, str(here / "bare_app.py")]
    demo: list[float] = []
    bare: list[float] = []
    quits: list[float] = []
    for _ in range(RUNS):  # interleaved, so both see the same machine
        bare.append(measure(bare_argv, ["BARE-READY"])[0])
        shown, quit_s = measure([warroom, "demo"], TITLES)
        demo.append(shown)
        if quit_s is not None:
            quits.append(quit_s)
    quit_median = statistics.median(quits) if quits else float("nan")
    demo_median = statistics.median(demo)
    bare_median = statistics.median(bare)
    ratio = demo_median / bare_median
    print(f"{'measure':<28}{'median s':>10}{'min s':>10}{'max s':>10}")
    print(f"{'bare Textual app':<28}{bare_median:>10.3f}{min(bare):>10.3f}{max(bare):>10.3f}")
    print(f"{'warroom demo (5 panes)':<28}{demo_median:>10.3f}{min(demo):>10.3f}{max(demo):>10.3f}")
    print(
        f"{'demo: q until exit':<28}{quit_median:>10.3f}{min(quits, default=0):>10.3f}"
        f"{max(quits, default=0):>10.3f}"
    )
    print(f"ratio {ratio:.2f}x (goal <= 1.5x); quit {quit_median:.2f}s (goal <= 1 s)")
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "runs": RUNS,
                "bare_median_s": round(bare_median, 4),
                "demo_median_s": round(demo_median, 4),
                "ratio": round(ratio, 3),
                "quit_median_s": round(quit_median, 4),
                "quits_measured": len(quits),
                "goal_ratio": 1.5,
            }
        )
    )


if __name__ == "__main__":
    main()

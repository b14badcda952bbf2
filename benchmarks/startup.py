"""Start-up: whole-process time until `warroom demo` shows its five panes, against a
bare one-widget Textual app, in the same run. Goal: ratio <= 1.5x (median of 10).

The demo draws the five pane frames first and loads the services behind them, so it is
also timed until the dashboard is live (the incident header, the runbook's progress
and a health state drawn: goal 3 s), and `q` is pressed on the live dashboard."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.terminal import spawn

TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]
LIVE = ["INC-DEMO", "Overall", "PENDING"]
"""Drawn only by the live dashboard: the header, the runbook's progress, a health state."""
RUNS = 10
GOAL_LIVE_S = 3.0


def measure(
    argv: list[str], needles: list[str], live: list[str] | None = None
) -> tuple[float, float | None, float | None]:
    """Seconds until `needles` are drawn, until `live` ones are too, and from pressing q
    (once everything is drawn) until the process exits."""
    with tempfile.TemporaryDirectory() as cwd:
        proc = spawn(argv, 80, 24, cwd=cwd)
        try:
            seconds = proc.wait_for(needles, timeout=30)
            live_s = quit_s = None
            if seconds is not None and live:
                live_s = proc.wait_for(live, timeout=30)
            if seconds is not None and (live_s is not None or not live):
                proc.send(b"q")
                quit_s = proc.wait_exit(timeout=10)
        finally:
            proc.stop()
    if seconds is None or (live and live_s is None):
        raise SystemExit(f"startup: {argv[0]} never drew {needles + (live or [])}")
    return seconds, live_s, quit_s


def main() -> None:
    here = Path(__file__).resolve().parent
    warroom = str(Path(sys.executable).with_name("warroom"))
    bare_argv = [sys.executable, str(here / "bare_app.py")]
    demo: list[float] = []
    bare: list[float] = []
    quits: list[float] = []
    lives: list[float] = []
    for _ in range(RUNS):  # interleaved, so both see the same machine
        bare.append(measure(bare_argv, ["BARE-READY"])[0])
        shown, live_s, quit_s = measure([warroom, "demo"], TITLES, LIVE)
        demo.append(shown)
        if live_s is not None:
            lives.append(live_s)
        if quit_s is not None:
            quits.append(quit_s)
    live_median = statistics.median(lives)
    quit_median = statistics.median(quits) if quits else float("nan")
    demo_median = statistics.median(demo)
    bare_median = statistics.median(bare)
    ratio = demo_median / bare_median
    print(f"{'measure':<28}{'median s':>10}{'min s':>10}{'max s':>10}")
    print(f"{'bare Textual app':<28}{bare_median:>10.3f}{min(bare):>10.3f}{max(bare):>10.3f}")
    print(f"{'warroom demo (5 panes)':<28}{demo_median:>10.3f}{min(demo):>10.3f}{max(demo):>10.3f}")
    print(f"{'demo: live dashboard':<28}{live_median:>10.3f}{min(lives):>10.3f}{max(lives):>10.3f}")
    print(
        f"{'demo: q until exit':<28}{quit_median:>10.3f}{min(quits, default=0):>10.3f}"
        f"{max(quits, default=0):>10.3f}"
    )
    print(
        f"ratio {ratio:.2f}x (goal <= 1.5x); live in {live_median:.2f}s (goal <= 3 s); "
        f"quit {quit_median:.2f}s (goal <= 1 s)"
    )
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "runs": RUNS,
                "bare_median_s": round(bare_median, 4),
                "demo_median_s": round(demo_median, 4),
                "ratio": round(ratio, 3),
                "live_median_s": round(live_median, 4),
                "goal_live_s": GOAL_LIVE_S,
                "quit_median_s": round(quit_median, 4),
                "quits_measured": len(quits),
                "goal_ratio": 1.5,
            }
        )
    )


if __name__ == "__main__":
    main()

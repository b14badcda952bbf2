"""Demo set-up: what `warroom demo` spends building its folder before the panes go live.

1. The files from package data alone: the scripts copied (made executable), `demo.env`,
   and `warroom.toml` rendered from its template.
2. `DemoTarget.start()` as a whole (state files, the git repository by one fast-import,
   the files, the log backlog, the HTTP service), then `stop()`.
The demo builds this in the app's start-up thread, behind the first frame; goal: p50 of
the whole start below 250 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from warroom.services.demo.target import DemoTarget
from warroom.services.demo.workdir import demo_config, install_scripts

RUNS = 15
START_GOAL_MS = 250.0


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def time_files(root: Path) -> list[float]:
    """Seconds per run of copying the scripts and rendering the config."""
    runs = []
    values = {"STATE": "/s", "BASE_URL": "http://127.0.0.1:1", "PY": sys.executable}
    for i in range(RUNS):
        bin_dir = root / f"files-{i}" / "bin"
        start = time.perf_counter()
        install_scripts(bin_dir, values)
        text = demo_config(datetime.now(UTC), "http://127.0.0.1:1", root / "log", bin_dir)
        (bin_dir.parent / "warroom.toml").write_text(text, encoding="utf-8")
        runs.append(time.perf_counter() - start)
    return runs


def time_target(root: Path) -> tuple[list[float], list[float]]:
    """Seconds per run of `start()` and of `stop()` of a whole demo target."""
    starts, stops = [], []
    for i in range(RUNS):
        target = DemoTarget(root / f"demo-{i}")
        begin = time.perf_counter()
        target.start()
        started = time.perf_counter()
        target.stop()
        starts.append(started - begin)
        stops.append(time.perf_counter() - started)
    return starts, stops


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="warroom-bench-demo-") as tmp:
        root = Path(tmp)
        files = time_files(root)
        starts, stops = time_target(root)
    rows = [("scripts + config", files), ("DemoTarget.start()", starts), ("stop()", stops)]
    print(f"{'demo set-up (ms)':<24}{'p50':>10}{'min':>10}{'max':>10}")
    for name, runs in rows:
        print(
            f"{name:<24}{ms(statistics.median(runs)):>10.1f}"
            f"{ms(min(runs)):>10.1f}{ms(max(runs)):>10.1f}"
        )
    start_p50 = ms(statistics.median(starts))
    ok = start_p50 < START_GOAL_MS
    print(f"goal: start p50 < {START_GOAL_MS:g} ms: {'met' if ok else 'MISSED'}")
    print(
        json.dumps(
            {
                "benchmark": "demo_setup",
                "runs": RUNS,
                "files_p50_ms": ms(statistics.median(files)),
                "start_p50_ms": start_p50,
                "stop_p50_ms": ms(statistics.median(stops)),
                "start_goal_ms": START_GOAL_MS,
                "goal_met": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

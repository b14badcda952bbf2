"""`make bench`: every benchmark in turn, each printing its table and a JSON line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = [
    "startup",
    "idle_cpu",
    "journal",
    "journal_backends",
    "probes",
    "log_open",
    "log_follow",
    "idle_follow",
    "tail_truth",
    "verdict",
    "promql",
]


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    failed = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=root)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""What each private-Textual hook buys in idle CPU: the demo idled with every hook,
with none (stock Textual), and with each hook off in turn.

The machine is shared, so the variants are interleaved (one round runs each variant
once) and the table gives the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics

from benchmarks.idle_cpu import measure
from warroom.widgets.internals import HOOKS

VARIANTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "all hooks": ((), False),
    "stock Textual": ((), True),
    **{f"-{hook}": ((hook,), False) for hook in HOOKS},
}
"""Variant name -> (hooks off, stock)."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated variant names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(VARIANTS)
    runs: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            hooks_off, stock = VARIANTS[name]
            cpu = measure(args.seconds, hooks_off, stock)["cpu_percent"]
            runs[name].append(cpu)
            print(f"round {round_ + 1} {name:<18}{cpu:8.2f}%", flush=True)
    base = statistics.median(runs[names[0]])
    print(f"\n{'variant':<20}{'median CPU %':>14}{'vs first':>10}  runs")
    for name, values in runs.items():
        median = statistics.median(values)
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<20}{median:>14.2f}{median - base:>+10.2f}  {shown}")
    print(
        json.dumps(
            {
                "benchmark": "idle_hooks",
                "seconds": args.seconds,
                "rounds": args.rounds,
                "median_cpu_percent": {n: round(statistics.median(v), 3) for n, v in runs.items()},
                "runs": runs,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Opening a big log: whole-process time until the last screen of lines matching `auth`
is out, for a 10 MB and a 1 GB log, against the shell tools on the same files.

Goal: <= 1.0 s, 10 MB and 1 GB within 0.2 s of each other, peak RSS < 150 MB.
Measured: `warroom tail` (the headless path, to its exit) warm and cold page cache, and
the dashboard (`warroom --config`, a pty, until the last matching line is drawn).
Logs are generated once under `$WARROOM_BENCH_DIR` (default /tmp/warroom-bench).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.log_tools import (
    LAST_MATCH,
    LAST_NEEDLE,
    MB,
    WORD,
    drop_cache,
    ensure_log,
    run_measured,
)
from benchmarks.terminal import PtyProcess, spawn

RUNS = 5
LINES = 20
GOAL_S = 1.0
GOAL_SPREAD_S = 0.2
GOAL_RSS_MB = 150.0
ROOT = Path(__file__).resolve().parent.parent

_TAIL_SCRIPT = (
    "import asyncio, sys\n"
    "from warroom.tui.headless.tail import tail\n"
    "a = sys.argv\n"
    "code = tail(files=[a[1]], filter_expr=a[2], lines=int(a[3]), follow=False)\n"
    "sys.exit(asyncio.run(code))\n"
)


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds, CPU seconds (user + system; steady on a busy machine) and
    peak RSS in MB (None when not measured)."""

    wall_s: float
    cpu_s: float
    rss_mb: float | None
    first_draw_s: float | None = None


def headless(path: Path, cold: bool) -> Sample:
    """One run of `tail(files=[path], filter_expr="auth", lines=20, follow=False)`."""
    if cold:
        drop_cache(path)
    usage = run_measured(
        [sys.executable, "-c", _TAIL_SCRIPT, str(path), WORD, str(LINES)], cwd=str(ROOT)
    )
    lines = usage.stdout.decode().splitlines()
    if usage.returncode != 0 or len(lines) != LINES or LAST_MATCH not in lines[-1]:
        raise SystemExit(f"log_open: warroom tail printed the wrong lines for {path}: {lines[-3:]}")
    return Sample(usage.wall_s, usage.cpu_s, usage.max_rss_mb)


def shell(command: str, path: Path) -> Sample:
    """One run of a shell pipeline on `path` (CPU of the whole pipeline, no RSS)."""
    before = os.times()
    usage = run_measured(["sh", "-c", command.format(path=path, word=WORD, n=LINES)])
    after = os.times()
    if LAST_MATCH not in usage.stdout.decode() and "tail -n" not in command:
        raise SystemExit(f"log_open: {command!r} missed the last match")
    cpu = after.children_user + after.children_system
    cpu -= before.children_user + before.children_system
    return Sample(usage.wall_s, cpu, None)


def _proc_usage(pid: int) -> tuple[float, float]:
    """CPU seconds so far and peak RSS (MB) of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan"), float("nan")
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return cpu, int(line.split()[1]) / 1024
    return cpu, float("nan")


_ESCAPE = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]"
)


def _wait_drawn(proc: PtyProcess, needles: list[str], timeout: float) -> list[float] | None:
    """Seconds from start until each needle was first drawn, or None on timeout; escapes
    are removed from the whole output, so one cut in two by a read cannot hide the text."""
    raw = bytearray()
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < len(needles):
        ready, _, _ = select.select([proc.fd], [], [], 0.02)
        if not ready:
            continue
        try:
            raw += os.read(proc.fd, 1 << 16)
        except OSError:
            return None
        screen = _ESCAPE.sub(b"", raw[-(1 << 16) :])
        for needle in needles:
            if needle not in found and needle.encode() in screen:
                found[needle] = time.monotonic() - proc.started
    return [found[n] for n in needles] if len(found) == len(needles) else None


PANE_TITLE = "Error log"


def dashboard(path: Path) -> Sample | None:
    """Until `warroom --config` (one `[[log]]` on `path`, filter auth) draws the last
    matching line in a 160x48 pty; None when it never does. `first_draw_s` is when the
    pane's title appeared: the part of the time that is not the log's."""
    warroom = Path(sys.executable).with_name("warroom")
    with tempfile.TemporaryDirectory() as cwd:
        config = Path(cwd) / "warroom.toml"
        config.write_text(f'[[log]]\nname = "app"\npath = "{path}"\nfilter = "{WORD}"\n')
        proc = spawn([str(warroom), "--config", str(config)], 160, 48, cwd=cwd)
        try:
            times = _wait_drawn(proc, [PANE_TITLE, LAST_NEEDLE], timeout=30)
            cpu, rss = _proc_usage(proc.pid)
        finally:
            proc.stop()
    if times is None:
        return None
    return Sample(times[1], cpu, rss, first_draw_s=times[0])


def _median(samples: list[Sample]) -> Sample:
    peaks = [s.rss_mb for s in samples if s.rss_mb is not None]
    firsts = [s.first_draw_s for s in samples if s.first_draw_s is not None]
    return Sample(
        statistics.median(s.wall_s for s in samples),
        statistics.median(s.cpu_s for s in samples),
        max(peaks) if peaks else None,
        statistics.median(firsts) if firsts else None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per measure (median)")
    parser.add_argument("--no-dashboard", action="store_true", help="headless path only")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big log")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    sizes = {"10 MB": 10, f"{args.big_mb} MB": args.big_mb}
    files = {label: ensure_log(mb * MB) for label, mb in sizes.items()}
    generated_s = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    measures: dict[str, Callable[[Path], Sample | None]] = {
        "warroom tail, warm cache": lambda p: headless(p, cold=False),
        "warroom tail, cold cache": lambda p: headless(p, cold=True),
        f"tail -n {LINES} FILE": lambda p: shell("tail -n {n} {path}", p),
        f"tac FILE | grep -m {LINES} {WORD} | tac": lambda p: shell(
            "tac {path} | grep -m {n} {word} | tac", p
        ),
        f"grep {WORD} FILE | tail -n {LINES}": lambda p: shell(
            "grep {word} {path} | tail -n {n}", p
        ),
    }
    if not args.no_dashboard:
        measures["warroom dashboard, pty 160x48"] = dashboard
    table: dict[str, dict[str, tuple[Sample, list[Sample]] | None]] = {}
    for name, measure in measures.items():
        table[name] = {}
        for label, path in files.items():
            runs: list[Sample] = []
            for _ in range(args.runs):  # sizes interleaved run by run would thrash the cache
                got = measure(path)
                if got is None:
                    break
                runs.append(got)
            table[name][label] = (_median(runs), runs) if len(runs) == args.runs else None

    print(f"logs: {', '.join(str(p) for p in files.values())} (ready in {generated_s:.1f} s)")
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'measure':<36}{'log':>9}{'median s':>10}{'min s':>8}{'max s':>8}"
        f"{'CPU s':>8}{'RSS MB':>8}"
    )
    for name, row in table.items():
        for label, pair in row.items():
            if pair is None:
                print(f"{name:<36}{label:>9}  never drew the last matching line within 30 s")
                continue
            median, runs = pair
            shown = f"{median.rss_mb:>8.1f}" if median.rss_mb is not None else f"{'':>8}"
            walls = [r.wall_s for r in runs]
            print(
                f"{name:<36}{label:>9}{median.wall_s:>10.3f}{min(walls):>8.3f}"
                f"{max(walls):>8.3f}{median.cpu_s:>8.3f}{shown}"
            )
            if median.first_draw_s is not None:
                print(f"{'  of which before the pane was drawn':<45}{median.first_draw_s:>10.3f}")
    verdicts: dict[str, bool] = {}
    for name in (
        "warroom tail, warm cache",
        "warroom tail, cold cache",
        "warroom dashboard, pty 160x48",
    ):
        if name not in table:
            continue
        medians = [pair[0] for pair in table[name].values() if pair is not None]
        if len(medians) != len(table[name]):
            verdicts[name] = False
            continue
        worst = max(m.wall_s for m in medians)
        spread = abs(medians[-1].wall_s - medians[0].wall_s)
        peak = max(m.rss_mb or 0.0 for m in medians)
        ok = worst <= GOAL_S and spread <= GOAL_SPREAD_S and peak < GOAL_RSS_MB
        verdicts[name] = ok
        print(
            f"{name}: worst {worst:.3f} s, 10 MB vs big {spread:.3f} s apart, peak RSS "
            f"{peak:.1f} MB: {'met' if ok else 'MISSED'}"
        )
    print(f"goals: <= {GOAL_S} s, within {GOAL_SPREAD_S} s, < {GOAL_RSS_MB:.0f} MB")
    results = {
        name: {
            label: None
            if got is None
            else {
                "median_s": round(got[0].wall_s, 4),
                "cpu_s": round(got[0].cpu_s, 4),
                "rss_mb": None if got[0].rss_mb is None else round(got[0].rss_mb, 1),
                "first_draw_s": None
                if got[0].first_draw_s is None
                else round(got[0].first_draw_s, 4),
            }
            for label, got in per_file.items()
        }
        for name, per_file in table.items()
    }
    print(
        json.dumps(
            {
                "benchmark": "log_open",
                "runs": args.runs,
                "load_average": round(load_before, 2),
                "results": results,
                "goal_s": GOAL_S,
                "goal_spread_s": GOAL_SPREAD_S,
                "goal_rss_mb": GOAL_RSS_MB,
                "met": verdicts,
            }
        )
    )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())

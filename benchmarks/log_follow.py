"""Following a log under sustained appends: 100,000 lines/s for 30 s (`--seconds`,
`--quick` for 5 s), filtered on `auth`, against `tail -F FILE | grep --line-buffered`.

Two phases, each with `tail -F | grep` following the same file at the same time:
- `warroom tail`: `warroom.tui.headless.tail.tail` in a child process; its stdout is counted.
- the screen path: `LogFollower` -> `LogBuffer` (filter + per-minute counter), in a child.
Both children tick every 10 ms to measure event-loop lag. The writer knows how many
matching lines it wrote. Goals: 0 lost, lag p99 <= 50 ms, CPU <= one core, RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.log_tools import WORD, log_line

RATE = 100_000
TICK = 0.01
GOAL_LAG_MS = 50.0
GOAL_CORES = 1.0
GOAL_RSS_MB = 150.0
PRELUDE = "PRELUDE auth ready"
"""The one matching line already in the file: each follower printing it means it is ready."""
ROOT = Path(__file__).resolve().parent.parent


# --- the children -----------------------------------------------------------------


def write_lines(path: Path, rate: int, seconds: float) -> None:
    """Append `rate` lines a second for `seconds`; print how many match the filter."""
    per_tick = max(1, int(rate * TICK))
    lines = [log_line(i) for i in range(per_tick)]
    block = ("\n".join(lines) + "\n").encode()
    matching = sum(WORD in line for line in lines)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    started = time.monotonic()
    ticks = 0
    total = int(seconds / TICK)
    while ticks < total:
        due = started + ticks * TICK
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        os.write(fd, block)
        ticks += 1
    os.close(fd)
    elapsed = time.monotonic() - started
    print(
        json.dumps({"lines": ticks * per_tick, "matching": ticks * matching, "seconds": elapsed}),
        flush=True,
    )


class LagMeter:
    """How late a 10 ms ticker wakes up: the event loop's responsiveness; and how long
    the longest full garbage collection paused everything."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.gc_pauses: list[float] = []
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append(time.perf_counter() - self._gc_started)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            self.lags.append(loop.time() - before - TICK)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.lags) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "lag_p99_ms": p99 * 1000,
            "lag_max_ms": ordered[-1] * 1000,
            "gc_full_collections": len(self.gc_pauses),
            "gc_full_max_ms": max(self.gc_pauses, default=0.0) * 1000,
        }


async def _until_terminated(work: asyncio.Task[object], meter: LagMeter) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    ticker = asyncio.create_task(meter.run())
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([work, waiter], return_when=asyncio.FIRST_COMPLETED)
    for task in (work, ticker, waiter):
        task.cancel()
    await asyncio.gather(work, ticker, waiter, return_exceptions=True)


async def run_tail_cli(path: Path, report: Path) -> None:
    """`warroom tail FILE --filter auth` to stdout, with a lag ticker beside it."""
    from warroom.tui.headless.tail import tail

    meter = LagMeter()
    work = asyncio.create_task(tail(files=[str(path)], filter_expr=WORD, lines=1))
    await _until_terminated(work, meter)
    report.write_text(json.dumps(meter.summary()))


async def run_screen(path: Path, report: Path) -> None:
    """What the dashboard does per batch, minus drawing: LogBuffer.append and its count."""
    from warroom.services.clock import SystemClock
    from warroom.services.config import LogConfig
    from warroom.services.logs.buffer import LogBuffer
    from warroom.services.logs.filter import LogFilter
    from warroom.services.logs.follow import LogFollower
    from warroom.services.logs.lines import LogLine

    meter = LagMeter()
    log_filter = LogFilter.parse(WORD)
    buffer = LogBuffer(log_filter=log_filter)
    follower = LogFollower(
        LogConfig(name="app", path=str(path)), path.parent, SystemClock(), backlog_lines=1,
        log_filter=log_filter,
    )  # fmt: skip
    counted = 0

    async def consume() -> None:
        nonlocal counted
        async for batch in follower.stream():
            shown = buffer.append(batch)
            lines = [item for item in shown if isinstance(item, LogLine)]
            if any(PRELUDE in item.text for item in lines):
                print("ready", flush=True)
            counted += len(lines)
            print(f"count {counted}", flush=True)

    await _until_terminated(asyncio.create_task(consume()), meter)
    report.write_text(json.dumps(meter.summary()))


# --- the harness ----------------------------------------------------------------------


@dataclass
class Consumer:
    """A follower under test: its processes, and the matching lines it delivered."""

    name: str
    procs: list[subprocess.Popen[bytes]]
    counted: int = 0
    ready: threading.Event | None = None
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    lag: dict[str, float] | None = None

    def start_counting(self, stream: object, counts_are_lines: bool) -> None:
        self.ready = threading.Event()

        def count() -> None:
            assert self.ready is not None
            for raw in stream:  # type: ignore[attr-defined]
                text = raw.decode(errors="replace")
                if counts_are_lines:
                    if PRELUDE in text:
                        self.ready.set()
                    elif WORD in text:
                        self.counted += 1
                elif text.startswith("ready"):
                    self.ready.set()
                elif text.startswith("count "):
                    # The screen child counts the prelude line too.
                    self.counted = int(text.split()[1]) - 1

        threading.Thread(target=count, daemon=True).start()

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu_s += usage.ru_utime + usage.ru_stime
            self.rss_mb = max(self.rss_mb, usage.ru_maxrss / 1024)


def _python(role: str, path: Path, report: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "benchmarks.log_follow", "--role", role]
    argv += ["--file", str(path), "--report", str(report)]
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _pipeline(path: Path) -> Consumer:
    tail = subprocess.Popen(
        ["tail", "-n", "1", "-F", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    grep = subprocess.Popen(
        ["grep", "--line-buffered", WORD], stdin=tail.stdout, stdout=subprocess.PIPE
    )
    assert tail.stdout is not None and grep.stdout is not None
    tail.stdout.close()
    consumer = Consumer("tail -F | grep --line-buffered", [tail, grep])
    consumer.start_counting(grep.stdout, counts_are_lines=True)
    return consumer


def phase(role: str, seconds: float, rate: int, workdir: Path) -> dict[str, object]:
    """One run: the writer, our follower (`role`) and `tail -F | grep` on one file."""
    path = workdir / f"{role}.log"
    path.write_text(f"2024-05-14T03:00:00.000Z INFO  bench: {PRELUDE}\n")
    report = workdir / f"{role}.json"
    ours_proc = _python(role, path, report)
    name = "warroom tail (tail_cli.tail)" if role == "tail" else "screen path (LogBuffer)"
    ours = Consumer(name, [ours_proc])
    assert ours_proc.stdout is not None
    ours.start_counting(ours_proc.stdout, counts_are_lines=role == "tail")
    theirs = _pipeline(path)
    consumers = [ours, theirs]
    for consumer in consumers:
        assert consumer.ready is not None
        if not consumer.ready.wait(30):
            for each in consumers:
                each.stop()
            raise SystemExit(f"log_follow: {consumer.name} never started following")
    writer = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks.log_follow", "--role", "writer"),
            *("--file", str(path), "--seconds", str(seconds), "--rate", str(rate)),
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    written = json.loads(writer.stdout)
    expected = int(written["matching"])
    # Let the followers catch up: until each has everything, or is silent for 10 s.
    last = [c.counted for c in consumers]
    quiet_since = time.monotonic()
    drain_started = time.monotonic()
    while any(c.counted < expected for c in consumers) and time.monotonic() - quiet_since < 10:
        time.sleep(0.1)
        now = [c.counted for c in consumers]
        if now != last:
            last, quiet_since = now, time.monotonic()
    drained_s = time.monotonic() - drain_started
    time.sleep(0.3)
    active_s = float(written["seconds"]) + drained_s
    for consumer in consumers:
        consumer.stop()
    with contextlib.suppress(OSError, ValueError):
        ours.lag = json.loads(report.read_text())
    file_mb = path.stat().st_size / (1 << 20)
    path.unlink()
    return {
        "written_lines": written["lines"],
        "writer_seconds": written["seconds"],
        "file_mb": file_mb,
        "expected_matches": expected,
        "drain_seconds": drained_s,
        "consumers": [
            {
                "name": c.name,
                "counted": c.counted,
                "lost": expected - c.counted,
                "cpu_cores": c.cpu_s / active_s,
                "cpu_s": c.cpu_s,
                "rss_mb": c.rss_mb,
                **(c.lag or {}),
            }
            for c in consumers
        ],
    }


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the writer writes")
    parser.add_argument("--quick", action="store_true", help="5 s instead of --seconds")
    parser.add_argument("--rate", type=int, default=RATE, help="lines written per second")
    parser.add_argument(
        "--phases", default="tail,screen", help="which followers: tail, screen or both"
    )
    parser.add_argument(
        "--role", choices=["harness", "writer", "tail", "screen"], default="harness"
    )
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seconds = 5.0 if args.quick else args.seconds
    if args.role == "writer":
        write_lines(args.file, args.rate, seconds)
        return 0
    if args.role == "tail":
        asyncio.run(run_tail_cli(args.file, args.report))
        return 0
    if args.role == "screen":
        asyncio.run(run_screen(args.file, args.report))
        return 0

    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="warroom-follow-") as workdir:
        for role in [r.strip() for r in args.phases.split(",") if r.strip()]:
            results[role] = phase(role, seconds, args.rate, Path(workdir))
    met = True
    header = f"{'follower':<32}{'expected':>10}{'counted':>10}{'lost':>7}"
    header += f"{'lag p99 ms':>11}{'lag max':>9}{'CPU cores':>10}{'RSS MB':>8}"
    print(f"{args.rate:,} lines/s for {seconds:g} s, filter {WORD!r}")
    print(header)
    for role, result in results.items():
        expected = result["expected_matches"]
        for c in result["consumers"]:  # type: ignore[attr-defined]
            ours = not c["name"].startswith("tail -F")
            lag_p99 = c.get("lag_p99_ms")
            lag_max = c.get("lag_max_ms")
            print(
                f"{c['name']:<32}{expected:>10}{c['counted']:>10}{c['lost']:>7}"
                f"{(f'{lag_p99:.1f}' if lag_p99 is not None else '-'):>11}"
                f"{(f'{lag_max:.1f}' if lag_max is not None else '-'):>9}"
                f"{c['cpu_cores']:>10.2f}{c['rss_mb']:>8.1f}"
            )
            if ours:
                met = met and c["lost"] == 0 and c["rss_mb"] < GOAL_RSS_MB
                met = met and c["cpu_cores"] <= GOAL_CORES
                met = met and lag_p99 is not None and lag_p99 <= GOAL_LAG_MS
        print(
            f"  ({role}: {result['written_lines']:,} lines, {result['file_mb']:.0f} MB written in "
            f"{result['writer_seconds']:.1f} s; drained {result['drain_seconds']:.1f} s after)"
        )
    print(
        f"goals: 0 lost, lag p99 <= {GOAL_LAG_MS:g} ms, CPU <= {GOAL_CORES:g} core, "
        f"RSS < {GOAL_RSS_MB:g} MB: {'met' if met else 'MISSED'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "log_follow",
                "rate": args.rate,
                "seconds": seconds,
                "results": _round(results),
                "goal_lag_p99_ms": GOAL_LAG_MS,
                "goal_cpu_cores": GOAL_CORES,
                "goal_rss_mb": GOAL_RSS_MB,
                "met": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

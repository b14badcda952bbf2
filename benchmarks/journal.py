"""The incident journal: durability latency, report generation, and cross-process updates.

Measured in a temp dir on a real disk (never tmpfs: fsync there costs nothing, so the
latency would flatter), named in the output:

1. tick-to-durable: `Journal.append("item.done", ...)` with synchronous=FULL, 2,000
   commits, p50/p99/max; and the same through `await journal.record(...)`, the thread
   hop the dashboard makes. A tick is shown done only after this returns.
2. report for 10,000 events (a realistic mix of runbook ticks, notes, N/A, escalations,
   acknowledgements, health transitions, alerts and status updates): open + read all
   events (what `warroom report` does, integrity check included), `build_report`,
   `render_markdown`, `render_json`, total. Goal: total <= 1 s. `replay` alone too.
3. two processes: the time from a commit in this process to the moment a real child
   process following the same journal with `follow(poll=0.5)` sees it. Goal: median
   within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from warroom.services.clock import SystemClock
from warroom.services.config import IncidentConfig
from warroom.services.events import ESCALATION_ACK, ESCALATION_CROSSED, STATUS_SENT
from warroom.services.health.alerts import ALERT_RAISED, HEALTH_CHANGED
from warroom.services.journal.report import build_report, render_json, render_markdown
from warroom.services.journal.store import Journal
from warroom.services.runbook.model import (
    CHOICE_MADE,
    ITEM_DONE,
    ITEM_NA,
    ITEM_NOTE,
    ITEM_UNDONE,
    builtin_runbook,
    replay,
)

APPENDS = 2_000
REPORT_EVENTS = 10_000
REPORT_RUNS = 5
FOLLOW_EVENTS = 20
FOLLOW_POLL = 0.5
REPORT_GOAL_S = 1.0
FOLLOW_GOAL_S = 1.0
ROOT = Path(__file__).resolve().parent.parent


# --- where -------------------------------------------------------------------------


def filesystem_of(path: Path) -> tuple[str, str, str]:
    """(mount point, device, filesystem type) holding `path`."""
    best = ("/", "?", "?")
    resolved = str(path.resolve())
    for part in psutil.disk_partitions(all=True):
        mount = part.mountpoint
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[0]):
            best = (mount, part.device, part.fstype)
    return best


MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs", "overlay-tmpfs"})


def pick_base() -> Path:
    """/var/tmp when it is on a real disk, else the repository folder."""
    for base in (Path("/var/tmp"), ROOT):
        if base.is_dir() and filesystem_of(base)[2] not in MEMORY_FILESYSTEMS:
            return base
    raise SystemExit("journal: no directory on a real disk to measure in")


# --- statistics --------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class Spread:
    """p50/p99/max of a list of seconds, in milliseconds."""

    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Spread:
        ms = [s * 1000 for s in seconds]
        return cls(percentile(ms, 50), percentile(ms, 99), max(ms))


# --- 1. tick-to-durable ------------------------------------------------------------


def bench_append(base: Path, items: list[str]) -> tuple[Spread, Spread, str]:
    """Latency of `append` and of `await record` with synchronous=FULL.

    Each variant gets a fresh journal, so both see the same WAL growth (the first
    ~1,000 commits extend the file; after the automatic checkpoint it is reused).
    """
    direct: list[float] = []
    threaded: list[float] = []
    journal = Journal.open(base / "append.sqlite3", SystemClock(), "bench")
    try:
        # Per-connection settings: read from the very connection `append` uses.
        conn = journal._conn
        assert conn is not None
        level = conn.execute("PRAGMA synchronous").fetchone()[0]
        # The journal's connections read text as bytes (one bad byte is one damaged event).
        mode = bytes(conn.execute("PRAGMA journal_mode").fetchone()[0]).decode()
        sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(int(level), str(level))
        for n in range(APPENDS):
            start = time.perf_counter()
            journal.append(ITEM_DONE, {"item": items[n % len(items)]})
            direct.append(time.perf_counter() - start)
    finally:
        journal.close()

    async def hop(journal: Journal) -> None:
        for n in range(APPENDS):
            start = time.perf_counter()
            await journal.record(ITEM_DONE, {"item": items[n % len(items)]})
            threaded.append(time.perf_counter() - start)

    journal = Journal.open(base / "record.sqlite3", SystemClock(), "bench")
    try:
        asyncio.run(hop(journal))
    finally:
        journal.close()
    return Spread.of(direct), Spread.of(threaded), f"journal_mode={mode}, synchronous={sync}"


# --- 2. the report -----------------------------------------------------------------

ACTORS = ["alice", "bob", "小林", "dana"]
ENDPOINTS = ["api", "web", "checkout", "search", "auth"]
STATES = ["UP", "DEGRADED", "DOWN"]


def make_events(count: int, items: list[str], seed: int = 7) -> list[tuple[Any, ...]]:
    """`count` journal rows (seq, at, actor, kind, payload) of a long, busy incident."""
    rng = random.Random(seed)
    at = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    rows: list[tuple[Any, ...]] = []
    kinds = [
        (ITEM_DONE, 34),
        (ITEM_UNDONE, 8),
        (ITEM_NOTE, 20),
        (ITEM_NA, 6),
        (ESCALATION_CROSSED, 4),
        (ESCALATION_ACK, 4),
        (HEALTH_CHANGED, 12),
        (ALERT_RAISED, 6),
        (STATUS_SENT, 6),
    ]
    names = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    for seq in range(1, count + 1):
        at += timedelta(seconds=rng.uniform(0.5, 4.0))
        if seq == 1:
            kind, payload = "incident.opened", {"started": at.isoformat()}
        elif seq == 2:
            kind, payload = CHOICE_MADE, {"choice": "p09.strategy", "option": "blue-green"}
        else:
            kind = rng.choices(names, weights)[0]
            payload = _payload(kind, rng, items)
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        rows.append((seq, at.isoformat(timespec="microseconds"), rng.choice(ACTORS), kind, body))
    return rows


def _payload(kind: str, rng: random.Random, items: list[str]) -> dict[str, Any]:
    item = rng.choice(items)
    level = rng.randint(1, 3)
    endpoint = rng.choice(ENDPOINTS)
    if kind == ITEM_DONE:
        return {"item": item} if rng.random() < 0.8 else {"item": item, "note": "verified by hand"}
    if kind == ITEM_UNDONE:
        return {"item": item}
    if kind == ITEM_NOTE:
        return {"item": item, "text": rng.choice(["looks good", "確認済み", "retry after 5 min"])}
    if kind == ITEM_NA:
        return {"item": item, "reason": "not used by this service"}
    if kind == ESCALATION_CROSSED:
        return {
            "level": level,
            "role": "lead",
            "name": "Sam",
            "contact": "sam@example.com",
            "after": 900 * level,
            "elapsed": 900 * level + 3,
        }
    if kind == ESCALATION_ACK:
        return {"level": level}
    if kind == HEALTH_CHANGED:
        before, after = rng.sample(STATES, 2)
        return {"endpoint": endpoint, "from": before, "to": after, "reason": "timeout"}
    if kind == ALERT_RAISED:
        return {"subject": endpoint, "text": f"{endpoint} is DOWN (timeout)"}
    return {"text": "Hotfix 2.3.1 rolling out; error rate back to baseline."}


def write_journal(path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Create a journal holding `rows`, in one transaction (10,000 fsyncs would take long)."""
    Journal.open(path, SystemClock(), "bench").close()  # the real schema and pragmas
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (seq, at, actor, kind, payload) VALUES (?, ?, ?, ?, ?)", rows
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def timed(cpu: list[float], fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Wall seconds `fn(*args)` took, and what it returned; its CPU seconds go to `cpu`."""
    start, start_cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start, value


STAGES = ("read", "build", "markdown", "json", "replay")


def bench_report(base: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds of each stage of `warroom report` (REPORT_RUNS runs).

    CPU time is given beside wall time because a busy machine stretches the wall time
    of a single-threaded stage without it doing any more work.
    """
    runbook = builtin_runbook("en")
    items = [item.id for phase in runbook.phases for item in phase.items]
    path = base / "report.sqlite3"
    write_journal(path, make_events(REPORT_EVENTS, items))
    incident = IncidentConfig(id="INC-BENCH", title="Checkout errors after 2.3.0")
    wall: dict[str, list[float]] = {k: [] for k in (*STAGES, "total")}
    cpu: dict[str, list[float]] = {k: [] for k in (*STAGES, "total")}

    def read() -> list[Any]:
        journal = Journal.open(path, SystemClock(), "report", read_only=True)
        try:
            return journal.events()
        finally:
            journal.close()

    for _ in range(REPORT_RUNS):
        t_read, events = timed(cpu["read"], read)
        if len(events) != REPORT_EVENTS:
            raise SystemExit(f"journal: read {len(events)} events, wrote {REPORT_EVENTS}")
        now = events[-1].at
        t_build, report = timed(cpu["build"], build_report, incident, runbook, events, now)
        t_md, _ = timed(cpu["markdown"], render_markdown, report)
        t_json, _ = timed(cpu["json"], render_json, report)
        t_replay, _ = timed(cpu["replay"], replay, runbook, events)
        for key, value in zip(STAGES, (t_read, t_build, t_md, t_json, t_replay), strict=True):
            wall[key].append(value)
        wall["total"].append(t_read + t_build + t_md + t_json)
        cpu["total"].append(sum(cpu[k][-1] for k in STAGES if k != "replay"))
    medians = {k: statistics.median(v) for k, v in wall.items()}
    medians["total_max"] = max(wall["total"])
    return medians, {k: statistics.median(v) for k, v in cpu.items()}


# --- 3. two processes --------------------------------------------------------------


def follower(path: Path) -> None:
    """The child: follow the journal and print `seq monotonic-time` for each new event."""
    journal = Journal.open(path, SystemClock(), "projector", read_only=True)
    events = journal.events()
    last = events[-1].seq if events else 0

    async def watch() -> None:
        print("ready", flush=True)
        async for batch in journal.follow(poll=FOLLOW_POLL, after_seq=last):
            seen = time.monotonic()
            for event in batch:
                print(f"{event.seq} {seen:.6f}", flush=True)

    try:
        asyncio.run(watch())
    except KeyboardInterrupt:
        pass
    finally:
        journal.close()


def bench_follow(base: Path) -> list[float]:
    """Seconds from commit here to sight in a child process, one per event."""
    path = base / "follow.sqlite3"
    writer = Journal.open(path, SystemClock(), "driver")
    writer.append("incident.opened", {})
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.journal", "--follow", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    committed: dict[int, float] = {}
    delays: list[float] = []
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("journal: the follower did not start")
        rng = random.Random(11)
        for n in range(FOLLOW_EVENTS):
            # Irregular gaps, so commits land at every phase of the child's poll.
            time.sleep(rng.uniform(0.3, 0.9))
            event = writer.append(ITEM_DONE, {"item": f"p01.item-{n}"})
            committed[event.seq] = time.monotonic()
        deadline = time.monotonic() + 5
        while len(delays) < FOLLOW_EVENTS and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            seq, seen = line.split()
            if int(seq) in committed:
                delays.append(float(seen) - committed[int(seq)])
    finally:
        child.terminate()
        child.wait(timeout=10)
        writer.close()
    if len(delays) != FOLLOW_EVENTS:
        raise SystemExit(f"journal: the follower saw {len(delays)} of {FOLLOW_EVENTS} events")
    return delays


# --- main --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--follow", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.follow is not None:
        follower(args.follow)
        return
    base = pick_base()
    mount, device, fstype = filesystem_of(base)
    tmp_fstype = filesystem_of(Path(tempfile.gettempdir()))[2]
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="warroom-bench-journal-", dir=base))
    try:
        runbook = builtin_runbook("en")
        items = [item.id for phase in runbook.phases for item in phase.items]
        direct, threaded, mode = bench_append(workdir, items)
        wall, cpu = bench_report(workdir)
        delays = bench_follow(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()[0]
    follow_median = statistics.median(delays)
    report_ok = wall["total"] <= REPORT_GOAL_S
    follow_ok = follow_median <= FOLLOW_GOAL_S

    print(
        f"measured in {workdir.parent} on {mount} ({device}, {fstype}); {tempfile.gettempdir()} "
        f"is {tmp_fstype}"
    )
    print(
        f"{mode}; load average {load_before:.2f} before, {load_after:.2f} after, "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print(f"{f'tick-to-durable ({APPENDS} ticks each)':<40}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, spread in (("Journal.append", direct), ("await Journal.record", threaded)):
        print(f"{label:<40}{spread.p50:>9.2f}{spread.p99:>9.2f}{spread.max:>9.2f}")
    print()
    print(
        f"{f'report, {REPORT_EVENTS} events (median of {REPORT_RUNS})':<40}{'wall ms':>9}"
        f"{'CPU ms':>9}"
    )
    for label, key in (
        ("open + read all events", "read"),
        ("build_report", "build"),
        ("render_markdown", "markdown"),
        ("render_json", "json"),
        ("total", "total"),
        ("replay alone (inside build_report)", "replay"),
    ):
        print(f"{label:<40}{wall[key] * 1000:>9.1f}{cpu[key] * 1000:>9.1f}")
    print(
        f"report total {wall['total']:.3f} s median, {wall['total_max']:.3f} s worst "
        f"(goal <= {REPORT_GOAL_S} s): {'ok' if report_ok else 'MISSED'}"
    )
    print()
    print(
        f"{f'seen by another process (poll {FOLLOW_POLL} s)':<40}{'median s':>9}{'min s':>9}"
        f"{'max s':>9}"
    )
    print(
        f"{'commit -> follow() in a child process':<40}{follow_median:>9.3f}"
        f"{min(delays):>9.3f}{max(delays):>9.3f}"
    )
    print(
        f"{FOLLOW_EVENTS} events, median {follow_median:.3f} s "
        f"(goal <= {FOLLOW_GOAL_S} s): {'ok' if follow_ok else 'MISSED'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "journal",
                "dir": str(base),
                "mount": mount,
                "device": device,
                "fstype": fstype,
                "tmp_fstype": tmp_fstype,
                "journal": mode,
                "load_before": round(load_before, 2),
                "load_after": round(load_after, 2),
                "appends": APPENDS,
                "append_p50_ms": round(direct.p50, 3),
                "append_p99_ms": round(direct.p99, 3),
                "append_max_ms": round(direct.max, 3),
                "record_p50_ms": round(threaded.p50, 3),
                "record_p99_ms": round(threaded.p99, 3),
                "record_max_ms": round(threaded.max, 3),
                "report_events": REPORT_EVENTS,
                "report_runs": REPORT_RUNS,
                **{f"report_{k}_ms": round(v * 1000, 2) for k, v in wall.items()},
                **{f"report_{k}_cpu_ms": round(v * 1000, 2) for k, v in cpu.items()},
                "report_goal_s": REPORT_GOAL_S,
                "report_ok": report_ok,
                "follow_events": FOLLOW_EVENTS,
                "follow_poll_s": FOLLOW_POLL,
                "follow_median_s": round(follow_median, 4),
                "follow_min_s": round(min(delays), 4),
                "follow_max_s": round(max(delays), 4),
                "follow_goal_s": FOLLOW_GOAL_S,
                "follow_ok": follow_ok,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

"""The journal's two backends side by side: SQLite (the embedded default) and PostgreSQL.

1. append latency: `Journal.append` / `PostgresJournal.append` of one tick, committed
   durably (SQLite synchronous=FULL in a temp dir on disk; PostgreSQL with fsync and
   synchronous_commit on, over TCP on 127.0.0.1), median and p99.
2. cross-instance latency: from an append returning in one journal handle to another
   handle's `follow(poll=0.5)` yielding the event (SQLite polls; PostgreSQL is woken
   by NOTIFY, its poll only a safety net), median and p99.

PostgreSQL is a throwaway cluster (tests/pg_cluster.py); without PostgreSQL or
psycopg its rows say why. Run: `python -m benchmarks.journal_backends [--appends N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.pg_cluster import PgCluster
from warroom.services.clock import SystemClock
from warroom.services.journal.backend import EventJournal
from warroom.services.journal.store import Journal


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def append_latency(journal: EventJournal, count: int) -> list[float]:
    """Milliseconds per durable append of one tick."""
    samples = []
    for n in range(count):
        start = time.perf_counter()
        journal.append("item.done", {"item": f"p01.item-{n % 7}"})
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def cross_latency(writer: EventJournal, follower: EventJournal, count: int) -> list[float]:
    """Milliseconds from an append returning to the follower yielding it."""
    committed: dict[int, float] = {}
    seen_at: dict[int, float] = {}
    last = writer.events()[-1].seq if writer.events() else 0
    arrived = asyncio.Event()

    async def follow() -> None:
        async for batch in follower.follow(poll=0.5, after_seq=last):
            now = time.perf_counter()
            for event in batch:
                seen_at[event.seq] = now
            arrived.set()

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.3)  # the follower's first read and its LISTEN
    pick = random.Random(7)
    lock = threading.Lock()

    def write() -> None:
        event = writer.append("item.done", {"item": "p01.x"})
        with lock:
            committed[event.seq] = time.perf_counter()

    try:
        for _ in range(count):
            arrived.clear()
            await asyncio.to_thread(write)
            while event_seq(committed) not in seen_at:
                await asyncio.wait_for(arrived.wait(), timeout=10)
                arrived.clear()
            # Commits land at any point of the follower's poll cycle.
            await asyncio.sleep(pick.uniform(0.0, 0.5))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # A notification can beat the writer's thread back to the loop: that counts as 0.
    return [max(0.0, seen_at[seq] - at) * 1000 for seq, at in committed.items()]


def event_seq(committed: dict[int, float]) -> int:
    """The seq of the last event written."""
    return max(committed)


def _row(name: str, samples: list[float]) -> dict[str, Any]:
    return {
        "what": name,
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(_p(samples, 0.99), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--cross", type=int, default=40)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        path = Path(tmp) / "bench.sqlite3"
        sqlite = Journal.open(path, SystemClock(), "bench")
        rows.append(_row("sqlite append", append_latency(sqlite, args.appends)))
        follower = Journal.open(path, SystemClock(), "viewer", read_only=True)
        rows.append(
            _row("sqlite cross-instance", asyncio.run(cross_latency(sqlite, follower, args.cross)))
        )
        follower.close()
        sqlite.close()
    reason = PgCluster.unavailable()
    if reason is not None:
        skipped["postgresql"] = reason
    else:
        from warroom.services.journal.postgres import PostgresJournal

        cluster = PgCluster()
        try:
            cluster.start()
            url = cluster.create_database("bench")
            writer = PostgresJournal.open(url, "BENCH", SystemClock(), "bench")
            rows.append(_row("postgresql append", append_latency(writer, args.appends)))
            viewer = PostgresJournal.open(url, "BENCH", SystemClock(), "viewer", read_only=True)
            samples = asyncio.run(cross_latency(writer, viewer, args.cross))
            rows.append(_row("postgresql cross-instance", samples))
            viewer.close()
            writer.close()
        finally:
            cluster.close()
    print(f"{'what':<28}{'n':>6}{'median ms':>12}{'p99 ms':>10}")
    for row in rows:
        print(f"{row['what']:<28}{row['n']:>6}{row['median_ms']:>12.3f}{row['p99_ms']:>10.3f}")
    for name, why in skipped.items():
        print(f"{name}: skipped ({why})")
    print(json.dumps({"benchmark": "journal_backends", "results": rows, "skipped": skipped}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

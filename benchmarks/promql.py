"""PromQL metrics against a real Prometheus: what the history at start and each figure cost.

1. history: the one range query a promql metric asks at start (`PromQLServer.history`,
   HTTP on 127.0.0.1 and the JSON decoded in a thread), for a 4-hour window at 5 s
   (2,881 points) and at 15 s (961), and the longest Prometheus gives, 11,000 points
   (about 3 hours at 1 s); median and p99.
2. backfill: those points put into a series' ring buffer (`SeriesBuffer.backfill`).
3. instant: one figure (`PromQLServer.instant`), median and p99.
4. a sampler's first figure: from `MetricSampler.stream()` starting to the first
   snapshot with a value and its 4 hours of history.

The server is a throwaway Debian `prometheus` (tests/prom_server.py) with no targets:
`vector(1)`-style queries need no scrapes, so the numbers are the API's and warroom's,
not the TSDB's. Without Prometheus the benchmark says why. Run:
`python -m benchmarks.promql [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from tests.prom_server import PromServer
from warroom.services.clock import SystemClock
from warroom.services.config import MetricConfig
from warroom.services.metrics.promql import MAX_POINTS, PromQLServer
from warroom.services.metrics.ring import SeriesBuffer
from warroom.services.metrics.sampler import MetricSampler
from warroom.services.metrics.series import WATCH_SECONDS

QUERY = "sum(vector(0.25) * 4)"
"""Any query giving one series at every step; the server's work is not what is measured."""


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(name: str, samples: list[float], points: int | None = None) -> dict[str, Any]:
    return {
        "what": name,
        "n": len(samples),
        "points": points,
        "median_ms": round(statistics.median(samples), 3),
        "p99_ms": round(_p(samples, 0.99), 3),
    }


async def _measure(url: str, runs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as client:
        server = PromQLServer(client, url, 30.0)
        now = time.time()
        for label, step, span in (
            ("history 4h at 15s", 15.0, WATCH_SECONDS),
            ("history 4h at 5s", 5.0, WATCH_SECONDS),
            ("history 11,000 points", 1.0, (MAX_POINTS - 1) * 1.0),
        ):
            took: list[float] = []
            filled: list[float] = []
            points: tuple[tuple[float, float], ...] = ()
            for _ in range(runs):
                start = time.perf_counter()
                points = await server.history(QUERY, now - span, now, step)
                took.append((time.perf_counter() - start) * 1000)
                series = SeriesBuffer(
                    MetricConfig(name="m", source="promql", url=url, query=QUERY, interval=step)
                )
                start = time.perf_counter()
                series.backfill(points)
                filled.append((time.perf_counter() - start) * 1000)
            rows.append(_row(label, took, len(points)))
            rows.append(_row("  backfill into the ring", filled, len(points)))
        instants = []
        for _ in range(runs * 5):
            start = time.perf_counter()
            await server.instant(QUERY)
            instants.append((time.perf_counter() - start) * 1000)
        rows.append(_row("instant figure", instants, 1))
        firsts = []
        for _ in range(runs):
            config = MetricConfig(name="m", source="promql", url=url, query=QUERY, interval=5.0)
            sampler = MetricSampler([config], client, SystemClock())
            stream = sampler.stream()
            start = time.perf_counter()
            async for snapshot in stream:
                if snapshot.series[0].current is not None:
                    break
            firsts.append((time.perf_counter() - start) * 1000)
            count = len(snapshot.series[0].points)
            await stream.aclose()  # type: ignore[attr-defined]
        rows.append(_row("first figure with history", firsts, count))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    reason = PromServer.unavailable()
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    if reason is not None:
        skipped["prometheus"] = reason
    else:
        server = PromServer([])
        try:
            server.start()
            rows = asyncio.run(_measure(server.url, args.runs))
        finally:
            server.close()
    print(f"{'what':<30}{'points':>8}{'n':>6}{'median ms':>12}{'p99 ms':>10}")
    for row in rows:
        print(
            f"{row['what']:<30}{row['points'] or '':>8}{row['n']:>6}"
            f"{row['median_ms']:>12.3f}{row['p99_ms']:>10.3f}"
        )
    for name, why in skipped.items():
        print(f"{name}: skipped ({why})")
    print(json.dumps({"benchmark": "promql", "results": rows, "skipped": skipped}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

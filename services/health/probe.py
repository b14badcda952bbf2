"""The prober: every endpoint probed on its own fixed-rate schedule, as one stream.

Each endpoint's raw results feed its hysteresis, flap count, uptime and latency
window (services/health/rules.py); the stream yields a `HealthSnapshot` whenever
results arrive or an endpoint goes STALE, joining results that come close together.
One probe is `probe_endpoint` (services/health/endpoint_probe.py), the shared client
comes from `make_client` (services/health/client.py), and the values it yields live in
services/health/status.py.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import httpx

from warroom.services.clock import Clock
from warroom.services.config import EndpointConfig

# The session reads these through this module; most other readers import them from
# the module that holds them.
from warroom.services.health.client import make_client as make_client
from warroom.services.health.endpoint_probe import probe_endpoint
from warroom.services.health.rules import (
    Hysteresis,
    flaps_within,
    is_flap,
    is_stale,
    next_state,
    percentile,
)
from warroom.services.health.status import FLAP_COUNT, EndpointStatus
from warroom.services.health.status import HealthSnapshot as HealthSnapshot
from warroom.services.health.status import ProbeResult as ProbeResult
from warroom.services.health.status import ProbeState as ProbeState

HISTORY = 20
"""Raw results kept per endpoint for the drill-down."""
LATENCY_WINDOW = 120
"""Latencies kept per endpoint for percentiles and the sparkline."""
FIRST_PROBE_WINDOW = 1.0
"""Seconds within which every endpoint's first probe starts (spread, not a burst)."""


class _Track:
    """The mutable record of one endpoint, owned by the prober's loop."""

    def __init__(self, endpoint: EndpointConfig, started: float) -> None:
        self.endpoint = endpoint
        self.hyst = Hysteresis()
        self.started = started
        self.last_mono: float | None = None
        self.last_change: datetime | None = None
        self.flaps = 0
        self.flap_times: deque[float] = deque(maxlen=FLAP_COUNT * 4)
        """When recent flaps happened (monotonic), for FLAPPING."""
        self.recent_flaps = 0
        self.total = 0
        self.ok = 0
        self.deploy_total = 0
        self.deploy_ok = 0
        self.latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self.history: deque[ProbeResult] = deque(maxlen=HISTORY)
        self.shown = ProbeState.PENDING
        self.cached: EndpointStatus | None = None
        """The last status built; rebuilt only after a result, STALE or a deploy mark."""

    def record(self, result: ProbeResult, mono: float, deploy_marked: bool) -> None:
        self.cached = None
        self.last_mono = mono
        self.history.append(result)
        self.total += 1
        self.ok += result.ok
        if deploy_marked:
            self.deploy_total += 1
            self.deploy_ok += result.ok
        if result.latency_ms is not None:
            self.latencies.append(result.latency_ms)
        before = self.hyst.state
        self.hyst = next_state(
            self.hyst,
            result.state,
            self.endpoint.failure_threshold,
            self.endpoint.success_threshold,
        )
        # Flaps are counted here, per result, so a burst drained at once misses none.
        if is_flap(before, self.hyst.state):
            self.flaps += 1
            self.flap_times.append(mono)
        self.recent_flaps = flaps_within(self.flap_times, mono, self.endpoint.interval)
        if self.hyst.state is not self.shown:
            self.last_change = result.at
            self.shown = self.hyst.state

    def status(self, now_mono: float, now: datetime, deploy_marked: bool) -> EndpointStatus:
        state = self.hyst.state
        if is_stale(self.last_mono, self.started, now_mono, self.endpoint.interval):
            state = ProbeState.STALE
        if state is not self.shown:  # STALE came or went without a result
            self.last_change = now
            self.shown = state
            self.cached = None
        # Most endpoints are unchanged between two snapshots: reuse their status.
        if self.cached is None:
            self.cached = self._build(state, deploy_marked)
        return self.cached

    def _build(self, state: ProbeState, deploy_marked: bool) -> EndpointStatus:
        last = self.history[-1] if self.history else None
        lat = tuple(self.latencies)
        return EndpointStatus(
            name=self.endpoint.name,
            state=state,
            reason=last.reason if last else None,
            status_code=last.status_code if last else None,
            latency_ms=last.latency_ms if last else None,
            p50_ms=percentile(lat, 0.5),
            p95_ms=percentile(lat, 0.95),
            uptime_pct=100.0 * self.ok / self.total if self.total else None,
            uptime_since_deploy_pct=(
                100.0 * self.deploy_ok / self.deploy_total
                if deploy_marked and self.deploy_total
                else None
            ),
            last_change=self.last_change,
            flaps=self.flaps,
            latencies=lat,
            last=last,
            history=tuple(self.history),
            fail_streak=self.hyst.fail_streak,
            ok_streak=self.hyst.ok_streak,
            failure_threshold=self.endpoint.failure_threshold,
            success_threshold=self.endpoint.success_threshold,
            recent_flaps=self.recent_flaps,
            interval=self.endpoint.interval,
        )


RECORD_STEP = 16
"""Results a snapshot's stream takes in one step of the loop before letting it run."""


class Prober:
    """Probes every endpoint on a fixed-rate schedule and streams `HealthSnapshot`s.

    At most one probe is in flight per endpoint (each has its own loop, and a probe's
    deadline is below its interval). Schedules run on the event loop's clock; results
    are timed and aged with the injected `clock`.
    """

    def __init__(
        self,
        endpoints: Sequence[EndpointConfig],
        client: httpx.AsyncClient,
        clock: Clock,
        jitter: float = 0.05,
        min_gap: float = 0.1,
    ) -> None:
        self._endpoints = tuple(endpoints)
        self._client = client
        self._clock = clock
        self._jitter = jitter
        self._min_gap = min_gap
        """Least seconds between two snapshots of the stream; results in between join."""
        started = clock.monotonic()
        self._tracks = {e.name: _Track(e, started) for e in self._endpoints}
        self._deploy_at: datetime | None = None
        self._last_states: dict[str, ProbeState] = {}

    async def probe_once(self, endpoint: EndpointConfig) -> ProbeResult:
        """One probe of `endpoint`, outside the schedule (the headless check uses it)."""
        return await probe_endpoint(endpoint, self._client, self._clock)

    def mark_deploy(self, at: datetime) -> None:
        """Start counting uptime since the deploy as well as since start."""
        self._deploy_at = at
        for track in self._tracks.values():
            track.deploy_total = 0
            track.deploy_ok = 0
            track.cached = None

    def record(self, name: str, result: ProbeResult) -> None:
        """Feed one result into an endpoint's state (the schedule does this itself)."""
        self._tracks[name].record(result, self._clock.monotonic(), self._deploy_at is not None)

    def snapshot(self) -> HealthSnapshot:
        """Every endpoint now, with STALE applied from the clock."""
        now_mono = self._clock.monotonic()
        now = self._clock.now()
        marked = self._deploy_at is not None
        statuses = tuple(
            self._tracks[e.name].status(now_mono, now, marked) for e in self._endpoints
        )
        self._last_states = {s.name: s.state for s in statuses}
        return HealthSnapshot(statuses, now)

    async def _run_endpoint(
        self, endpoint: EndpointConfig, queue: asyncio.Queue[tuple[str, ProbeResult]]
    ) -> None:
        loop = asyncio.get_running_loop()
        interval = endpoint.interval
        spread = min(self._jitter, interval / 10)
        start = loop.time()
        # The first probe comes within a second so the pane fills at once. Later probes
        # sit on a fixed grid (grid + k * interval), so jitter never accumulates, and
        # the grid's phase is spread over the whole interval, so many endpoints probe
        # evenly instead of in a burst at the top of every interval.
        due = start + random.uniform(0.0, min(interval, FIRST_PROBE_WINDOW))
        grid = start + random.uniform(0.0, interval)
        slot = 0
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            result = await self.probe_once(endpoint)
            await queue.put((endpoint.name, result))
            # The next slot not yet begun: slots missed while behind (a suspended
            # laptop, a slow probe) are skipped, never made up in a burst.
            slot = max(slot, math.floor((loop.time() - grid) / interval) + 1)
            due = grid + slot * interval + random.uniform(0.0, spread)
            slot += 1

    async def stream(self) -> AsyncIterator[HealthSnapshot]:
        """Yield a snapshot first, then whenever results arrive or an endpoint goes STALE."""
        queue: asyncio.Queue[tuple[str, ProbeResult]] = asyncio.Queue()
        tasks = [asyncio.create_task(self._run_endpoint(e, queue)) for e in self._endpoints]
        watch = min((e.interval for e in self._endpoints), default=1.0) / 2
        loop = asyncio.get_running_loop()
        try:
            yield self.snapshot()
            last = loop.time()
            while True:
                try:
                    # Not `wait_for`: on Python 3.11 a cancel that comes as a result
                    # arrives is swallowed there, and the stream would never stop.
                    async with asyncio.timeout(watch):
                        name, result = await queue.get()
                except TimeoutError:
                    before = dict(self._last_states)
                    snap = self.snapshot()
                    if {s.name: s.state for s in snap.endpoints} != before:
                        yield snap
                        last = loop.time()
                    continue
                self.record(name, result)
                # Many endpoints answer every second: results arriving within `min_gap`
                # of the last snapshot join the next one, so the reader is not flooded.
                pause = last + self._min_gap - loop.time()
                if pause > 0:
                    await asyncio.sleep(pause)
                # The loop is the screen's too: the results that came meanwhile (dozens
                # with many endpoints) are taken a few at a time, and the snapshot after
                # them, each in a step of its own, so no one step holds the loop long.
                waiting = queue.qsize()
                for taken in range(waiting):
                    if taken and taken % RECORD_STEP == 0:
                        await asyncio.sleep(0)
                    name, result = queue.get_nowait()
                    self.record(name, result)
                if waiting >= RECORD_STEP:
                    await asyncio.sleep(0)
                yield self.snapshot()
                last = loop.time()
        finally:
            for task in tasks:
                task.cancel()
            # Cancelled probes end at once; a connection slow to close must not hold up
            # quitting, so wait a moment at most.
            if tasks:
                await asyncio.wait(tasks, timeout=1.0)

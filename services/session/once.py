"""The incident's services sampled once, wired exactly as the live session wires them.

`warroom check` (and any script) asks this, so a one-shot reading and the dashboard
can't disagree about how health feeds the metrics.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from warroom.services.clock import Clock
from warroom.services.config import Config, EndpointConfig
from warroom.services.health.probe import HealthSnapshot, Prober, ProbeResult, make_client
from warroom.services.metrics.sampler import MetricSampler, MetricsSnapshot

DERIVED = frozenset({"health", "ratio"})
"""Metric sources computed from other readings (read after them)."""


@dataclass(frozen=True)
class OnceReading:
    """Every endpoint probed once and every metric read once."""

    probes: tuple[tuple[EndpointConfig, ProbeResult], ...]
    health: HealthSnapshot
    metrics: MetricsSnapshot


async def sample_once(config: Config, clock: Clock, rate_gap: float = 1.0) -> OnceReading:
    """Probe every endpoint and read every metric once, concurrently.

    Counter rates need two readings, so rate metrics are read twice, `rate_gap` seconds
    apart; health and ratio metrics are read last, from the others.
    """
    async with make_client(config.endpoint) as client:
        prober = Prober(config.endpoint, client, clock)
        sampler = MetricSampler(config.metric, client, clock)
        first = [m for m in config.metric if m.source not in DERIVED]
        results, _ = await asyncio.gather(
            asyncio.gather(*(prober.probe_once(e) for e in config.endpoint)),
            asyncio.gather(*(sampler.sample(m.name) for m in first)),
        )
        rates = [m for m in first if m.source == "prometheus" and m.rate]
        if rates:
            await asyncio.sleep(rate_gap)
            await asyncio.gather(*(sampler.sample(m.name) for m in rates))
        for endpoint, result in zip(config.endpoint, results, strict=True):
            prober.record(endpoint.name, result)
        health = prober.snapshot()
        sampler.feed_health(health)
        for source in ("health", "ratio"):
            for m in config.metric:
                if m.source == source:
                    await sampler.sample(m.name)
        metrics = sampler.snapshot()
    probes = tuple(zip(config.endpoint, results, strict=True))
    return OnceReading(probes, health, metrics)

"""`warroom check`: every endpoint and metric probed once, for scripts and deploy gates.

All probes run concurrently. Thresholds of consecutive results do not apply to a
single probe, so an endpoint's state is the verdict of that one probe. Counter rates
need two readings, so rate metrics are read twice, `rate_gap` seconds apart.

`--for DURATION` watches instead: endpoints and metrics are probed and sampled on
their own intervals for that long, as the dashboard does, and the verdict judges
the gates over those readings as if the deploy had happened when the check began.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.services.clock import Clock, SystemClock
from warroom.services.config import Config, parse_duration
from warroom.services.health.client import make_client
from warroom.services.health.probe import Prober
from warroom.services.health.status import HealthSnapshot, ProbeState, Reason
from warroom.services.metrics.sampler import MetricSampler
from warroom.services.metrics.series import (
    MetricSeries,
    MetricsSnapshot,
    MetricState,
    trend_direction,
)
from warroom.services.redact import mask, mask_payload
from warroom.services.release.verdict import Verdict, judge, verdict_to_json
from warroom.services.sanitize import clean
from warroom.services.session.once import sample_once


@dataclass(frozen=True)
class EndpointCheck:
    """One endpoint's single probe."""

    name: str
    state: ProbeState
    reason: Reason | None
    status_code: int | None
    latency_ms: float | None
    detail: str


@dataclass(frozen=True)
class MetricCheck:
    """One metric's single reading."""

    name: str
    value: float | None
    unit: str
    state: MetricState
    error: str
    change: float | None = None
    """The signed change across this check's readings; None from a single reading."""
    trend: str = "flat"
    """ "up", "down" or "flat" (`trend_direction`)."""


def _metric_check(series: MetricSeries) -> MetricCheck:
    # The check's readings span seconds at most: the whole series is the window.
    change = series.change_over(float("inf"))
    trend = trend_direction(change, series.current)
    return MetricCheck(
        series.name, series.current, series.unit, series.state, series.error, change, trend
    )


_GLYPHS = {ProbeState.UP: "✔", ProbeState.WARN: "▲", ProbeState.DOWN: "✖"}
"""The table's state symbols (a single probe is UP, WARN or DOWN); words go beside them."""
_ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _trend_cell(check: MetricCheck) -> str:
    """ "↑ +12.0", or "--" when one reading has no direction."""
    if check.change is None:
        return "--"
    sign = "+" if check.change >= 0 else "−"
    return f"{_ARROWS[check.trend]} {sign}{_fmt_number(abs(check.change))}"


@dataclass(frozen=True)
class CheckReport:
    """Everything one `warroom check` found."""

    endpoints: tuple[EndpointCheck, ...]
    metrics: tuple[MetricCheck, ...]
    at: datetime
    verdict: Verdict | None = None
    """The gates judged over this check's readings, as if deployed when it began."""


async def run_check(
    config: Config, clock: Clock | None = None, rate_gap: float = 1.0, watch: float = 0.0
) -> CheckReport:
    """Probe every endpoint and read every metric once, concurrently.

    With `watch` seconds, probe and sample on the configured intervals that long
    instead, and judge the verdict's windows over every reading.
    """
    clock = clock or SystemClock()
    started = clock.now()
    if watch > 0:
        return await _watched_check(config, clock, watch, started)
    reading = await sample_once(config, clock, rate_gap)
    series = reading.metrics
    endpoints = tuple(
        EndpointCheck(e.name, r.state, r.reason, r.status_code, r.latency_ms, r.detail)
        for e, r in reading.probes
    )
    metrics = tuple(_metric_check(s) for s in series.series)
    # One round is one sample per figure: enough for a gate to fail, never to pass
    # (a pass needs its whole window), so a one-off check is at best Inconclusive.
    now = clock.now()
    verdict = judge(config, started, reading.health, reading.metrics, now)
    return CheckReport(endpoints, metrics, now, verdict)


async def watch_readings(
    config: Config, clock: Clock, duration: float
) -> tuple[HealthSnapshot, MetricsSnapshot]:
    """The latest snapshots after probing and sampling for `duration` seconds.

    Wired as the session wires them (each health snapshot feeds the health metrics);
    both streams stop, and their probes with them, before this returns.
    """
    async with make_client(config.endpoint) as client:
        prober = Prober(config.endpoint, client, clock)
        sampler = MetricSampler(config.metric, client, clock)

        async def health() -> None:
            async for snapshot in prober.stream():
                sampler.feed_health(snapshot)

        async def metrics() -> None:
            async for _ in sampler.stream():
                pass

        tasks = [asyncio.create_task(health()), asyncio.create_task(metrics())]
        try:
            # The user asked to watch this long: the wait is the product, not a pause.
            done, _ = await asyncio.wait(tasks, timeout=duration)
            for task in done:
                task.result()  # a stream that ended early is a bug: show it
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return prober.snapshot(), sampler.snapshot()


async def _watched_check(
    config: Config, clock: Clock, duration: float, started: datetime
) -> CheckReport:
    health, metrics = await watch_readings(config, clock, duration)
    endpoints = tuple(
        EndpointCheck(s.name, s.last.state, s.last.reason, s.status_code, s.latency_ms,
                      s.last.detail)
        if s.last is not None
        else EndpointCheck(s.name, ProbeState.PENDING, None, None, None, "no answer yet")
        for s in health.endpoints
    )  # fmt: skip
    now = clock.now()
    verdict = judge(config, started, health, metrics, now)
    return CheckReport(endpoints, tuple(_metric_check(s) for s in metrics.series), now, verdict)


def duration_arg(text: str) -> float:
    """`--for 5m`: a duration as the config writes it, or argparse's one-line error."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is no time at all (e.g. 30s, 5m)")
    return seconds


def exit_code(report: CheckReport) -> int:
    """0 when every endpoint is UP and no metric is beyond crit; 1 otherwise."""
    endpoints_up = all(e.state is ProbeState.UP for e in report.endpoints)
    metrics_fine = all(m.state != "crit" for m in report.metrics)
    return 0 if endpoints_up and metrics_fine else 1


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 3)


def report_to_json(report: CheckReport) -> dict[str, Any]:
    """The `--json` document: endpoints with state/reason/code/latency, metrics with values.

    Secrets from the environment are masked in every string (a metric's error names
    its URL, whose query may hold a token).
    """
    document: dict[str, Any] = {
        "endpoints": [
            {
                "name": e.name,
                "state": e.state.name,
                "reason": e.reason.value if e.reason else None,
                "status_code": e.status_code,
                "latency_ms": _round(e.latency_ms),
            }
            for e in report.endpoints
        ],
        "metrics": [
            {
                "name": m.name,
                "value": _round(m.value),
                "unit": m.unit,
                "state": m.state,
                "trend": m.trend,
                "change": _round(m.change),
            }
            for m in report.metrics
        ],
    }
    if report.verdict is not None:
        document["verdict"] = verdict_to_json(report.verdict)
    masked: dict[str, Any] = mask_payload(document)
    return masked


def _fmt_number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]  # fmt: skip


def format_table(report: CheckReport) -> str:
    """The check as a plain-text table for a terminal (state words, never colour)."""
    lines: list[str] = []
    if report.endpoints:
        rows = [
            [
                clean(e.name, 60),
                f"{_GLYPHS.get(e.state, '?')} {e.state.word}",
                e.reason.value if e.reason else "",
                str(e.status_code) if e.status_code is not None else "-",
                f"{e.latency_ms:.0f} ms" if e.latency_ms is not None else "-",
                e.detail,
            ]
            for e in report.endpoints
        ]
        lines += _table(["ENDPOINT", "STATE", "REASON", "HTTP", "LATENCY", "DETAIL"], rows)
    if report.metrics:
        if lines:
            lines.append("")
        rows = [
            [
                clean(m.name, 60),
                f"{_fmt_number(m.value)} {clean(m.unit, 20)}".strip(),
                _trend_cell(m),
                m.state.upper(),
                m.error,
            ]
            for m in report.metrics
        ]
        lines += _table(["METRIC", "VALUE", "TREND", "STATE", "NOTE"], rows)
    if not lines:
        lines.append("nothing to check: no [[endpoint]] or [[metric]] in the config")
    if report.verdict is not None:
        lines += ["", f"VERDICT  {report.verdict.summary()}"]
        lines += [f"  {c.outcome.value:<12}  {c.reason}" for c in report.verdict.criteria]
    # One pass over the finished table: whatever column a secret came back in.
    return mask("\n".join(lines))

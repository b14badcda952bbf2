"""The demo's traffic model: what the simulated auth-api does, as pure functions of time.

Traffic is simulated lazily: counters advance from the elapsed time when someone scrapes,
so the idle service does no work between requests. While broken (auth failures after
v1.2.3) the failures wave over a minute, like a flapping dependency; once fixed they fade.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Mode = Literal["broken", "fixed"]

LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Upper bounds (seconds) of the latency histogram, as prometheus-client's defaults."""

_STATUSES = ("200", "401", "404", "500", "502")


@dataclass(frozen=True)
class TrafficProfile:
    """What the service does per second in one mode at one moment."""

    requests_per_s: float
    login_share: float
    """Fraction of requests that are logins."""
    auth_failure: float
    """Fraction of logins that fail."""
    auth_failure_5xx: float
    """Fraction of failed logins that are 500s (the rest are 401s)."""
    other_5xx: float
    """Fraction of non-login requests answered 502."""
    latency_median: float
    latency_sigma: float
    """Log-normal spread of latency: p95 = median * exp(1.645 * sigma)."""


def traffic_profile(mode: Mode, elapsed: float) -> TrafficProfile:
    """The service's behaviour `elapsed` seconds after start: broken ones wave over a minute.

    While broken, the auth failure ratio swings between 35% and 60% with a 60 s period, so
    the health check alternates between warn and fail like a real flapping dependency.
    """
    if mode == "fixed":
        return TrafficProfile(
            requests_per_s=40.0,
            login_share=0.3,
            auth_failure=0.01,
            auth_failure_5xx=0.0,
            other_5xx=0.0005,
            latency_median=0.045,
            latency_sigma=0.6,
        )
    wave = 0.5 + 0.5 * math.sin(2 * math.pi * elapsed / 60.0)
    return TrafficProfile(
        requests_per_s=40.0,
        login_share=0.3,
        auth_failure=0.35 + 0.25 * wave,
        auth_failure_5xx=0.6,
        other_5xx=0.03,
        latency_median=0.22 + 0.12 * wave,
        latency_sigma=0.9,
    )


def latency_fraction_below(bound: float, median: float, sigma: float) -> float:
    """P(latency <= bound) for a log-normal latency: what fills each histogram bucket."""
    z = (math.log(bound) - math.log(median)) / sigma
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def health_document(
    mode: Mode, elapsed: float, now: datetime, version: str, jitter: float = 0.0
) -> dict[str, Any]:
    """The application/health+json body: overall status and per-component checks."""
    profile = traffic_profile(mode, elapsed)
    stamp = now.isoformat().replace("+00:00", "Z")
    auth_success = round(100.0 * (1.0 - profile.auth_failure) + jitter, 1)
    if mode == "fixed":
        auth_status, db_conns, db_status, hit, cache_status = (
            "pass",
            23 + round(jitter),
            "pass",
            0.96,
            "pass",
        )
    else:
        auth_status = "fail" if profile.auth_failure >= 0.45 else "warn"
        db_conns, db_status, hit, cache_status = 91 + round(jitter), "warn", 0.71, "warn"
    checks: dict[str, list[dict[str, Any]]] = {
        "auth:login": [
            {
                "componentType": "component",
                "observedValue": auth_success,
                "observedUnit": "percent",
                "status": auth_status,
                "time": stamp,
                **({"output": "token validation failing"} if auth_status != "pass" else {}),
            }
        ],
        "db:connections": [
            {
                "componentId": "auth-db",
                "componentType": "datastore",
                "observedValue": db_conns,
                "observedUnit": "connections",
                "status": db_status,
                "time": stamp,
            }
        ],
        "cache:hit-ratio": [
            {
                "componentId": "session-cache",
                "componentType": "datastore",
                "observedValue": hit,
                "observedUnit": "ratio",
                "status": cache_status,
                "time": stamp,
            }
        ],
    }
    order = {"pass": 0, "warn": 1, "fail": 2}
    worst = max((c[0]["status"] for c in checks.values()), key=lambda s: order[s])
    return {
        "status": worst,
        "version": version.split(".")[0].lstrip("v") or "1",
        "releaseId": version,
        "serviceId": "auth-api",
        "description": "auth-api (warroom demo)",
        "checks": checks,
    }


class TrafficCounters:
    """Counters and a latency histogram advanced from elapsed time when read.

    Values are kept as floats and shown floored, so counts stay whole, never go backwards,
    and every histogram bucket stays below the next.
    """

    def __init__(self, rng: random.Random, start: float) -> None:
        self._rng = rng
        self._lock = threading.Lock()
        self._last = start
        self.requests: dict[str, float] = dict.fromkeys(_STATUSES, 0.0)
        self.buckets: list[float] = [0.0] * (len(LATENCY_BUCKETS) + 1)
        """Non-cumulative counts per bucket; the last one is above the highest bound."""
        self.latency_sum = 0.0
        self.login_attempts = 0.0
        self.login_success = 0.0

    def advance(self, now: float, profile: TrafficProfile) -> None:
        """Account for the traffic between the last update and `now` under `profile`."""
        with self._lock:
            elapsed = now - self._last
            if elapsed <= 0:
                return
            self._last = now
            jitter = min(1.6, max(0.5, self._rng.gauss(1.0, 0.15)))
            self._add(profile, profile.requests_per_s * elapsed * jitter)

    def record(self, status: int, seconds: float, login: bool, success: bool) -> None:
        """Count one real request (a probe or a smoke test) alongside the simulated ones."""
        with self._lock:
            key = str(status)
            self.requests[key] = self.requests.get(key, 0.0) + 1.0
            self._observe(seconds, 1.0)
            if login:
                self.login_attempts += 1.0
                if success:
                    self.login_success += 1.0

    def _add(self, p: TrafficProfile, total: float) -> None:
        logins = total * p.login_share
        failed = logins * min(1.0, max(0.0, p.auth_failure + self._rng.uniform(-0.03, 0.03)))
        others = total - logins
        other_5xx = others * p.other_5xx
        not_found = others * 0.01
        self.requests["500"] += failed * p.auth_failure_5xx
        self.requests["401"] += failed * (1.0 - p.auth_failure_5xx)
        self.requests["502"] += other_5xx
        self.requests["404"] += not_found
        self.requests["200"] += logins - failed + others - other_5xx - not_found
        self.login_attempts += logins
        self.login_success += logins - failed
        below = 0.0
        for i, bound in enumerate(LATENCY_BUCKETS):
            cdf = latency_fraction_below(bound, p.latency_median, p.latency_sigma)
            self.buckets[i] += total * (cdf - below)
            below = cdf
        self.buckets[-1] += total * (1.0 - below)
        mean = p.latency_median * math.exp(p.latency_sigma**2 / 2)
        self.latency_sum += total * mean

    def _observe(self, seconds: float, count: float) -> None:
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.buckets[i] += count
                break
        else:
            self.buckets[-1] += count
        self.latency_sum += seconds * count

    def exposition(self, version: str) -> str:
        """The counters in the Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP http_requests_total HTTP requests served, by status code.",
                "# TYPE http_requests_total counter",
            ]
            for status in sorted(self.requests):
                lines.append(
                    f'http_requests_total{{status="{status}"}} {math.floor(self.requests[status])}'
                )
            lines += [
                "# HELP http_request_duration_seconds Time to answer a request.",
                "# TYPE http_request_duration_seconds histogram",
            ]
            cumulative = 0.0
            for bound, count in zip(LATENCY_BUCKETS, self.buckets, strict=False):
                cumulative += count
                lines.append(
                    f'http_request_duration_seconds_bucket{{le="{bound}"}} {math.floor(cumulative)}'
                )
            cumulative += self.buckets[-1]
            total = math.floor(cumulative)
            lines += [
                f'http_request_duration_seconds_bucket{{le="+Inf"}} {total}',
                f"http_request_duration_seconds_sum {self.latency_sum:.6f}",
                f"http_request_duration_seconds_count {total}",
                "# HELP auth_login_attempts_total Login attempts.",
                "# TYPE auth_login_attempts_total counter",
                f"auth_login_attempts_total {math.floor(self.login_attempts)}",
                "# HELP auth_login_success_total Successful logins.",
                "# TYPE auth_login_success_total counter",
                f"auth_login_success_total {math.floor(self.login_success)}",
                "# HELP auth_api_build_info The release being served.",
                "# TYPE auth_api_build_info gauge",
                f'auth_api_build_info{{version="{version}"}} 1',
            ]
        return "\n".join(lines) + "\n"

"""What a probe found and what an endpoint is: the values every view of health reads.

A raw `ProbeResult` carries one probe's verdict (UP, WARN or DOWN, with a reason code);
an `EndpointStatus` is an endpoint after hysteresis, as the Health pane shows it; a
`HealthSnapshot` is every endpoint at one moment. They hold no behaviour beyond reading
themselves, so the widgets, the alerts and the report can share them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

FLAP_COUNT = 3
"""Transitions into or out of DOWN within the window that make an endpoint FLAPPING."""


class ProbeState(enum.Enum):
    """What an endpoint is; each has a word (`word`), so colour is never needed.

    The glyph that goes with a state is presentation and lives with the widgets.
    """

    PENDING = "pending"
    UP = "up"
    WARN = "warn"
    DOWN = "down"
    STALE = "stale"

    @property
    def word(self) -> str:
        """The state in capitals, as the table shows it."""
        return self.name


class Reason(enum.Enum):
    """Why a probe was not plainly UP, as a short code the table can show."""

    DNS = "dns"
    REFUSED = "refused"
    CONNECT_TIMEOUT = "connect-timeout"
    TLS = "tls"
    READ_TIMEOUT = "read-timeout"
    DEADLINE = "deadline"
    STATUS = "status"
    KEYWORD = "keyword"
    INVALID_JSON = "invalid-json"
    OVERSIZE = "oversize"
    REDIRECT = "redirect"
    BODY_FAIL = "body-fail"
    SLOW = "slow"


@dataclass(frozen=True)
class HealthCheck:
    """One entry of an application/health+json `checks` object."""

    name: str
    status: str
    output: str


@dataclass(frozen=True)
class ProbeResult:
    """One raw probe: its verdict and everything the drill-down shows."""

    state: ProbeState
    """UP, WARN or DOWN: the verdict of this probe alone."""
    reason: Reason | None
    at: datetime
    status_code: int | None = None
    latency_ms: float | None = None
    """Time to the end of the (capped) body, by the monotonic clock; None if no answer."""
    detail: str = ""
    """One sanitized line explaining a failure ("connection refused", "HTTP 503")."""
    body: str = ""
    """A sanitized excerpt of the body (secrets in JSON token fields redacted)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Response headers, sanitized; cookie values redacted. Request headers are never kept."""
    checks: tuple[HealthCheck, ...] = ()
    bytes_read: int = 0
    truncated: bool = False
    """True when the body was longer than the cap and cut."""

    @property
    def ok(self) -> bool:
        """True when the endpoint answered acceptably (UP or WARN)."""
        return self.state is not ProbeState.DOWN


@dataclass(frozen=True)
class EndpointStatus:
    """An endpoint as the Health pane shows it."""

    name: str
    state: ProbeState
    reason: Reason | None
    """The latest raw result's reason, visible even while hysteresis holds the state."""
    status_code: int | None
    latency_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    uptime_pct: float | None
    """Share of probes that were UP or WARN since start; None before the first."""
    uptime_since_deploy_pct: float | None
    """The same since the deploy mark; None when no deploy is marked."""
    last_change: datetime | None
    flaps: int
    """Transitions between DOWN and UP/WARN since start."""
    latencies: tuple[float, ...]
    """Recent latencies in ms, oldest first, for a sparkline."""
    last: ProbeResult | None
    history: tuple[ProbeResult, ...]
    """The last 20 raw results, oldest first."""
    fail_streak: int = 0
    """Consecutive failed probes up to now (0 after a success)."""
    ok_streak: int = 0
    """Consecutive successful probes up to now (0 after a failure)."""
    failure_threshold: int = 1
    """Failures in a row that turn the endpoint DOWN (from the config)."""
    success_threshold: int = 1
    """Successes in a row that bring it back from DOWN (from the config)."""
    recent_flaps: int = 0
    """Transitions into or out of DOWN within the last `FLAP_WINDOW_INTERVALS` intervals."""
    interval: float = 0.0
    """Seconds between probes (from the config); 0 when unknown."""

    @property
    def flapping(self) -> bool:
        """Repeated transitions in a short window: the state itself cannot be trusted."""
        return self.recent_flaps >= FLAP_COUNT


@dataclass(frozen=True)
class HealthSnapshot:
    """Every endpoint at one moment."""

    endpoints: tuple[EndpointStatus, ...]
    at: datetime

    def get(self, name: str) -> EndpointStatus | None:
        """The endpoint called `name`, if configured."""
        return next((e for e in self.endpoints if e.name == name), None)

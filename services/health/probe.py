"""Endpoint health: probes with a total deadline, and states that mean what they say.

A probe is one HTTP request cut at the endpoint's deadline, its body decoded up to
64 KiB (a bounded piece at a time, so a gzip bomb costs what a plain body does),
redirects followed only within the same host. A deadline is a deadline: an answer
that ends after it is a failure, whatever the server sent. Its raw verdict (UP, WARN or
DOWN, with a reason code) feeds a hysteresis rule: an endpoint turns DOWN only after
`failure_threshold` consecutive failures and back UP after `success_threshold`
successes, while the latest raw result stays visible. An endpoint with no result
for three intervals is STALE. Request headers (which carry secrets) are never kept.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import math
import random
import re
import socket
import ssl
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from warroom.services.clock import Clock
from warroom.services.config import EndpointConfig
from warroom.services.health.body import CappedDecoder, DecodeError
from warroom.services.health.transport import ProbeTransport
from warroom.services.sanitize import clean, clean_block

BODY_CAP = 64 * 1024
"""Most bytes of a response body kept, decoded; the rest is never read."""
COMPRESSED_CAP = 1024 * 1024
"""Most compressed bytes read of a body; one that decodes to little more is cut there."""
ACCEPT_ENCODING = "gzip, deflate"
"""The codings offered: those decoded a bounded piece at a time (services/health/body.py)."""

EXCERPT_CAP = 4 * 1024
"""Characters of the body kept in a result for the drill-down."""

MAX_REDIRECTS = 5
PROXY_KEEPALIVE = 16
"""Connections kept alive by the transport of an endpoint that goes through a proxy."""
HISTORY = 20
"""Raw results kept per endpoint for the drill-down."""
LATENCY_WINDOW = 120
"""Latencies kept per endpoint for percentiles and the sparkline."""
STALE_INTERVALS = 3.0
FLAP_WINDOW_INTERVALS = 30
"""Flaps counted over this many probe intervals decide whether an endpoint is FLAPPING."""
FLAP_COUNT = 3
"""Transitions into or out of DOWN within the window that make an endpoint FLAPPING."""
FIRST_PROBE_WINDOW = 1.0
"""Seconds within which every endpoint's first probe starts (spread, not a burst)."""


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
class StateWords:
    """An endpoint's state as every view says it: the table, the projector, alerts, report.

    `key` names the state for styling and glyphs ("up", "down", "flapping", ...);
    `word` is the headline ("UP", "FLAPPING"); `detail` what qualifies it
    ("1 of 3 failing · 500"). One function (`state_words`) makes them, so two views of
    the same endpoint can never disagree.
    """

    key: str
    word: str
    detail: str = ""

    @property
    def text(self) -> str:
        """ "UP · 1 of 3 failing · 500", or just "UP"."""
        return f"{self.word} · {self.detail}" if self.detail else self.word


def _failure_detail(status: EndpointStatus) -> str:
    """What the latest failure was: the HTTP code when it answered, else the reason."""
    if status.status_code is not None and (status.reason is Reason.STATUS or not status.reason):
        return str(status.status_code)
    if status.reason is not None:
        return status.reason.value
    return ""


def state_words(status: EndpointStatus) -> StateWords:
    """The one wording of an endpoint's state, with what the hysteresis is holding back.

    An endpoint still UP under its failure threshold says so ("UP · 1 of 3 failing ·
    500"), one DOWN but passing again says how far it is from UP, and one whose state
    changed again and again in the window reads FLAPPING, with what it is right now.
    """
    state = status.state
    failure = _failure_detail(status)
    if status.flapping and state in (ProbeState.UP, ProbeState.WARN, ProbeState.DOWN):
        now = f"now {state.word}" + (
            f" · {failure}" if state is ProbeState.DOWN and failure else ""
        )
        return StateWords("flapping", "FLAPPING", f"{now} · {status.recent_flaps} changes")
    if state in (ProbeState.UP, ProbeState.WARN) and status.fail_streak > 0:
        failing = f"{status.fail_streak} of {status.failure_threshold} failing"
        return StateWords(state.value, state.word, " · ".join(p for p in (failing, failure) if p))
    if state is ProbeState.DOWN:
        parts = [failure] if failure else []
        if status.ok_streak > 0:
            parts.append(f"{status.ok_streak} of {status.success_threshold} passing")
        return StateWords("down", "DOWN", " · ".join(parts))
    if state is ProbeState.WARN and status.reason is not None:
        return StateWords("warn", "WARN", status.reason.value)
    return StateWords(state.value, state.word)


@dataclass(frozen=True)
class HealthSnapshot:
    """Every endpoint at one moment."""

    endpoints: tuple[EndpointStatus, ...]
    at: datetime

    def get(self, name: str) -> EndpointStatus | None:
        """The endpoint called `name`, if configured."""
        return next((e for e in self.endpoints if e.name == name), None)


# --- pure rules ------------------------------------------------------------------


@dataclass(frozen=True)
class Hysteresis:
    """The state of one endpoint's hysteresis: the shown state and the current streaks."""

    state: ProbeState = ProbeState.PENDING
    fail_streak: int = 0
    ok_streak: int = 0


def next_state(
    prev: Hysteresis, verdict: ProbeState, failure_threshold: int, success_threshold: int
) -> Hysteresis:
    """The hysteresis after one raw verdict (UP, WARN or DOWN).

    DOWN needs `failure_threshold` consecutive failures; leaving DOWN (or PENDING,
    STALE) for UP/WARN needs `success_threshold` consecutive successes. Between UP and
    WARN the state follows the latest verdict at once: both mean "answering".
    """
    if verdict is ProbeState.DOWN:
        fails = prev.fail_streak + 1
        state = ProbeState.DOWN if fails >= failure_threshold else prev.state
        return Hysteresis(state, fails, 0)
    if verdict not in (ProbeState.UP, ProbeState.WARN):
        raise ValueError(f"a verdict is UP, WARN or DOWN, not {verdict.name}")
    oks = prev.ok_streak + 1
    if prev.state in (ProbeState.UP, ProbeState.WARN) or oks >= success_threshold:
        return Hysteresis(verdict, 0, oks)
    return Hysteresis(prev.state, 0, oks)


def is_flap(before: ProbeState, after: ProbeState) -> bool:
    """Whether a state change counts as a flap: into or out of DOWN from UP/WARN."""
    answering = (ProbeState.UP, ProbeState.WARN)
    return (before in answering and after is ProbeState.DOWN) or (
        before is ProbeState.DOWN and after in answering
    )


def flaps_within(flap_times: Sequence[float], now_mono: float, interval: float) -> int:
    """How many of the flaps (monotonic times) fall within the flap window before now."""
    since = now_mono - FLAP_WINDOW_INTERVALS * interval
    return sum(1 for t in flap_times if t >= since)


def is_stale(
    last_result_mono: float | None, started_mono: float, now_mono: float, interval: float
) -> bool:
    """True when no result arrived for three intervals (counted from start if none yet)."""
    since = started_mono if last_result_mono is None else last_result_mono
    return now_mono - since >= STALE_INTERVALS * interval


_STATUS_ALIASES = {
    "pass": "pass",
    "ok": "pass",
    "up": "pass",
    "warn": "warn",
    "fail": "fail",
    "down": "fail",
    "error": "fail",
}


def normalize_health_status(value: object) -> str | None:
    """ "pass", "warn" or "fail" from a health+json status (aliases, any case), else None."""
    if not isinstance(value, str):
        return None
    return _STATUS_ALIASES.get(value.strip().lower())


def parse_health_json(body: bytes) -> tuple[str | None, tuple[HealthCheck, ...]]:
    """The overall status and checks of an application/health+json body.

    The status is None when the body is not JSON or has no recognisable status.
    """
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, ()
    if not isinstance(doc, dict):
        return None, ()
    status = normalize_health_status(doc.get("status"))
    checks: list[HealthCheck] = []
    raw_checks = doc.get("checks")
    if isinstance(raw_checks, dict):
        for key, entries in raw_checks.items():
            items = entries if isinstance(entries, list) else [entries]
            for item in items:
                if not isinstance(item, dict):
                    continue
                item_status = normalize_health_status(item.get("status")) or "?"
                output = item.get("output", item.get("observedValue", ""))
                checks.append(
                    HealthCheck(clean(str(key), 200), item_status, clean(str(output), 500))
                )
    return status, tuple(checks)


def classify(
    endpoint: EndpointConfig,
    status_code: int,
    body: bytes,
    truncated: bool,
    latency_ms: float,
) -> tuple[ProbeState, Reason | None, str, tuple[HealthCheck, ...]]:
    """The verdict of an answered probe: (state, reason, detail, health checks).

    The HTTP status decides first (503 with a "pass" body is DOWN/status); then the
    body checks (health+json, keyword), then the latency SLO.
    """
    if not any(low <= status_code <= high for low, high in endpoint.expect_status):
        return ProbeState.DOWN, Reason.STATUS, f"HTTP {status_code}", ()
    checks: tuple[HealthCheck, ...] = ()
    if endpoint.health_json:
        status, checks = parse_health_json(body)
        if status is None:
            if truncated:
                return ProbeState.DOWN, Reason.OVERSIZE, "body over 64 KiB", ()
            return ProbeState.DOWN, Reason.INVALID_JSON, "not a health+json body", ()
        if status != "pass":
            return ProbeState.WARN, Reason.BODY_FAIL, f"body status {status}", checks
    if endpoint.keyword is not None and endpoint.keyword.encode() not in body:
        if truncated:
            return ProbeState.DOWN, Reason.OVERSIZE, "keyword not in the first 64 KiB", checks
        return ProbeState.DOWN, Reason.KEYWORD, "keyword missing", checks
    if endpoint.latency_warn is not None and latency_ms > endpoint.latency_warn * 1000.0:
        return ProbeState.WARN, Reason.SLOW, f"slower than {endpoint.latency_warn:g}s", checks
    return ProbeState.UP, None, "", checks


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of `values` by linear interpolation; None when empty."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- sanitizing what is kept --------------------------------------------------------

_SECRET_HEADERS = {
    "set-cookie",
    "cookie",
    "authorization",
    "proxy-authorization",
    "www-authenticate",
}
_SECRET_JSON = re.compile(
    r'("[^"]*(?:token|secret|password|passwd|session|api[_-]?key)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def _safe_headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    kept: list[tuple[str, str]] = []
    for key, value in headers.multi_items():
        shown = "***" if key.lower() in _SECRET_HEADERS else clean(value, 500)
        kept.append((clean(key, 100), shown))
    return tuple(kept)


def _excerpt(body: bytes) -> str:
    text = body[:EXCERPT_CAP].decode("utf-8", errors="replace")
    text = _SECRET_JSON.sub(r'\1"***"', text)
    return clean_block(text, EXCERPT_CAP)


def _error_reason(exc: BaseException) -> Reason | None:
    """The reason hidden in an exception chain (DNS, refused, TLS), if recognisable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return Reason.DNS
        if isinstance(current, ssl.SSLError):
            return Reason.TLS
        if isinstance(current, ConnectionRefusedError):
            return Reason.REFUSED
        text = str(current).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return Reason.DNS
        if "temporary failure in name resolution" in text or "no address associated" in text:
            return Reason.DNS
        if "certificate" in text or "ssl" in text or "tls" in text:
            return Reason.TLS
        if "connection refused" in text or "errno 111" in text:
            return Reason.REFUSED
        current = current.__cause__ or current.__context__
    return None


# --- the client ----------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"all://{parts.hostname or ''}"


def _ssl_context(endpoint: EndpointConfig) -> ssl.SSLContext | bool:
    if not endpoint.verify_tls:
        return False
    if endpoint.ca_file is not None:
        return ssl.create_default_context(cafile=endpoint.ca_file)
    return True


def _origin_key(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
    )


_SET_COOKIE = (b"set-cookie", b"set-cookie2")


class _Cookies(httpx.Cookies):
    """The client's cookie jar; an answer that sets no cookie skips the jar's costly lookup."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if any(name.lower() in _SET_COOKIE for name, _ in response.headers.raw):
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """An `httpx.AsyncClient` whose cookie jar is a `_Cookies`: the same cookies, kept faster."""

    def __init__(self, **kwargs: Any) -> None:
        self._jar = _Cookies(kwargs.pop("cookies", None))
        super().__init__(**kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = _Cookies(cookies)


def make_client(endpoints: Sequence[EndpointConfig]) -> httpx.AsyncClient:
    """The one shared client for every probe.

    Its transport is `ProbeTransport`, which keeps one idle connection per endpoint
    alive between probes. Proxies and CA bundles from the environment are ignored
    (trust_env=False); an endpoint's own `verify_tls = false` or `ca_file` applies to
    its host only, and an endpoint with a `proxy` goes through httpx's own transport.
    """
    per_origin = Counter(_origin_key(e.url) for e in endpoints if e.proxy is None)
    idle = max(per_origin.values(), default=1)
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for endpoint in endpoints:
        if endpoint.proxy is not None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=PROXY_KEEPALIVE)
            mounts[_origin(endpoint.url)] = httpx.AsyncHTTPTransport(
                verify=_ssl_context(endpoint), proxy=endpoint.proxy, trust_env=False, limits=limits
            )
        elif not endpoint.verify_tls or endpoint.ca_file is not None:
            mounts[_origin(endpoint.url)] = ProbeTransport(
                verify=_ssl_context(endpoint), max_idle_per_origin=idle
            )
    return _Client(
        trust_env=False,
        follow_redirects=False,
        transport=ProbeTransport(max_idle_per_origin=idle),
        mounts=mounts,
        headers={"user-agent": "warroom-probe", "accept-encoding": ACCEPT_ENCODING},
    )


# --- probing ---------------------------------------------------------------------------


_PHASES = {
    "connection.connect_tcp.started": "connect",  # again: a retry on a fresh connection
    "http11.send_request_headers.started": "request",
    "http11.receive_response_headers.started": "headers",
    "http11.receive_response_body.started": "body",
    "http2.send_request_headers.started": "request",
    "http2.receive_response_headers.started": "headers",
    "http2.receive_response_body.started": "body",
}
"""The trace events (httpcore's names) at which a probe enters a phase."""


class _Phase:
    """Where a probe is, so a deadline can say what it interrupted."""

    def __init__(self) -> None:
        self.name = "connect"

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        # Called seven times a probe: one lookup, not a chain of suffix tests.
        name = _PHASES.get(event)
        if name is not None:
            self.name = name


_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@functools.lru_cache(maxsize=4096)
def _parsed_url(url: str) -> httpx.URL:
    """`url` parsed once: parsing it again for every probe costs more than the probe."""
    return httpx.URL(url)


def _same_host(a: str, b: str) -> bool:
    return (urlsplit(a).hostname or "").lower() == (urlsplit(b).hostname or "").lower()


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    """The body decoded up to BODY_CAP, and whether it was cut there.

    The raw bytes are decoded here, a bounded piece per call, rather than by httpx,
    whose decoders inflate each received chunk whole: a gzip bomb would take
    hundreds of MB and block the event loop, and with it every other probe.
    """
    decoder = CappedDecoder(response.headers.get("content-encoding", ""), BODY_CAP, COMPRESSED_CAP)
    parts: list[bytes] = []
    try:
        async for raw in response.aiter_raw():
            parts.append(decoder.feed(raw))
            if decoder.cut:  # a body of exactly the cap is read to its end, and not cut
                break
    except DecodeError as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from None
    return b"".join(parts), decoder.cut


async def probe_endpoint(
    endpoint: EndpointConfig, client: httpx.AsyncClient, clock: Clock
) -> ProbeResult:
    """Probe `endpoint` once within its total deadline; never raises for network trouble."""
    at = clock.now()
    start = clock.monotonic()
    phase = _Phase()

    def failed(reason: Reason, detail: str) -> ProbeResult:
        return ProbeResult(ProbeState.DOWN, reason, at, detail=clean(detail, 300))

    url = endpoint.url
    method = endpoint.method
    body_json = endpoint.json_body
    loop = asyncio.get_running_loop()
    deadline = loop.time() + endpoint.timeout
    try:
        async with asyncio.timeout_at(deadline):
            for hop in range(MAX_REDIRECTS + 1):
                request = client.build_request(
                    method,
                    _parsed_url(url),
                    headers=endpoint.headers,
                    json=body_json,
                    # The asyncio deadline decides; httpx's own timeouts are off.
                    timeout=None,
                    extensions={"trace": phase.trace},
                )
                response = await client.send(request, stream=True)
                try:
                    location = (
                        response.headers.get("location")
                        if response.status_code in _REDIRECT_CODES
                        else None
                    )
                    if location is not None:
                        target = str(response.url.join(location))
                        if not _same_host(url, target):
                            return failed(Reason.REDIRECT, "redirect to another host")
                        if hop == MAX_REDIRECTS:
                            return failed(Reason.REDIRECT, "too many redirects")
                        if response.status_code in (301, 302, 303) and method == "POST":
                            method, body_json = "GET", None
                        url = target
                        continue
                    body, truncated = await _read_capped(response)
                finally:
                    await response.aclose()
                if loop.time() > deadline:
                    # The answer ended past the deadline (the loop was held up before
                    # the timer could fire): a deadline is a deadline, whatever came.
                    raise TimeoutError
                latency = (clock.monotonic() - start) * 1000.0
                state, reason, detail, checks = classify(
                    endpoint, response.status_code, body, truncated, latency
                )
                return ProbeResult(
                    state,
                    reason,
                    at,
                    status_code=response.status_code,
                    latency_ms=latency,
                    detail=detail,
                    body=_excerpt(body),
                    headers=_safe_headers(response.headers),
                    checks=checks,
                    bytes_read=len(body),
                    truncated=truncated,
                )
            return failed(Reason.REDIRECT, "too many redirects")  # pragma: no cover
    except TimeoutError:
        if phase.name == "connect":
            return failed(Reason.CONNECT_TIMEOUT, f"no connection within {endpoint.timeout:g}s")
        if phase.name in ("request", "headers"):
            return failed(Reason.READ_TIMEOUT, f"no answer within {endpoint.timeout:g}s")
        return failed(Reason.DEADLINE, f"body not complete within {endpoint.timeout:g}s")
    except httpx.ConnectTimeout:
        return failed(Reason.CONNECT_TIMEOUT, "connect timeout")
    except httpx.TimeoutException:
        return failed(Reason.READ_TIMEOUT, "read timeout")
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        reason = _error_reason(exc)
        message = str(exc) or type(exc).__name__
        if reason is None:
            # A connection dropped mid-answer, a malformed response: it did not answer.
            reason = Reason.REFUSED if phase.name == "connect" else Reason.READ_TIMEOUT
        return failed(reason, message)


# --- the prober ------------------------------------------------------------------------


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
                    name, result = await asyncio.wait_for(queue.get(), timeout=watch)
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
                while not queue.empty():
                    name, result = queue.get_nowait()
                    self.record(name, result)
                yield self.snapshot()
                last = loop.time()
        finally:
            for task in tasks:
                task.cancel()
            # Cancelled probes end at once; a connection slow to close must not hold up
            # quitting, so wait a moment at most.
            if tasks:
                await asyncio.wait(tasks, timeout=1.0)

"""The simulated production service that `warroom demo` runs against.

A newcomer must see every pane alive without writing a config, so the demo builds, inside
one throwaway folder, everything a real incident has: an HTTP service on loopback (health,
Prometheus metrics, a login endpoint), an error log being written, a git repository with
release tags, and deploy/rollback scripts. The service starts BROKEN (auth failures after
v1.2.3) and recovers when the hotfix is deployed; rolling back breaks it again.

Traffic is simulated lazily: counters advance from the elapsed time when someone scrapes,
so the idle process does no work between requests. The only background work is the log
writer, which flushes the lines of about two events a second in one append every couple
of seconds, as a buffered logger does.
"""

from __future__ import annotations

import json
import math
import os
import random
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from warroom.services.clock import Clock, SystemClock
from warroom.services.process import run_sync

Mode = Literal["broken", "fixed"]

PRODUCTION_VERSION = "1.2.3"
"""The release running when the demo starts: the one that broke auth."""

HOTFIX_BRANCH = "hotfix/critical-auth-fix"

ROLLING_BATCHES = 3
"""Batches of the demo's rolling deploy; the last one fixes production."""

LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Upper bounds (seconds) of the latency histogram, as prometheus-client's defaults."""

_STATUSES = ("200", "401", "404", "500", "502")

MAX_BODY = 64 * 1024
"""Most bytes of a request body the service reads."""

KEEPALIVE_TIMEOUT = 60.0
"""Seconds an idle kept-alive connection stays open."""

LOG_EVENTS_PER_S = 2.0
"""Logged events a second (one line each, or a burst or a stack trace)."""


class DemoError(Exception):
    """The demo could not be set up (e.g. git missing); the message is one line to print."""


# --- the traffic model: pure functions of mode and time ---------------------------------


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


# --- the log writer's lines ------------------------------------------------------------

_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory", "trent")
_HOSTILE = (
    "WARN  auth-api: rejected user-agent "
    '"\x1b]0;pwned\x07\x1b[2J[bold red]ROOT SHELL[/] [link=https://evil.example]click[/link]"',
    "WARN  auth-api: odd username in login form: "
    '"admin\u202egnp.exe\x1b[31m[blink]ALERT[/blink]\x1b[0m"',
)
_TRACE = (
    "Traceback (most recent call last):",
    '  File "/srv/auth/handlers.py", line 88, in login',
    "    token = tokens.issue(user, scope=request.scope)",
    '  File "/srv/auth/tokens.py", line 41, in issue',
    "    key = self.keys.current()",
    '  File "/srv/auth/keys.py", line 17, in current',
    '    raise SigningKeyError("signing key kid=2026-01 not loaded")',
    "auth.keys.SigningKeyError: signing key kid=2026-01 not loaded",
)


def log_lines(rng: random.Random, mode: Mode, now: datetime, hostile_odds: float) -> list[str]:
    """One write's worth of log lines: usually one, sometimes a burst or a stack trace."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    user = f"user={rng.choice(_USERS)}@example.com"
    rid = f"request_id={rng.getrandbits(48):012x}"
    roll = rng.random()
    if rng.random() < hostile_odds:
        return [f"{stamp} {rng.choice(_HOSTILE)}"]
    error_odds = 0.4 if mode == "broken" else 0.03
    warn_odds = 0.25 if mode == "broken" else 0.1
    if roll < error_odds:
        if mode == "broken" and rng.random() < 0.15:
            head = f"{stamp} ERROR auth-api: unhandled exception in POST /api/auth/login {rid}"
            return [head, *_TRACE]
        if mode == "broken" and rng.random() < 0.2:
            count = rng.randint(4, 9)
            return [
                f"{stamp} ERROR auth-api: auth: login failed for "
                f"user={rng.choice(_USERS)}@example.com reason=invalid_token "
                f"request_id={rng.getrandbits(48):012x}"
                for _ in range(count)
            ]
        reason = rng.choice(
            ("invalid_token", "invalid_token", "signature_mismatch", "key_not_found")
        )
        if mode == "fixed":
            reason = "bad_password"
        return [f"{stamp} ERROR auth-api: auth: login failed for {user} reason={reason} {rid}"]
    if roll < error_odds + warn_odds:
        return [
            rng.choice(
                (
                    f"{stamp} WARN  auth-api: db: connection pool at 91/100, waited 180ms {rid}",
                    f"{stamp} WARN  auth-api: cache: session lookup slow (412ms) {user}",
                    f"{stamp} WARN  auth-api: auth: token refresh retried (attempt 2/3) {user}",
                )
                if mode == "broken"
                else (
                    f"{stamp} WARN  auth-api: cache: session lookup slow (132ms) {user}",
                    f"{stamp} WARN  auth-api: auth: rate limit close for {user}",
                )
            )
        ]
    return [
        rng.choice(
            (
                f"{stamp} INFO  auth-api: auth: login ok {user} {rid}",
                f"{stamp} INFO  auth-api: GET /api/profile 200 {rid}",
                f"{stamp} INFO  auth-api: auth: token refreshed {user}",
                f"{stamp} INFO  auth-api: health: checks evaluated",
            )
        )
    ]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count with the given mean (Knuth's method; means are small)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# --- the mode file ---------------------------------------------------------------------


class _StateFile:
    """A one-word state file re-read only when its stat changes (scripts replace it)."""

    def __init__(self, path: Path, default: str) -> None:
        self._path = path
        self._default = default
        self._key: tuple[int, int, int] | None = None
        self._value = default
        self._lock = threading.Lock()

    def read(self) -> str:
        with self._lock:
            try:
                st = os.stat(self._path)
            except OSError:
                return self._value
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            if key != self._key:
                self._key = key
                try:
                    text = self._path.read_text(encoding="utf-8").strip()
                except (OSError, UnicodeDecodeError):
                    text = ""
                self._value = text or self._default
            return self._value


# --- the HTTP service ------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    target: DemoTarget

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer must not print a traceback over the dashboard.
        return


class _Handler(BaseHTTPRequestHandler):
    """One client connection, kept open between requests (HTTP/1.1 keep-alive)."""

    server: _Server
    server_version = "auth-api/1.2"
    sys_version = ""
    # Keep-alive, as a real service: a prober's next request reuses its connection
    # instead of costing a new connection and a new thread every few seconds.
    protocol_version = "HTTP/1.1"
    timeout = KEEPALIVE_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        # The dashboard owns the terminal: the service never writes to stderr.
        return

    def do_GET(self) -> None:
        self.server.target._handle(self, "GET")

    def do_HEAD(self) -> None:
        self.server.target._handle(self, "HEAD")

    def do_POST(self) -> None:
        self.server.target._handle(self, "POST")

    def body(self) -> bytes:
        """The request body (at most `MAX_BODY` bytes; a longer one ends the connection)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True  # not read: the connection cannot be reused
            return b""
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self.close_connection = True
            return b""
        if length > MAX_BODY:
            self.close_connection = True
        return self.rfile.read(min(length, MAX_BODY))

    def send(self, status: int, content_type: str, body: bytes, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)


# --- the demo ---------------------------------------------------------------------------


class DemoTarget:
    """Builds and runs the simulated production service inside `root` (a fresh temp dir).

    Nothing outside `root` is touched: git runs with the user's global and system config
    ignored, and the repository carries its own identity. Use as a context manager, or call
    `start()` and `stop()`.
    """

    def __init__(
        self,
        root: Path,
        clock: Clock | None = None,
        *,
        log_interval: float = 2.0,
        script_pace: float = 0.4,
        slowness: float = 1.0,
        hostile_odds: float = 0.02,
        incident_age: float = 240.0,
        seed: int | None = None,
    ) -> None:
        """`log_interval`: seconds between log flushes (on average); `script_pace`: seconds
        per step of the deploy scripts; `slowness`: scales the real delay of broken answers
        (0 in tests); `hostile_odds`: chance a logged event is an escape-sequence line;
        `incident_age`: how long ago the incident started."""
        self.root = Path(root).resolve()
        self.clock: Clock = clock or SystemClock()
        self.log_interval = log_interval
        self.script_pace = script_pace
        self.slowness = slowness
        self.hostile_odds = hostile_odds
        self.incident_age = incident_age
        self.config_path = self.root / "warroom.toml"
        self.log_path = self.root / "logs" / "error.log"
        self.repo_path = self.root / "repo"
        self.state_dir = self.root / "state"
        self.bin_dir = self.root / "bin"
        self.mode_path = self.state_dir / "mode"
        self.version_path = self.state_dir / "version"
        self.base_url = ""
        """http://127.0.0.1:PORT once started."""
        self._port = 0
        self._rng = random.Random(seed)
        self._log_rng = random.Random(self._rng.random())
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: _Server | None = None
        self._mode_file = _StateFile(self.mode_path, "broken")
        self._version_file = _StateFile(self.version_path, PRODUCTION_VERSION)
        self._t0 = self.clock.monotonic()
        self._traffic = TrafficCounters(random.Random(self._rng.random()), self._t0)
        self._mode: Mode = "broken"
        self._mode_lock = threading.Lock()

    # lifecycle

    def __enter__(self) -> DemoTarget:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Create the files, the repository and the scripts, and start serving."""
        for folder in (self.state_dir, self.log_path.parent, self.bin_dir):
            folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.mode_path, "broken\n")
        _write_atomic(self.version_path, PRODUCTION_VERSION + "\n")
        build_repo(self.repo_path, self.clock.now())
        self._write_backlog()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.target = self
        self._server = server
        self._port = int(server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self._port}"
        write_scripts(self.bin_dir, self, sys.executable)
        self.config_path.write_text(demo_config(self), encoding="utf-8")
        self._stop.clear()
        self._threads = [
            threading.Thread(
                target=server.serve_forever,
                # `stop` wakes the loop at once (it connects to it): the poll only
                # bounds how late a missed wake-up is noticed.
                kwargs={"poll_interval": 1.0},
                daemon=True,
                name="demo-http",
            ),
            threading.Thread(target=self._write_logs, daemon=True, name="demo-log-writer"),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop serving and writing; returns in milliseconds (at worst about a second)."""
        self._stop.set()
        server, self._server = self._server, None
        if server is not None:
            closer = threading.Thread(target=server.shutdown, name="demo-shutdown")
            closer.start()
            # Poke the listening socket so the serve loop wakes now, not at its next poll.
            while closer.is_alive():
                try:
                    socket.create_connection(("127.0.0.1", self._port), timeout=0.2).close()
                except OSError:
                    break
                closer.join(0.005)
            closer.join(timeout=1.0)
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=1.0)
        self._threads = []

    @property
    def threads(self) -> list[threading.Thread]:
        """The background threads (for tests proving `stop()` ends them)."""
        return list(self._threads)

    @property
    def mode(self) -> Mode:
        """Whether the service is currently broken or fixed, as the scripts last set it."""
        return self._current_mode()

    @property
    def version(self) -> str:
        """The release production runs, as the deploy scripts last wrote it."""
        return self._version_file.read().removeprefix("v")

    # the simulation

    def _elapsed(self) -> float:
        return self.clock.monotonic() - self._t0

    def _current_mode(self) -> Mode:
        word = self._mode_file.read()
        new: Mode = "fixed" if word == "fixed" else "broken"
        with self._mode_lock:
            if new != self._mode:
                # Traffic up to the switch happened under the old mode.
                self._traffic.advance(
                    self.clock.monotonic(), traffic_profile(self._mode, self._elapsed())
                )
                self._mode = new
            return new

    def _advance(self) -> Mode:
        mode = self._current_mode()
        self._traffic.advance(self.clock.monotonic(), traffic_profile(mode, self._elapsed()))
        return mode

    def _pause(self, low: float, high: float) -> None:
        if self.slowness > 0:
            self._stop.wait(self._rng.uniform(low, high) * self.slowness)

    def _handle(self, req: _Handler, method: str) -> None:
        path = req.path.split("?", 1)[0]
        head = method == "HEAD"
        # Read first, whatever the path: an unread body would be taken for the next
        # request on the kept-alive connection.
        body = req.body() if method == "POST" else b""
        if path == "/health" and method in ("GET", "HEAD"):
            mode = self._advance()
            if mode == "broken":
                self._pause(0.02, 0.12)
            doc = health_document(
                mode, self._elapsed(), self.clock.now(), self.version, self._rng.uniform(-1, 1)
            )
            status = HTTPStatus.SERVICE_UNAVAILABLE if doc["status"] == "fail" else HTTPStatus.OK
            body = json.dumps(doc, indent=2).encode()
            req.send(status, "application/health+json", body, head)
        elif path == "/metrics" and method in ("GET", "HEAD"):
            self._advance()
            body = self._traffic.exposition(self.version).encode()
            req.send(200, "text/plain; version=0.0.4; charset=utf-8", body, head)
        elif path == "/api/auth/login" and method == "POST":
            self._login(req, body)
        else:
            body = json.dumps({"error": "not found", "path": path[:200]}).encode()
            req.send(404, "application/json", body, head)

    def _login(self, req: _Handler, body: bytes) -> None:
        started = self.clock.monotonic()
        mode = self._advance()
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        status: int
        answer: dict[str, Any]
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("email"), str)
            or not isinstance(payload.get("password"), str)
        ):
            status, answer = 400, {"error": "expected JSON with email and password"}
        elif payload["password"] in ("", "wrong"):
            status, answer = 401, {"error": "invalid_credentials"}
        elif (
            mode == "broken"
            and self._rng.random() < traffic_profile(mode, self._elapsed()).auth_failure
        ):
            self._pause(0.1, 0.6)
            if self._rng.random() < 0.6:
                status, answer = 500, {"error": "internal", "detail": "signing key not loaded"}
            else:
                status, answer = 401, {"error": "invalid_token"}
        else:
            if mode == "broken":
                self._pause(0.05, 0.3)
            token = f"demo.{self._rng.getrandbits(64):016x}"
            status, answer = 200, {"token": token, "token_type": "Bearer", "expires_in": 3600}
        seconds = max(0.001, self.clock.monotonic() - started)
        self._traffic.record(status, seconds, login=status != 400, success=status == 200)
        req.send(status, "application/json", json.dumps(answer).encode())

    # the log

    def _append(self, lines: list[str]) -> None:
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write("".join(line + "\n" for line in lines))

    def _write_backlog(self) -> None:
        """A few minutes of history, so the log pane is not empty at start."""
        now = self.clock.now()
        lines: list[str] = []
        for i in range(24):
            at = now - timedelta(seconds=(24 - i) * 7.5)
            lines += log_lines(self._log_rng, "broken", at, 0.0)
        lines.append(f"{now.strftime('%Y-%m-%dT%H:%M:%S.000Z')} {_HOSTILE[0]}")
        self._append(lines)

    def _flush_lines(self, period: float) -> list[str]:
        """The lines of one flush: the events of the last `period` seconds, oldest first.

        Events come about `LOG_EVENTS_PER_S` a second (at least one per flush), each
        stamped with its own moment within the period.
        """
        rng = self._log_rng
        mode = self.mode
        now = self.clock.now()
        count = max(1, _poisson(rng, LOG_EVENTS_PER_S * period))
        offsets = sorted(rng.uniform(0.0, period) for _ in range(count))
        lines: list[str] = []
        for offset in reversed(offsets):
            at = now - timedelta(seconds=offset)
            lines += log_lines(rng, mode, at, self.hostile_odds)
        return lines

    def _write_logs(self) -> None:
        # Like a service whose logger buffers its lines and flushes a block at a time:
        # one append per `log_interval` (on average) carries every line since the last.
        while True:
            period = self.log_interval * self._log_rng.uniform(0.6, 1.4)
            if self._stop.wait(period):
                return
            try:
                self._append(self._flush_lines(period))
            except OSError:
                # The folder is going away (the demo is exiting); stop quietly.
                return


# --- files built at start ---------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for git that ignores the user's global and system config."""
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


_AUTHOR = "Demo Engineer <oncall@example.com>"

_TOKENS_V1 = '''"""Token issuing for auth-api."""

from auth.keys import KeyRing


class Tokens:
    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def issue(self, user: str, scope: str = "default") -> str:
        key = self.keys.current()
        return key.sign({"sub": user, "scope": scope})
'''

_KEYS_V1 = '''"""Signing keys, reloaded from the key store when rotated."""


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        return self.store.load_current()
'''

_KEYS_V2 = '''"""Signing keys, cached across workers since v1.2.3."""

_CACHE = {}


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        # Cached forever: a rotated key is never picked up.
        if "current" not in _CACHE:
            _CACHE["current"] = self.store.load_current()
        return _CACHE["current"]
'''

KEYS_FIXED = '''"""Signing keys, cached across workers and refreshed on rotation."""

_CACHE = {}


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        generation = self.store.generation()
        cached = _CACHE.get("current")
        if cached is None or cached[0] != generation:
            _CACHE["current"] = (generation, self.store.load_current())
        return _CACHE["current"][1]
'''

_README = "# auth-api\n\nLogin and token service. Deployed with `bin/deploy-production.sh`.\n"


def _fast_import_stream(now: datetime) -> bytes:
    """The demo history as a `git fast-import` stream: one process builds every commit."""

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n" % len(raw) + raw + b"\n"

    commits: list[tuple[str, float, dict[str, str], str | None]] = [
        (
            "Initial import of auth-api",
            20 * 86400,
            {
                "README.md": _README,
                "VERSION": "1.2.1\n",
                "auth/tokens.py": _TOKENS_V1,
                "auth/keys.py": _KEYS_V1,
            },
            None,
        ),
        (
            "auth: rate-limit failed logins per user",
            9 * 86400,
            {"VERSION": "1.2.2\n", "CHANGELOG.md": "## 1.2.2\n- Rate-limit failed logins.\n"},
            "v1.2.2",
        ),
        (
            "auth: cache signing keys across workers",
            1 * 86400,
            {
                "VERSION": "1.2.3\n",
                "auth/keys.py": _KEYS_V2,
                "CHANGELOG.md": "## 1.2.3\n- Cache signing keys.\n\n"
                "## 1.2.2\n- Rate-limit failed logins.\n",
            },
            "v1.2.3",
        ),
        (
            "docs: describe the deploy scripts",
            4 * 3600,
            {"README.md": _README + "\nRollback: `bin/rollback.sh VERSION`.\n"},
            None,
        ),
    ]
    out = bytearray()
    for mark, (message, age, files, tag) in enumerate(commits, start=1):
        when = f"{int(now.timestamp() - age)} +0000"
        out += b"commit refs/heads/main\nmark :%d\n" % mark
        out += f"author {_AUTHOR} {when}\ncommitter {_AUTHOR} {when}\n".encode()
        out += data(message + "\n")
        if mark > 1:
            out += b"from :%d\n" % (mark - 1)
        for path, text in files.items():
            out += f"M 100644 inline {path}\n".encode() + data(text)
        if tag:
            out += f"tag {tag}\nfrom :{mark}\ntagger {_AUTHOR} {when}\n".encode()
            out += data(f"Release {tag[1:]}\n")
    return bytes(out)


def build_repo(repo: Path, now: datetime) -> None:
    """A small real repository: commits on main, annotated tags v1.2.2 and v1.2.3."""
    if repo.exists():
        raise DemoError(f"{repo} already exists; the demo needs an empty folder")
    env = git_env()
    try:
        run_sync(["git", "init", "-q", "--initial-branch=main", str(repo)], env=env, check=True)
        # The repository's own identity and settings, so commits, tags and merges made from
        # the dashboard work whatever the user's global config says (or lacks).
        with (repo / ".git" / "config").open("a", encoding="utf-8") as config:
            config.write(
                "[user]\n\tname = Demo Engineer\n\temail = oncall@example.com\n"
                "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
                "[core]\n\thooksPath = .git/no-hooks\n"
            )
        run_sync(
            ["git", "fast-import", "--quiet"],
            cwd=repo,
            env=env,
            input=_fast_import_stream(now),
            check=True,
        )
        run_sync(["git", "reset", "--hard", "-q"], cwd=repo, env=env, check=True)
    except FileNotFoundError:
        raise DemoError("the demo needs git on PATH") from None
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise DemoError(f"git failed: {detail[-1] if detail else exc}") from None


def _script(body: str, values: Mapping[str, str]) -> str:
    header = "#!/usr/bin/env bash\nset -euo pipefail\n"
    assigns = "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())
    return header + assigns + body.lstrip("\n")


_SET_STATE = """
set_state() {  # set_state MODE VERSION: replace the files the service watches
  printf '%s\\n' "$2" > "$STATE/version.tmp" && mv -f "$STATE/version.tmp" "$STATE/version"
  printf '%s\\n' "$1" > "$STATE/mode.tmp" && mv -f "$STATE/mode.tmp" "$STATE/mode"
}
"""

_SCRIPTS: dict[str, str] = {
    "deploy-staging.sh": """
version="${1:?usage: deploy-staging.sh VERSION}"
echo "==> deploying $version to staging"
for step in "building image auth-api:$version" "pushing image" "rolling staging pods"; do
  sleep "$PACE"; echo "    $step ... ok"
done
printf '%s\\n' "$version" > "$STATE/staging_version"
echo "==> staging runs $version"
""",
    "validate-hotfix.sh": """
if [ ! -s "$STATE/staging_version" ]; then
  echo "validate: nothing deployed to staging yet" >&2; exit 1
fi
version="$(cat "$STATE/staging_version")"
echo "==> validating $version on staging"
for check in "unit tests: 214 passed" "integration: login flow ok" "key rotation: picked up"; do
  sleep "$PACE"; echo "    $check"
done
echo "==> $version validated"
""",
    "deploy-production.sh": _SET_STATE
    + """
version="${1:?usage: deploy-production.sh VERSION}"
echo "==> deploying $version to production (3 instances)"
for i in 1 2 3; do
  sleep "$PACE"; echo "    auth-api-$i: pulled $version, restarted, healthy"
done
set_state fixed "$version"
echo "==> production runs $version"
""",
    "deploy-rolling.sh": _SET_STATE
    + """
version="${1:?usage: deploy-rolling.sh VERSION BATCH [TOTAL]}"
batch="${2:?usage: deploy-rolling.sh VERSION BATCH [TOTAL]}"
total="${3:-}"; batch="${2%%/*}"
if [ -z "$total" ]; then
  case "$2" in */*) total="${2#*/}" ;; *) total=3 ;; esac
fi
echo "==> batch $batch/$total: deploying $version"
sleep "$PACE"; echo "    batch $batch/$total: instances restarted"
if [ "$batch" -ge "$total" ]; then set_state fixed "$version"; fi
echo "==> batch $batch/$total done"
""",
    "rollback.sh": _SET_STATE
    + """
version="${1:?usage: rollback.sh VERSION}"
echo "==> rolling production back to $version"
for i in 1 2 3; do
  sleep "$PACE"; echo "    auth-api-$i: restored $version"
done
set_state broken "$version"
echo "==> production runs $version"
""",
    "smoke.sh": """
echo "==> smoke test against $BASE_URL"
exec "$PY" - "$BASE_URL" <<'EOF'
import json, sys, urllib.error, urllib.request
base, failed = sys.argv[1], 0
def call(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return 0, str(err).encode()
status, body = call("/health")
health = json.loads(body or b"{}").get("status", "?") if status else "unreachable"
print(f"    GET /health -> {status} {health}")
failed += health != "pass"
for i in range(1, 6):
    status, _ = call("/api/auth/login", {"email": "smoke@example.com", "password": "smoke"})
    print(f"    POST /api/auth/login #{i} -> {status}")
    failed += status != 200
print("==> smoke " + ("FAILED" if failed else "passed") + f" ({failed} failing)")
sys.exit(1 if failed else 0)
EOF
""",
    "apply-fix.sh": """
cd "$REPO"
branch="$(git symbolic-ref --short HEAD)"
case "$branch" in
  hotfix/*) ;;
  *) echo "apply-fix: on $branch, not a hotfix/* branch" >&2; exit 1 ;;
esac
cat > auth/keys.py <<'EOF'
"""
    + KEYS_FIXED
    + """EOF
git commit -q -am "auth: refresh cached signing keys on rotation (INC-DEMO)"
git log --oneline -1
""",
}


def write_scripts(bin_dir: Path, target: DemoTarget, python: str) -> None:
    """The deploy, rollback, validation and smoke scripts, paths baked in."""
    values = {
        "STATE": str(target.state_dir),
        "BASE_URL": target.base_url,
        "PY": python,
        "PACE": f"{max(0.0, target.script_pace):g}",
        "REPO": str(target.repo_path),
    }
    for name, body in _SCRIPTS.items():
        path = bin_dir / name
        path.write_text(_script(body, values), encoding="utf-8")
        path.chmod(0o755)
    # apply-fix.sh runs git inside the demo repo only; keep the user's config out of it.
    fix = bin_dir / "apply-fix.sh"
    text = fix.read_text(encoding="utf-8")
    isolation = "export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1\n"
    fix.write_text(text.replace('cd "$REPO"\n', isolation + 'cd "$REPO"\n', 1), encoding="utf-8")


def _toml(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value)


def demo_config(target: DemoTarget) -> str:
    """`warroom.toml` for the demo: every pane pointed at the simulated service."""
    url = target.base_url
    started = (target.clock.now() - timedelta(seconds=target.incident_age)).replace(microsecond=0)
    started_text = started.isoformat().replace("+00:00", "Z")
    metrics_url = _toml(f"{url}/metrics")
    bin_dir = target.bin_dir

    def cmd(name: str, script: str, args: list[str], description: str) -> str:
        argv = ", ".join(_toml(a) for a in [str(bin_dir / script), *args])
        return f"[actions.commands.{name}]\nargv = [{argv}]\ndescription = {_toml(description)}\n\n"

    rolling_args = ["{version}", "{batch}", str(ROLLING_BATCHES)]
    return f"""# warroom demo: a simulated auth-api that broke in v1.2.3.
# Deploy the hotfix (v1.2.4) and watch errors fall and health recover.

[incident]
id = "INC-DEMO"
title = "Auth failures after v1.2.3"
severity = "SEV2"
started = {started_text}
state_dir = ".warroom"

[[endpoint]]
name = "api health"
url = {_toml(url + "/health")}
interval = "5s"
timeout = "1s"
health_json = true
latency_warn = "250ms"

[[endpoint]]
name = "login smoke"
url = {_toml(url + "/api/auth/login")}
method = "POST"
json = {{ email = "smoke@example.com", password = "smoke" }}
expect_status = [200]
interval = "5s"
timeout = "2s"

[[metric]]
name = "Response time p95"
source = "prometheus"
url = {metrics_url}
metric = "http_request_duration_seconds"
quantile = 0.95
scale = 1000.0
unit = "ms"
interval = "5s"
warn = 300.0
crit = 800.0
min_duration = "30s"

[[metric]]
name = "Error rate"
source = "ratio"
numerator = "5xx/s"
denominator = "Requests/s"
scale = 100.0
unit = "%"
interval = "5s"
warn = 1.0
crit = 5.0
min_duration = "30s"

[[metric]]
name = "Auth success"
source = "ratio"
numerator = "Logins ok/s"
denominator = "Logins/s"
scale = 100.0
unit = "%"
interval = "5s"
warn = 98.0
crit = 95.0
min_duration = "30s"
direction = "below"

[[metric]]
name = "CPU"
source = "psutil"
query = "cpu"
unit = "%"
interval = "5s"
warn = 80.0
crit = 95.0
min_duration = "30s"

[[metric]]
name = "Memory"
source = "psutil"
query = "memory"
unit = "%"
interval = "5s"
warn = 85.0
crit = 95.0
min_duration = "30s"

[[metric]]
name = "Requests/s"
graph = false
source = "prometheus"
url = {metrics_url}
metric = "http_requests_total"
rate = true
unit = "/s"
interval = "5s"

[[metric]]
name = "5xx/s"
graph = false
source = "prometheus"
url = {metrics_url}
metric = "http_requests_total"
labels = {{ status = "~5.." }}
rate = true
unit = "/s"
interval = "5s"

[[metric]]
name = "Logins/s"
graph = false
source = "prometheus"
url = {metrics_url}
metric = "auth_login_attempts_total"
rate = true
unit = "/s"
interval = "5s"

[[metric]]
name = "Logins ok/s"
graph = false
source = "prometheus"
url = {metrics_url}
metric = "auth_login_success_total"
rate = true
unit = "/s"
interval = "5s"

[[log]]
name = "error.log"
path = {_toml(str(target.log_path))}
filter = ""

[escalation]
status_every = "30m"
watch = "2h"
levels = [
  {{ after = "15m", role = "Senior engineer", name = "Dana (demo)", contact = "+1-555-0124" }},
  {{ after = "30m", role = "Engineering manager", name = "Sam (demo)", contact = "+1-555-0125" }},
  {{ after = "60m", role = "Incident commander", name = "Kim (demo)", contact = "+1-555-0126" }},
]

[git]
repo = "repo"
tag_pattern = "v*"
scheme = "patch"
main_branch = "main"
version_url = {_toml(url + "/health")}
version_path = "releaseId"

[actions]
batches = {ROLLING_BATCHES}
gate_for = "10s"
gates = ["api health", "Error rate"]

{cmd("staging", "deploy-staging.sh", ["{version}"], "Deploy the hotfix to staging")}\
{cmd("validate", "validate-hotfix.sh", [], "Validate the hotfix on staging")}\
{cmd("production", "deploy-production.sh", ["{version}"], "Deploy to production")}\
{cmd("rolling", "deploy-rolling.sh", rolling_args, "Deploy one rolling batch")}\
{cmd("smoke", "smoke.sh", [], "Smoke-test login against production")}\
{cmd("rollback", "rollback.sh", ["{previous_version}"], "Roll back to the previous version")}\
{cmd("fix", "apply-fix.sh", [], "Commit the key-refresh fix on the hotfix branch")}"""

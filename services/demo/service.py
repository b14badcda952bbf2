"""The simulated auth-api: an HTTP service on loopback whose health follows the deploys.

It answers `/health` (application/health+json), `/metrics` (Prometheus text) and
`POST /api/auth/login`. It starts BROKEN (auth failures after v1.2.3); the deploy and
rollback scripts switch it by replacing two one-word files the service watches
(`state/mode`, `state/version`), as a real deploy replaces what a process runs.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from warroom.services.clock import Clock
from warroom.services.demo.traffic import Mode, TrafficCounters, health_document, traffic_profile

PRODUCTION_VERSION = "1.2.3"
"""The release running when the demo starts: the one that broke auth."""

MAX_BODY = 64 * 1024
"""Most bytes of a request body the service reads."""

KEEPALIVE_TIMEOUT = 60.0
"""Seconds an idle kept-alive connection stays open."""


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    service: SimulatedService

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
        self.server.service.handle(self, "GET")

    def do_HEAD(self) -> None:
        self.server.service.handle(self, "HEAD")

    def do_POST(self) -> None:
        self.server.service.handle(self, "POST")

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
        """Answer with `body`, its type and length; a HEAD answer has no body."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)


class SimulatedService:
    """The auth-api on 127.0.0.1 (a free port), broken or fixed as `state_dir` says.

    `slowness` scales the real delay of broken answers (0 in tests). Use `start()` and
    `stop()`; both are quick, and `stop()` ends the serving thread.
    """

    def __init__(
        self, state_dir: Path, clock: Clock, rng: random.Random, *, slowness: float = 1.0
    ) -> None:
        self.clock = clock
        self.slowness = slowness
        self.mode_path = state_dir / "mode"
        self.version_path = state_dir / "version"
        self.base_url = ""
        """http://127.0.0.1:PORT once started."""
        self._port = 0
        self._rng = rng
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: _Server | None = None
        self._mode_file = _StateFile(self.mode_path, "broken")
        self._version_file = _StateFile(self.version_path, PRODUCTION_VERSION)
        self._t0 = self.clock.monotonic()
        self._traffic = TrafficCounters(random.Random(rng.random()), self._t0)
        self._mode: Mode = "broken"
        self._mode_lock = threading.Lock()

    # lifecycle

    def write_state(self) -> None:
        """Production as the incident begins: broken, running `PRODUCTION_VERSION`."""
        self.mode_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.mode_path, "broken\n")
        _write_atomic(self.version_path, PRODUCTION_VERSION + "\n")

    def bind(self) -> None:
        """Take a free loopback port, so `base_url` is known before anything is served."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.service = self
        self._server = server
        self._port = int(server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self._port}"

    def start(self) -> None:
        """Serve on the bound port (binding first if needed), in a daemon thread."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # `stop` wakes the loop at once (it connects to it): the poll only
            # bounds how late a missed wake-up is noticed.
            kwargs={"poll_interval": 1.0},
            daemon=True,
            name="demo-http",
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; returns in milliseconds (at worst about a second)."""
        self._stop.set()
        server, self._server = self._server, None
        if server is not None:
            closer = threading.Thread(target=server.shutdown, name="demo-shutdown")
            if self._thread is not None:
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
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=1.0)

    @property
    def thread(self) -> threading.Thread | None:
        """The serving thread while it runs (for tests proving `stop()` ends it)."""
        return self._thread

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

    def handle(self, req: _Handler, method: str) -> None:
        """Answer one request; called from the connection's own thread."""
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


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

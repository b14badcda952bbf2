"""`warroom serve`: the dashboard in a web browser, for a projector with only a browser.

Each browser connection gets its own dashboard process through textual-serve, running
`warroom --read-only --config PATH` (viewers watch; they act only with `--allow-actions`).
With `--demo`, one simulated production service runs inside this process and every
viewer's dashboard points at it, so they all share one service and one incident journal.

There is no authentication, so the server listens on loopback by default. Two checks keep
other web pages the viewer has open from reaching it: on loopback, a request must name a
loopback host (no DNS rebinding), and a WebSocket opened by a browser must come from the
page this server sent (no cross-site WebSocket hijacking).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server
from yarl import URL

from warroom.services.config import ConfigError, load_config
from warroom.services.demo.target import DemoError, DemoTarget

EXIT_CONFIG = 2
EXIT_SERVE = 1
TEMPLATES = Path(__file__).parent / "templates"
"""Page templates with no external request (textual-serve's own loads Google Fonts)."""

SHUTDOWN_GRACE = 2.0
"""Seconds open browser sessions get to end their dashboards when the server stops."""

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl+C, a kill, or the terminal closing: each stops the server and removes the demo."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


MAX_VIEWERS = 8
"""Browser sessions (dashboard processes) served at once, by default."""


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this machine only."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def app_command(config_path: Path, *, allow_actions: bool, python: str | None = None) -> str:
    """The shell command textual-serve runs for each browser session.

    `exec` makes the dashboard the session's process itself (no shell left waiting), so
    stopping a session stops the dashboard. Ctrl+C in the server's terminal reaches every
    process of its group; the dashboards ignore it and are ended by the server instead,
    each in turn. Every path is shell-quoted.
    """
    words = [python or sys.executable, "-m", "warroom"]
    if not allow_actions:
        words.append("--read-only")
    words += ["--config", str(config_path)]
    return "trap '' INT; exec " + shlex.join(words)


def public_warning(host: str, port: int, *, allow_actions: bool) -> str | None:
    """The one-line warning printed when the server is reachable from other machines."""
    if is_loopback(host):
        return None
    reach = "watch and act on" if allow_actions else "watch"
    return (
        f"warroom: WARNING: serving on {host}:{port} with NO authentication: "
        f"anyone who can reach this port can {reach} the incident"
    )


def origin_allowed(origin: str | None, request_host: str, scheme: str = "http") -> bool:
    """Whether a WebSocket's Origin header names this server (browsers always send one)."""
    if origin is None:
        return True  # not a browser; a page on another site cannot leave the header out
    try:
        there = URL(origin)
        here = URL(f"{scheme}://{request_host}")
    except ValueError:
        return False
    return (there.scheme, (there.host or "").lower(), there.port) == (
        here.scheme,
        (here.host or "").lower(),
        here.port,
    )


class DashboardServer(Server):
    """textual-serve's server with warroom's offline page, request checks and clean stop."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        title: str = "warroom",
        max_viewers: int = MAX_VIEWERS,
    ) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.loopback_only = is_loopback(host)
        self.max_viewers = max_viewers
        """Dashboards running at once; each browser session is a process of its own."""
        self._sessions: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()

    def make_app(self) -> web.Application:
        """The web application: textual-serve's routes and handlers, behind `_guard`.

        Built here from textual-serve's public handlers rather than by extending its
        private factory, so the request checks cannot be lost to a textual-serve
        release that builds its application differently.
        """
        app = web.Application(middlewares=[self._guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.loopback_only and not is_loopback(request.url.host or ""):
            raise web.HTTPForbidden(text="warroom: this server answers only to localhost\n")
        if request.path == "/ws" and not origin_allowed(
            request.headers.get("Origin"), request.host, request.scheme
        ):
            raise web.HTTPForbidden(text="warroom: WebSocket from another site refused\n")
        return await handler(request)

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing here: `serve` prints the real address once the port is bound."""

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, with its URLs built from the address the browser used.

        textual-serve writes `http://{host}:{port}` into the page, which is useless to a
        projector when the server listens on 0.0.0.0; the browser's own Host is right.
        """
        try:
            font_size = max(6, min(int(request.query.get("fontsize", "16")), 64))
        except ValueError:
            font_size = 16
        base = f"{request.scheme}://{request.host}"
        ws_scheme = "wss" if request.scheme == "https" else "ws"
        return {
            "font_size": font_size,
            "app_websocket_url": f"{ws_scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser session; tracked so stopping the server ends its dashboard.

        Sessions are capped: every one starts a dashboard process, and a client that
        sends no Origin (not a browser) could otherwise start them without end.
        """
        if len(self._sessions) >= self.max_viewers:
            raise web.HTTPServiceUnavailable(
                text=f"warroom: {self.max_viewers} dashboards are open already "
                "(--max-viewers); close one first\n"
            )
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            if task is not None:
                self._sessions.discard(task)

    def request_exit(self) -> None:
        """Stop serving (SIGINT, SIGTERM, SIGHUP)."""
        self._stop.set()

    async def run(self, announce: Callable[[str], None]) -> None:
        """Listen, call `announce` with the page's URL, serve until `request_exit`."""
        app = self.make_app()
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            announce(_url(runner.addresses, self.host, self.port))
            await self._stop.wait()
            await self._end_sessions()
        finally:
            await runner.cleanup()

    async def _end_sessions(self) -> None:
        # Cancelling a session closes its socket and sends its dashboard "quit";
        # textual-serve then waits for the process to exit.
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=SHUTDOWN_GRACE)


def _url(addresses: list[Any], host: str, port: int) -> str:
    bound_port = port
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound_port = int(address[1])
            break
    shown = host if host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{bound_port}/"


@contextlib.contextmanager
def _demo_config() -> Iterator[Path]:
    """Run one simulated service for every viewer; its folder is removed on exit."""
    root = Path(tempfile.mkdtemp(prefix="warroom-serve-demo-"))
    try:
        with DemoTarget(root) as target:
            yield target.config_path
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_serve(
    *,
    demo: bool,
    config: str | None,
    host: str,
    port: int,
    allow_actions: bool,
    max_viewers: int = MAX_VIEWERS,
) -> int:
    """Serve the dashboard to browsers until Ctrl+C or SIGTERM; the exit status."""
    if not 0 <= port <= 65535:
        print(f"warroom: --port {port}: not a port number (0-65535)", file=sys.stderr)
        return EXIT_SERVE
    if not 1 <= max_viewers <= 1000:
        print(f"warroom: --max-viewers {max_viewers}: must be 1 to 1000", file=sys.stderr)
        return EXIT_SERVE
    try:
        with contextlib.ExitStack() as stack:
            # A bad config fails here, once, rather than in every browser that connects.
            config_path = stack.enter_context(_demo_config()) if demo else load_config(config).path
            server = DashboardServer(
                app_command(config_path, allow_actions=allow_actions),
                host=host,
                port=port,
                max_viewers=max_viewers,
            )
            warning = public_warning(host, port, allow_actions=allow_actions)
            if warning is not None:
                print(warning, file=sys.stderr)
            return _serve(server, allow_actions=allow_actions)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except DemoError as exc:
        print(f"warroom: demo: {exc}", file=sys.stderr)
        return EXIT_SERVE


def _serve(server: DashboardServer, *, allow_actions: bool) -> int:
    mode = "viewers may act" if allow_actions else "read-only"

    def announce(url: str) -> None:
        print(f"warroom: serving the dashboard on {url} ({mode}); Ctrl+C to stop", flush=True)

    server.initialize_logging()
    loop = asyncio.new_event_loop()
    try:
        for sig in _STOP_SIGNALS:
            loop.add_signal_handler(sig, server.request_exit)
        loop.run_until_complete(server.run(announce))
        return 0
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"warroom: cannot listen on {server.host}:{server.port}: {reason}", file=sys.stderr)
        return EXIT_SERVE
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

"""`warroom serve`: the dashboard served to a browser, offline, read-only, and cleaned up.

The server runs as a real subprocess; a real headless Chromium loads the page and the
test reads what xterm.js draws (its screen buffer) through the DevTools protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil
import pytest

from warroom.tui.serve import (
    EXIT_CONFIG,
    EXIT_SERVE,
    app_command,
    is_loopback,
    origin_allowed,
    public_warning,
    run_serve,
)

IGNORE_CTRL_C = "trap '' INT; "
TITLES = ("Runbook", "Health", "Metrics", "Error log", "Escalation")
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        ("app.localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("projector.lan", False),
        ("localhost.evil.example", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_each_browser_runs_a_read_only_dashboard_on_the_quoted_config() -> None:
    nasty = Path("/tmp/my incident/$(touch pwned)'; rm -rf ~/warroom.toml")
    command = app_command(nasty, allow_actions=False, python="/opt/py 3/bin/python")
    assert command.startswith(IGNORE_CTRL_C + "exec ")
    assert shlex.split(command.removeprefix(IGNORE_CTRL_C)) == [
        "exec",
        "/opt/py 3/bin/python",
        "-m",
        "warroom",
        "--read-only",
        "--config",
        str(nasty),
    ]


def test_allow_actions_drops_read_only() -> None:
    command = app_command(Path("/srv/w.toml"), allow_actions=True)
    words = shlex.split(command.removeprefix(IGNORE_CTRL_C))
    assert words == ["exec", sys.executable, "-m", "warroom", "--config", "/srv/w.toml"]


def test_the_quoted_command_reaches_the_shell_intact(tmp_path: Path) -> None:
    config = tmp_path / "a b $(echo x) `id` ; 'q\".toml"
    # Replace the interpreter by a program that takes a Ctrl+C (the server's terminal
    # sends it to the whole process group), then prints its arguments.
    printer = tmp_path / "print args"
    printer.write_text("#!/bin/sh\nkill -INT $$\nprintf '%s\\n' \"$@\"\n", encoding="utf-8")
    printer.chmod(0o755)
    out = subprocess.run(
        app_command(config, allow_actions=False, python=str(printer)),
        shell=True,
        capture_output=True,
        text=True,
        check=True,
        timeout=5,
    ).stdout
    assert out.splitlines() == ["-m", "warroom", "--read-only", "--config", str(config)]


def test_warning_only_off_loopback() -> None:
    assert public_warning("127.0.0.1", 8000, allow_actions=True) is None
    warning = public_warning("0.0.0.0", 8000, allow_actions=False)
    assert warning is not None and "\n" not in warning
    assert "NO authentication" in warning and "0.0.0.0:8000" in warning
    acting = public_warning("0.0.0.0", 8000, allow_actions=True)
    assert acting is not None and "act" in acting


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "127.0.0.1:8000", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("http://10.0.0.5", "10.0.0.5:80", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("http://localhost:8000", "127.0.0.1:8000", False),
        ("https://evil.example", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        ("file://", "127.0.0.1:8000", False),
    ],
)
def test_websocket_origins(origin: str | None, host: str, allowed: bool) -> None:
    assert origin_allowed(origin, host) is allowed


# --- errors a user can cause ---------------------------------------------------------------


def test_missing_config_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_serve(
        demo=False,
        config=str(tmp_path / "nope.toml"),
        host="127.0.0.1",
        port=0,
        allow_actions=False,
    )
    assert status == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert "nope.toml" in err and "not found" in err and "\n" not in err


def test_port_in_use_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status = run_serve(demo=True, config=None, host="127.0.0.1", port=port, allow_actions=False)
    assert status == EXIT_SERVE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"warroom: cannot listen on 127.0.0.1:{port}") and "\n" not in err


# --- the real server ------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str


def _serve_argv(*args: str) -> list[str]:
    """`warroom serve ARGS`, through the CLI when it has the subcommand."""
    if _cli_has_serve():
        return [sys.executable, "-m", "warroom", "serve", *args]
    code = (
        "import argparse, sys\n"
        "from warroom.tui.serve import run_serve\n"
        "p = argparse.ArgumentParser()\n"
        "p.add_argument('--demo', action='store_true')\n"
        "p.add_argument('--config')\n"
        "p.add_argument('--host', default='127.0.0.1')\n"
        "p.add_argument('--port', type=int, default=8000)\n"
        "p.add_argument('--allow-actions', action='store_true')\n"
        "a = p.parse_args()\n"
        "sys.exit(run_serve(demo=a.demo, config=a.config, host=a.host, port=a.port,"
        " allow_actions=a.allow_actions))\n"
    )
    return [sys.executable, "-c", code, *args]


def _cli_has_serve() -> bool:
    from warroom.tui.cli import _parser

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            _parser().parse_args(["serve", "--help"])
        except SystemExit as exc:
            return exc.code == 0
    return False


def _read_line(stream: Any, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    line: str = stream.readline()
    return line


@contextlib.contextmanager
def _serving(tmp_path: Path, *args: str) -> Iterator[Served]:
    env = {**os.environ, "WARROOM_ACTOR": "projector-test"}
    process = subprocess.Popen(
        _serve_argv("--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    try:
        line = _read_line(process.stdout, 10)
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert match, f"no address announced: {line!r}"
        yield Served(process, match.group(1))
    finally:
        # A stopped server removes its demo folder; a killed one could not.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        _kill_group(process)


def _kill_group(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    else:
        # The leader is gone; make sure nothing it started outlives the test.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.stdout is not None:
        process.stdout.close()


def test_page_makes_no_request_off_the_server(tmp_path: Path) -> None:
    with _serving(tmp_path, "--demo") as served:
        page = httpx.get(served.url, timeout=5)
        assert page.status_code == 200
        html = page.text
        assert 'id="terminal"' in html and "<title>warroom</title>" in html
        assert "googleapis" not in html and "gstatic" not in html
        origin = served.url.rstrip("/")
        urls = re.findall(r"(?:https?|wss?)://[^\s\"'<>)]+", html)
        assert urls, "the page should reference its scripts and socket"
        assert all(url.split("://", 1)[1].startswith(origin.split("://", 1)[1]) for url in urls)
        # Everything the page references is served here.
        for url in urls:
            if url.startswith("http"):
                assert httpx.get(url, timeout=5).status_code == 200, url

        # DNS rebinding: a request naming another host is refused.
        rebound = httpx.get(served.url, headers={"Host": "evil.example"}, timeout=5)
        assert rebound.status_code == 403

        # Another site's page cannot open a dashboard session.
        async def hijack() -> int:
            async with aiohttp.ClientSession() as session:
                try:
                    async with session.ws_connect(
                        origin + "/ws", headers={"Origin": "https://evil.example"}
                    ):
                        return 101
                except aiohttp.WSServerHandshakeError as exc:
                    return exc.status

        assert asyncio.run(hijack()) == 403
        assert not psutil.Process(served.process.pid).children(recursive=True)


# --- a real browser -------------------------------------------------------------------------

_CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, "websocket_url", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "websocket_url", {
      value, writable: true, configurable: true, enumerable: true,
    });
    window.__warroomTerminal = this;
  },
});
"""
"""textual.js keeps its xterm.js terminal in a closure; its owner object is the only one
that sets `websocket_url`, so catching that assignment hands the test the terminal."""

_READ_SCREEN = """
(() => {
  const owner = window.__warroomTerminal;
  if (!owner || !owner.terminal) return "";
  const buffer = owner.terminal.buffer.active;
  const rows = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (line) rows.push(line.translateToString(true));
  }
  return rows.join("\\n");
})()
"""


class DevTools:
    """The few DevTools protocol calls the test needs, over aiohttp's WebSocket client."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        call_id = self.next_id
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            reply = json.loads(await self.ws.receive_str(timeout=10))
            if reply.get("id") == call_id:
                assert "error" not in reply, reply
                result: dict[str, Any] = reply["result"]
                return result


async def _page_socket(user_data: Path, deadline: float) -> str:
    active = user_data / "DevToolsActivePort"
    while not active.exists() or not active.read_text().strip():
        assert time.monotonic() < deadline, "chromium did not open its DevTools port"
        await asyncio.sleep(0.05)
    port = int(active.read_text().split()[0])
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                url: str = pages[0]["webSocketDebuggerUrl"]
                return url
            assert time.monotonic() < deadline, "chromium opened no page"
            await asyncio.sleep(0.05)


async def _screen_in_browser(url: str, user_data: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    socket_url = await _page_socket(user_data, deadline)
    screen = ""
    async with aiohttp.ClientSession() as session, session.ws_connect(socket_url) as ws:
        tools = DevTools(ws)
        await tools.call("Page.enable")
        await tools.call("Page.addScriptToEvaluateOnNewDocument", source=_CAPTURE_TERMINAL)
        await tools.call("Page.navigate", url=url)
        while time.monotonic() < deadline:
            reply = await tools.call(
                "Runtime.evaluate", expression=_READ_SCREEN, returnByValue=True
            )
            screen = str(reply["result"].get("value", ""))
            if all(title in screen for title in TITLES) and "READ-ONLY" in screen:
                break
            await asyncio.sleep(0.2)
    return screen


def _dashboards(server: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "warroom" in child.cmdline():
                found.append(child)
    return found


@needs_chromium
def test_browser_shows_the_read_only_dashboard_and_stop_cleans_up(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    user_data = tmp_path / "chromium"
    # The browser starts while the server does; it is told where to go once both are up.
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={user_data}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(_kill_group, browser)
        served = cleanup.enter_context(_serving(tmp_path, "--demo"))
        screen = asyncio.run(_screen_in_browser(served.url, user_data, timeout=25))
        for title in TITLES:
            assert title in screen, f"{title!r} not in the browser; it showed:\n{screen}"
        assert "READ-ONLY" in screen, screen

        # One dashboard process for the browser: read-only, on the demo's config.
        # (A page that reconnected under load briefly has two; the first then ends.)
        server = psutil.Process(served.process.pid)
        deadline = time.monotonic() + 10
        while len(dashboards := _dashboards(server)) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(dashboards) == 1
        argv = dashboards[0].cmdline()
        assert "--read-only" in argv
        config = Path(argv[argv.index("--config") + 1])
        assert config.name == "warroom.toml" and config.exists()

        # Stopping the server ends the session's dashboard and removes the demo.
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=10) == 0
        _, alive = psutil.wait_procs(dashboards, timeout=5)
        assert not alive, f"dashboards outlived the server: {alive}"
        assert not config.parent.exists(), "the demo folder was not removed"


def test_dashboards_served_at_once_are_capped(tmp_path: Path) -> None:
    # A client that sends no Origin (not a browser) may connect, but cannot start
    # dashboard processes without end.
    with _serving(tmp_path, "--demo", "--max-viewers", "1") as served:
        socket_url = served.url.replace("http://", "ws://") + "ws"

        async def sessions() -> tuple[int, int]:  # (second, third) handshake statuses
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(socket_url):
                    try:
                        async with session.ws_connect(socket_url):
                            second = 101
                    except aiohttp.WSServerHandshakeError as exc:
                        second = exc.status
                # The first is closed: once its dashboard has ended, one is served again.
                deadline = time.monotonic() + 30
                while True:
                    try:
                        async with session.ws_connect(socket_url):
                            return second, 101
                    except aiohttp.WSServerHandshakeError as exc:
                        if exc.status != 503 or time.monotonic() > deadline:
                            return second, exc.status
                    await asyncio.sleep(0.1)

        assert asyncio.run(sessions()) == (503, 101)

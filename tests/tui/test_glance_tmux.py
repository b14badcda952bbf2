"""The glance in a real terminal (tmux): normal and projector mode, at 80x24 and 200x50.

Real HTTP endpoints on loopback (one always failing, one flapping, one fine), a real
error log holding an auth error, and an escalation ladder with people. What a person
looks for must be on the screen: the current phase's title, the DOWN endpoint, a figure
with its trend arrow and signed change (a trend arrow in projector mode), the next
level's person, and the last auth error's message in full on the pinned line.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PHASE_TITLE = "Emergency assessment and triage"
PERSON = "Aiko Tanaka @aiko"
AUTH_ERROR = "auth-api: login failed: token signature mismatch"
ARROWS = ("↑", "↓", "→")
FIGURE = re.compile(r"Login latency [\d.]+k? ms (?:\S+ |\S+ \S+ )?[↑↓→] [+−][\d.]+")
PINNED = re.compile(r"last error [^:]*: ERROR " + re.escape(AUTH_ERROR))


@contextmanager
def endpoints() -> Iterator[int]:
    """/down answers 500 always, /flap 200 and 500 in turn, /ok 200."""
    flips = itertools.cycle((200, 500))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/down":
                code = 500
            elif self.path == "/flap":
                with lock:
                    code = next(flips)
            else:
                code = 200
            body = b"ok" if code == 200 else b"boom"
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def write_config(tmp: Path, port: int) -> Path:
    started = (datetime.now(UTC) - timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = f"http://127.0.0.1:{port}"
    (tmp / "error.log").write_text(
        f"{started} INFO api: request served\n{started} ERROR {AUTH_ERROR}\n", encoding="utf-8"
    )
    config = tmp / "warroom.toml"
    config.write_text(
        f"""
[incident]
id = "INC-7"
title = "Login failures"
severity = "SEV1"
started = {started}
state_dir = "state"

[[endpoint]]
name = "payments"
url = "{base}/down"
interval = "1s"
timeout = "500ms"
failure_threshold = 1

[[endpoint]]
name = "search"
url = "{base}/flap"
interval = "1s"
timeout = "500ms"
failure_threshold = 1
success_threshold = 1

[[endpoint]]
name = "login"
url = "{base}/ok"
interval = "1s"
timeout = "500ms"

[[metric]]
name = "Login latency"
source = "health"
endpoint = "login"
field = "latency"
unit = "ms"
interval = "1s"

[[log]]
name = "error.log"
path = "error.log"

[escalation]
levels = [
  {{ after = "15m", role = "Senior engineer", name = "Aiko Tanaka", contact = "@aiko" }},
  {{ after = "30m", role = "Engineering manager", name = "Sam Ito", contact = "@sam" }},
]
""",
        encoding="utf-8",
    )
    return config


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=False, timeout=10
    ).stdout


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@contextmanager
def dashboard(tmp: Path, width: int, height: int) -> Iterator[str]:
    """`warroom --config` in a detached tmux session; yields the session's name."""
    with endpoints() as port:
        config = write_config(tmp, port)
        session = f"warroom-glance-{uuid.uuid4().hex[:8]}"
        warroom = Path(sys.executable).with_name("warroom")
        env = {**os.environ, "TERM": "xterm-256color", "WARROOM_ACTOR": "e2e"}
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
             f"{warroom} --config {config}"],
            check=True, env=env, cwd=tmp, timeout=10,
        )  # fmt: skip
        try:
            yield session
            tmux("send-keys", "-t", session, "q")
        finally:
            tmux("kill-session", "-t", session)


def unwrap(rows: list[str]) -> str:
    """Rows of one column of text joined: a wrapped line reads whole again."""
    return " ".join(" ".join(rows).split())


def box(screen: str, title: str) -> str:
    """The text inside the bordered pane whose title starts with `title`."""
    rows = screen.splitlines()
    for top, row in enumerate(rows):
        start = row.find(f"╭─ {title}")
        if start < 0:
            continue
        end = row.find("╮", start)
        if end < 0:
            continue  # drawn only in part (a frame caught mid-paint): not this box yet
        inside: list[str] = []
        for below in rows[top + 1 :]:
            if below[start : start + 1] == "╰":
                break
            inside.append(below[start + 1 : end])
        return unwrap(inside)
    return ""


def column(screen: str, anchor: str, width: int, depth: int = 4) -> str:
    """The column of text that starts at `anchor`, `width` cells wide, `depth` rows deep."""
    rows = screen.splitlines()
    for top, row in enumerate(rows):
        at = row.find(anchor)
        if at >= 0:
            return unwrap([r[at : at + width] for r in rows[top : top + depth]])
    return ""


def normal_glance(screen: str) -> dict[str, bool]:
    health = box(screen, "Health")
    return {
        "phase title": PHASE_TITLE in box(screen, "Runbook"),
        "DOWN endpoint": "payments ✖ DOWN · 500" in health,
        "FLAPPING endpoint": "search ⇅ FLAPPING" in health,
        # The figure itself, with its arrow and signed change: an arrow alone was met by
        # a title cut to "↑…" over one row of bars.
        "figure with its trend": FIGURE.search(box(screen, "Metrics")) is not None,
        "next person": PERSON in box(screen, "Escalation"),
        # On the pinned line, not only somewhere in the scrolling log.
        "auth error in full": PINNED.search(box(screen, "Error log")) is not None,
    }


def projector_glance(screen: str, width: int) -> dict[str, bool]:
    third = (width - 2) // 3
    rows = screen.splitlines()
    error_rows = next((rows[i : i + 4] for i, row in enumerate(rows) if "Last error:" in row), [])
    return {
        "phase title": PHASE_TITLE in column(screen, "Phase 1 of 18", third - 1),
        "DOWN endpoint": "payments ✖ DOWN · 500" in screen,
        "FLAPPING endpoint": "search ⇅ FLAPPING" in unwrap(rows),
        "trend arrow": any(arrow in screen for arrow in ARROWS),
        "next person": PERSON in column(screen, "Next:", third),
        "auth error in full": AUTH_ERROR in unwrap(error_rows),
    }


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_the_glance_in_normal_and_projector_mode(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    with dashboard(tmp_path, width, height) as session:

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", session)

        shown: dict[str, bool] = {}
        last = ""

        def everything() -> bool:
            nonlocal shown, last
            last = screen()
            projecting = "leave projector" in last
            shown = projector_glance(last, width) if projecting else normal_glance(last)
            return all(shown.values())

        assert wait_for(everything, 30), f"normal mode at {size} misses {shown}:\n{last}"
        tmux("send-keys", "-t", session, "p")
        assert wait_for(lambda: "leave projector" in screen(), 10), screen()
        assert wait_for(everything, 15), f"projector at {size} misses {shown}:\n{last}"
        # Its key bar is its own: how to leave, and quit; not the dashboard's keys.
        bottom = last.rstrip("\n").splitlines()[-1]
        assert "p / escape" in bottom and "quit" in bottom and "Release" not in bottom
        # Filled: at most a couple of blank rows together, wherever they are.
        blank = longest = 0
        for row in last.splitlines():
            blank = blank + 1 if not row.strip() else 0
            longest = max(longest, blank)
        assert longest <= max(2, height // 10), f"{longest} blank rows:\n{last}"
        tmux("send-keys", "-t", session, "Escape")
        assert wait_for(lambda: "leave projector" not in screen(), 10), screen()

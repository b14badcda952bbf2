"""Closing the terminal while a deploy command runs: its whole group ends, journaled.

`warroom --config` in a real terminal (tmux, a server of its own); the tmux server is
killed, so the terminal hangs up (SIGHUP) as when an SSH session drops.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.waiting import WAIT
from warroom.services.clock import ManualClock
from warroom.services.journal.store import Event, Journal, journal_path

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

CONFIG = """
[incident]
id = "INC-HUP"
state_dir = "state"

[actions.commands.slow]
argv = ["sh", "-c", "sleep 45 & echo $! > {pidfile}; echo waiting; wait"]
description = "A deploy that takes its time"
"""


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has ended; init collects it in its own time)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def events(state: Path) -> list[Event]:
    path = journal_path(state, "INC-HUP")
    if not path.exists():
        return []
    journal = Journal.open(path, ManualClock(), "reader", read_only=True)
    try:
        return journal.events()
    finally:
        journal.close()


def test_closing_the_terminal_stops_the_running_command_and_journals_it(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o700)
    pidfile = tmp_path / "sleep.pid"
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG.replace("{pidfile}", str(pidfile)))
    config.chmod(0o600)
    socket = f"warroom-hup-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    warroom = Path(sys.executable).with_name("warroom")
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_ACTOR": "hup"}
    command = f"{warroom} --config {config}"
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-x", "140", "-y", "40", command],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=10,
    )
    try:
        screen = ""

        def shows(text: str) -> Callable[[], bool]:
            def check() -> bool:
                nonlocal screen
                screen = tmux("capture-pane", "-p")
                return text in screen

            return check

        # The header's incident clock runs once the live dashboard is up.
        assert wait_for(shows("T+0:"), 30), f"no dashboard; screen was:\n{screen}"
        tmux("send-keys", "r")
        assert wait_for(shows("A deploy that takes its time"), 15), screen
        tmux("send-keys", "End")
        tmux("send-keys", "Enter")
        assert wait_for(shows("Run slow"), 15), screen
        started = False
        for _ in range(3):
            # The dialog drops a key that may have been typed ahead of it (one read just
            # as it was drawn): press again until the run starts.
            tmux("send-keys", "y")
            started = wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 5)
            if started:
                break
        assert started, tmux("capture-pane", "-p")
        sleep = int(pidfile.read_text())
        assert running(sleep)
        tmux("kill-server")  # the terminal hangs up
        assert wait_for(lambda: not running(sleep), WAIT), "the command's sleep outlived warroom"
        state = tmp_path / "state"
        assert wait_for(lambda: "action.cancelled" in [e.kind for e in events(state)], WAIT)
        kinds = [e.kind for e in events(state)]
        assert kinds.index("action.started") < kinds.index("action.cancelled")
    finally:
        tmux("kill-server")

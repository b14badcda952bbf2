"""End to end: `warroom demo` in a real terminal (tmux) at 80x24."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.waiting import WAIT

TITLES = ("Runbook", "Health", "Metrics", "Error log", "Escalation")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=False, timeout=10
    ).stdout


def _wait_for(predicate: object, timeout: float) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _start_demo(tmp_path: Path, width: int, height: int) -> str:
    """`warroom demo` in a new detached tmux session; its exit status goes to `exit`."""
    session = f"warroom-e2e-{uuid.uuid4().hex[:8]}"
    warroom = Path(sys.executable).with_name("warroom")
    command = f"{warroom} demo; echo EXITED=$? > {tmp_path / 'exit'}"
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_ACTOR": "e2e"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=10,
    )
    return session


def _quits_promptly(session: str, tmp_path: Path) -> None:
    # How fast is benchmarks/startup.py's business; here: q ends it, cleanly.
    _tmux("send-keys", "-t", session, "q")
    exit_file = tmp_path / "exit"
    assert _wait_for(exit_file.exists, WAIT), "warroom did not exit after q"
    assert exit_file.read_text().strip() == "EXITED=0"


def test_demo_in_tmux_shows_five_panes_and_quits(tmp_path: Path) -> None:
    session = _start_demo(tmp_path, 80, 24)
    try:
        screen = ""

        def all_titles() -> bool:
            nonlocal screen
            screen = _tmux("capture-pane", "-p", "-t", session)
            return all(title in screen for title in TITLES)

        assert _wait_for(all_titles, 2 * WAIT), f"pane titles missing; screen was:\n{screen}"
        _quits_promptly(session, tmp_path)
        # The demo cleans up after itself: nothing left in the working directory.
        assert sorted(p.name for p in tmp_path.iterdir()) == ["exit"]
    finally:
        _tmux("kill-session", "-t", session)


def test_keys_reach_the_dashboard_in_a_real_terminal(tmp_path: Path) -> None:
    # The input thread sleeps until a key comes; a lone Escape must still arrive as
    # Escape (it closes the help), and a quit must still be prompt.
    session = _start_demo(tmp_path, 100, 30)
    try:

        def shows(text: str) -> bool:
            return text in _tmux("capture-pane", "-p", "-t", session)

        assert _wait_for(lambda: shows("Escalation"), 2 * WAIT)
        # Not a wait for anything: the state under test is an app left alone long enough
        # for its input thread to go to sleep.
        time.sleep(2)
        _tmux("send-keys", "-t", session, "?")
        assert _wait_for(lambda: shows("─ Keys ─"), WAIT), "? did not open the key help"
        _tmux("send-keys", "-t", session, "Escape")
        assert _wait_for(lambda: not shows("─ Keys ─"), WAIT), "Escape did not close the help"
        _tmux("send-keys", "-t", session, "Down", "?")  # a whole escape sequence, not Escape
        # The help opening again proves the Down was read; it left the dashboard in place.
        assert _wait_for(lambda: shows("─ Keys ─"), WAIT), "the app stopped reading keys"
        _tmux("send-keys", "-t", session, "Escape")
        assert _wait_for(lambda: not shows("─ Keys ─"), WAIT), "Escape did not close the help"
        assert shows("Runbook")
        _quits_promptly(session, tmp_path)
    finally:
        _tmux("kill-session", "-t", session)

"""`warroom init` as a user runs it: the real CLI in a fresh clone, pointed at the demo.

The repository is a real clone with release tags (a pre-release among them), the
service is `DemoTarget` on loopback, and the config written is then loaded by
`warroom config --validate` and opened in the dashboard, where every pane must come
alive. The questions are answered through a real pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.health.status import ProbeState
from warroom.tui.app import build_app
from warroom.widgets.log_view import LogView

WAIT = 15.0
"""Seconds a condition (a child's exit, a prompt) may take on a loaded machine."""

TAGS = ("v1.9.0", "v1.10.0", "v2.0.0-rc1")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Rel Eng", "-c", "user.email=rel@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=WAIT,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone of a repository tagged v1.9.0, v1.10.0 and v2.0.0-rc1."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q", "-b", "main")
    for tag in TAGS:
        (origin / "VERSION").write_text(tag + "\n")
        _git(origin, "add", "VERSION")
        _git(origin, "commit", "-q", "-m", f"Release {tag}")
        _git(origin, "tag", tag)
    _git(tmp_path, "clone", "-q", str(origin), "checkout")
    return tmp_path / "checkout"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoTarget]:
    """The simulated production service, its log written every ~0.2 s."""
    with DemoTarget(tmp_path / "demo", log_interval=0.2, slowness=0.0) as target:
        yield target


def warroom(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process group, without a terminal; the group ends with it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        _end_group(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _end_group(proc: subprocess.Popen[Any]) -> None:
    """Kill what is left of the child's process group (git, if any) and reap the child."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_init_in_a_fresh_clone_writes_a_config_the_dashboard_shows_live(
    clone: Path, demo: DemoTarget
) -> None:
    health = f"{demo.base_url}/health"
    metrics = f"{demo.base_url}/metrics"
    done = warroom(
        clone, "init", "--url", health, "--log", str(demo.log_path), "--prometheus", metrics
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == f"git: {clone}: 3 version tags; production v1.10.0 " + (
        "(v2.0.0-rc1 left out: pre-release)"
    )
    # One line per thing named: the demo starts broken, so its health answers 503.
    assert any(line.startswith(f"{health}: DOWN 503 in ") for line in lines)
    assert any(line.startswith(f"{demo.log_path}: ") and "bytes" in line for line in lines)
    assert f"{metrics}: 5 metric families; graphing Response time p95" in done.stdout
    written = (clone / "warroom.toml").read_text()
    assert "(the highest release; pre-releases left out): v1.10.0" in written
    assert "Left out as pre-releases: v2.0.0-rc1" in written

    validated = warroom(clone, "config", "--validate")
    assert (validated.returncode, validated.stdout.strip()) == (0, "warroom: warroom.toml: valid")

    loaded = load_config(clone / "warroom.toml")
    app = build_app(loaded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = fixtures.dashboard(app)

        def probed() -> bool:
            snapshot = screen.health
            return snapshot is not None and all(e.last is not None for e in snapshot.endpoints)

        await fixtures.until(pilot, probed)
        assert screen.health is not None
        state = screen.health.endpoints[0].last
        assert state is not None and state.state is ProbeState.DOWN and state.status_code == 503
        await fixtures.until(pilot, lambda: len(screen.query_one(LogView).items) > 0)

        def p95() -> float | None:
            series = screen.metrics.series if screen.metrics is not None else ()
            return next((s.current for s in series if s.name == "Response time p95"), None)

        await fixtures.until(pilot, lambda: p95() is not None)

        def head() -> str:
            return str(screen.query_one("#release-head", Static).render())

        await fixtures.until(pilot, lambda: "v1.10.0" in head())
        assert screen.release is not None and screen.release.production_tag == "v1.10.0"
        assert "v2.0.0-rc1" not in head()


def test_an_existing_config_is_kept_unless_forced(clone: Path) -> None:
    config = clone / "warroom.toml"
    config.write_text("# mine, by hand\n")
    refused = warroom(clone, "init")
    assert refused.returncode == 1
    assert refused.stderr == (
        "warroom: init: warroom.toml already exists; pass --force to replace it, or --output PATH\n"
    )
    assert config.read_text() == "# mine, by hand\n"

    elsewhere = warroom(clone, "init", "--output", "other.toml")
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert config.read_text() == "# mine, by hand\n"
    assert load_config(clone / "other.toml").config.git is not None

    forced = warroom(clone, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "[git]" in config.read_text()
    assert [p.name for p in clone.iterdir() if p.name.startswith(".warroom.toml")] == []


def test_a_url_that_does_not_answer_is_reported_and_written_commented(clone: Path) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/health"
    done = warroom(clone, "init", "--url", dead)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith(dead))
    assert line.startswith(f"{dead}: unreachable (refused")
    assert line.endswith("; written, commented as unreachable")
    text = (clone / "warroom.toml").read_text()
    block = text[text.index("# UNREACHABLE when warroom init probed it") :]
    assert block.index("[[endpoint]]") < block.index(f'url = "{dead}"')
    assert [e.url for e in load_config(clone / "warroom.toml").config.endpoint] == [dead]


def test_a_log_path_with_quotes_and_backslashes_round_trips(clone: Path) -> None:
    folder = clone / 'we"ird\\dir'
    folder.mkdir()
    log = folder / "it's \\error\".log"
    log.write_text("ERROR boom\n")
    done = warroom(clone, "init", "--log", str(log))
    assert done.returncode == 0, done.stderr
    loaded = load_config(clone / "warroom.toml")
    path = loaded.config.log[0].path
    assert path is not None and loaded.resolve(path) == log
    assert f"{log}: 11 bytes" in done.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--url", "ftp://example.com/"], "--url 'ftp://example.com/': not an http:// or https://"),
        (["--prometheus", "localhost:9090"], "--prometheus 'localhost:9090': not an http://"),
        (["--url"], "argument --url: expected one argument"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--output", "no/such/dir/w.toml"], "no such folder 'no/such/dir'"),
        (["--log", "."], "--log '.': a directory, not a log file"),
        (["--url", "http://h/\x1b[2J"], "--url 'http://h/"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(clone: Path, args: list[str], said: str) -> None:
    done = warroom(clone, "init", *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert done.stderr.startswith("warroom: init: ") and "Traceback" not in done.stderr
    assert "\x1b" not in done.stderr
    assert not (clone / "warroom.toml").exists()


def test_without_a_terminal_or_flags_a_minimal_config_says_what_to_add(clone: Path) -> None:
    done = warroom(clone, "init")
    assert done.returncode == 0, done.stderr
    assert "wrote warroom.toml: a minimal config. Add what to watch" in done.stdout
    text = (clone / "warroom.toml").read_text()
    assert "# [[endpoint]]" in text and "# [[log]]" in text and "# [[metric]]" in text
    config = load_config(clone / "warroom.toml").config
    assert config.endpoint == [] and config.git is not None


class Terminal:
    """A child process on a real pseudo-terminal: read what it shows, type answers."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", *args],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.shown = ""

    def wait_for(self, text: str) -> None:
        """Read until `text` has been shown (after what was already matched)."""
        deadline = time.monotonic() + WAIT
        while text not in self.shown:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not shown within {WAIT:g}s:\n{self.shown}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child ended and closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{text!r} never shown:\n{self.shown}")
                self.shown += chunk.decode("utf-8", errors="replace")
        self.shown = self.shown[self.shown.index(text) + len(text) :]

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def close(self) -> int:
        try:
            code = self.proc.wait(timeout=WAIT)
        finally:
            _end_group(self.proc)
            os.close(self.master)
        return code


def test_in_a_terminal_without_flags_it_asks(clone: Path, demo: DemoTarget) -> None:
    term = Terminal(clone, "init")
    try:
        term.wait_for("Endpoint URL to probe (empty when done): ")
        term.type("ftp://wrong")
        term.wait_for("not an http:// or https:// URL; try again")
        term.wait_for("Endpoint URL to probe (empty when done): ")
        term.type(f"{demo.base_url}/health")
        term.wait_for("Endpoint URL to probe (empty when done): ")
        term.type("")
        term.wait_for("Log file to follow (empty when done): ")
        term.type(str(demo.log_path))
        term.wait_for("Log file to follow (empty when done): ")
        term.type("")
        term.wait_for("Prometheus /metrics URL (empty for none): ")
        term.type(f"{demo.base_url}/metrics")
        term.wait_for(f"{demo.base_url}/health: DOWN 503 in ")
        term.wait_for("wrote warroom.toml")
    finally:
        code = term.close()
    assert code == 0
    config = load_config(clone / "warroom.toml").config
    assert [e.url for e in config.endpoint] == [f"{demo.base_url}/health"]
    assert [log.path for log in config.log] == [str(demo.log_path)]
    assert "Response time p95" in [m.name for m in config.metric]

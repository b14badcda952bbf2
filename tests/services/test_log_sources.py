"""Logs from many hosts: `ssh host tail -F` and `kubectl logs -f` sources merged with files.

No ssh server or cluster is needed: `ssh` and `kubectl` stand-ins on PATH run the remote
end here (`ssh HOST CMD...` runs CMD with sh, as the host's shell would), so the argv a
user writes in `[[log]] command` goes through the real code path: a real subprocess, its
real pipes, real GNU `tail -F` on real files.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import ConfigError, LogConfig, load_config
from warroom.services.logs.buffer import LogBuffer
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogFollower
from warroom.services.logs.lines import LogBatch, LogEvent, LogItem, LogLine
from warroom.services.redact import register

pytestmark = pytest.mark.skipif(shutil.which("tail") is None, reason="needs GNU tail")

POLL = 0.02

SSH = """#!/bin/sh
# A stand-in for ssh: the remote command runs here, joined as the remote shell joins it.
shift
exec sh -c "$*"
"""

KUBECTL = """#!/bin/sh
# A stand-in for `kubectl logs -f deploy/NAME`: the pod's log is $FAKE_PODS/NAME.log.
exec tail -F -n +1 "$FAKE_PODS/${3#deploy/}.log"
"""


def install(bin_dir: Path, name: str, body: str) -> None:
    tool = bin_dir / name
    tool.write_text(body)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder standing in for the other machines, with `ssh` and `kubectl` on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    install(bin_dir, "ssh", SSH)
    install(bin_dir, "kubectl", KUBECTL)
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    monkeypatch.setenv("FAKE_PODS", str(hosts))
    return hosts


class Merged:
    """Every batch a follower delivered, fed to a `LogBuffer` as the session does."""

    def __init__(self, buffer: LogBuffer) -> None:
        self.buffer = buffer
        self.items: list[LogItem] = []
        self.shown: list[LogItem] = []

    def lines(self) -> list[tuple[str, str]]:
        return [(i.source, i.text) for i in self.items if isinstance(i, LogLine)]

    def events(self, kind: str) -> list[LogEvent]:
        return [i for i in self.items if isinstance(i, LogEvent) and i.kind == kind]

    def take(self, batch: LogBatch) -> None:
        self.items.extend(batch.items)
        self.shown.extend(self.buffer.append(batch))

    async def until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; got {self.items!r}"[:3000])
            await asyncio.sleep(0.01)


@asynccontextmanager
async def merged(
    configs: list[LogConfig], base: Path, clock: ManualClock, log_filter: str = ""
) -> AsyncIterator[Merged]:
    follower = LogFollower(configs, base, clock, POLL)
    seen = Merged(LogBuffer(log_filter=LogFilter.parse(log_filter)))

    async def run() -> None:
        async for batch in follower.stream():
            seen.take(batch)

    task = asyncio.create_task(run())
    try:
        yield seen
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


async def test_hosts_pods_and_a_file_merge_in_arrival_order_tagged_and_filtered(
    tmp_path: Path, remote: Path, clock: ManualClock
) -> None:
    web1, web2, api, local = (remote / n for n in ("web1.log", "web2.log", "api.log", "app.log"))
    for log in (web1, web2, api, local):
        log.write_text("")
    configs = [
        LogConfig(name="web-1", command=["ssh", "web-1", "tail", "-F", "-n", "+1", str(web1)]),
        LogConfig(name="web-2", command=["ssh", "web-2", "tail", "-F", "-n", "+1", str(web2)]),
        LogConfig(name="api", command=["kubectl", "logs", "-f", "deploy/api"]),
        LogConfig(name="local", path=str(local)),
    ]
    # Each line is written only once the one before has arrived: arrival order is known.
    story = [
        (web1, "web-1", "GET /login 500 auth ERROR upstream timeout"),
        (api, "api", "token refresh ok"),
        (web2, "web-2", "GET /login 200"),
        (local, "local", "auth ERROR: 3 failures for user 42"),
        (api, "api", "auth ERROR token expired"),
        (web1, "web-1", "GET /health 200"),
        (web2, "web-2", "auth ERROR \x1b]0;pwned\x07 from web-2"),
    ]
    async with merged(configs, tmp_path, clock, log_filter="auth error") as seen:
        await seen.until(lambda: len(seen.events("started")) == 3)
        for count, (path, _, text) in enumerate(story, start=1):
            append(path, text + "\n")
            await seen.until(lambda count=count: len(seen.lines()) == count)  # type: ignore[misc]
        visible = seen.buffer.visible()
        refiltered = seen.buffer.set_filter(LogFilter.parse("GET -health"))

    expected = [(source, text.replace("\x1b", "\u241b").replace("\x07", "\u2407"))
                for _, source, text in story]  # fmt: skip
    assert seen.lines() == expected
    merged_lines = [i for i in seen.items if isinstance(i, LogLine)]
    assert [line.seq for line in merged_lines] == sorted(line.seq for line in merged_lines)
    # The filter chose across every source, as lines arrived and again over the backlog.
    matching = [(s, t) for s, t in expected if "auth" in t and "ERROR" in t]
    assert [(i.source, i.text) for i in seen.shown if isinstance(i, LogLine)] == matching
    assert [(i.source, i.text) for i in visible if isinstance(i, LogLine)] == matching
    assert [(i.source, i.text) for i in refiltered if isinstance(i, LogLine)] == [
        ("web-1", "GET /login 500 auth ERROR upstream timeout"),
        ("web-2", "GET /login 200"),
    ]
    # Each command said what it runs, once, with its own tag.
    assert [(e.source, e.text) for e in seen.events("started")] == [
        ("web-1", f"running ssh web-1 tail -F -n +1 {web1}"),
        ("web-2", f"running ssh web-2 tail -F -n +1 {web2}"),
        ("api", "running kubectl logs -f deploy/api"),
    ]


async def test_a_host_that_refuses_is_retried_with_backoff_and_its_stderr_shown_once(
    tmp_path: Path, remote: Path, clock: ManualClock
) -> None:
    secret = "tok-9f8e7d6c5b4a"
    register([secret])
    unreachable = [
        "ssh",
        "web-3",
        "echo 'ssh: connect to host web-3 port 22: Connection refused' >&2;"
        f" echo 'auth with {secret} failed \x1b[2J' >&2; exit 255",
    ]
    configs = [LogConfig(name="web-3", command=unreachable, restart_backoff=0.01)]
    async with merged(configs, tmp_path, clock) as seen:
        await seen.until(lambda: len(seen.events("exited")) >= 4)

    assert [e.text for e in seen.events("exited")][:4] == [
        "command exited with status 255; restarting in 0.01s",
        "command exited with status 255; restarting in 0.02s",
        "command exited with status 255; restarting in 0.04s",
        "command exited with status 255; restarting in 0.08s",
    ]
    # Four failures, each stderr line once: sanitized, the secret masked, not a log line.
    assert [e.text for e in seen.events("stderr")] == [
        "ssh: connect to host web-3 port 22: Connection refused",
        "auth with *** failed \u241b[2J",
    ]
    assert seen.lines() == []
    started = seen.events("started")[0].text
    assert started.startswith("running ssh web-3 ") and secret not in started
    # Its stderr arrives before the exit that follows it, every time it is shown.
    first_exit = seen.events("exited")[0].seq
    assert all(e.seq < first_exit for e in seen.events("stderr"))


async def test_after_a_healthy_run_the_backoff_restarts_and_the_same_stderr_shows_again(
    tmp_path: Path, remote: Path, clock: ManualClock
) -> None:
    gate = tmp_path / "gate"
    # Each run says "up", then waits for the gate, then loses its connection.
    script = (
        f"import os, sys, time\nprint('up', flush=True)\n"
        f"while not os.path.exists({str(gate)!r}): time.sleep(0.01)\n"
        "os.remove(" + repr(str(gate)) + ")\n"
        "print('Connection to web-4 closed by remote host.', file=sys.stderr)\n"
        "sys.exit(255)\n"
    )
    config = LogConfig(name="web-4", command=[sys.executable, "-c", script], restart_backoff=0.01)
    async with merged([config], tmp_path, clock) as seen:
        for run in range(1, 4):
            await seen.until(lambda run=run: len(seen.lines()) == run)  # type: ignore[misc]
            if run == 3:
                clock.advance(61)  # the third run lasts a minute: a healthy one
            gate.touch()
            await seen.until(lambda run=run: len(seen.events("exited")) == run)  # type: ignore[misc]

    assert [e.text.rsplit("in ", 1)[1] for e in seen.events("exited")] == [
        "0.01s",
        "0.02s",
        "0.01s",
    ]
    assert [e.text for e in seen.events("stderr")] == [
        "Connection to web-4 closed by remote host.",
        "Connection to web-4 closed by remote host.",
    ]


async def test_a_chatty_stderr_is_capped_per_run_and_counted(
    tmp_path: Path, remote: Path, clock: ManualClock
) -> None:
    noisy = ["sh", "-c", 'for i in $(seq 1 50); do echo "warning $i" >&2; done; echo done']
    config = LogConfig(name="noisy", command=noisy, restart_backoff=60)
    async with merged([config], tmp_path, clock) as seen:
        await seen.until(lambda: bool(seen.events("exited")))
    assert seen.lines() == [("noisy", "done")]
    assert [e.text for e in seen.events("stderr")] == [f"warning {i}" for i in range(1, 21)]
    assert seen.events("exited")[0].text == (
        "command exited with status 0 (30 more stderr lines not shown); restarting in 60s"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("command = []", "log[1].command: List should have at least 1 item"),
        ('command = ["ssh", "web-1", "true"]\nrestart_backoff = "0s"', "log[1].restart_backoff"),
        ('command = ["ssh"]\npath = "a.log"', "log[1]: needs exactly one of path or command"),
    ],
)
def test_a_command_source_that_cannot_work_is_a_one_line_config_error(
    tmp_path: Path, body: str, message: str
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text(f'[[log]]\nname = "web-1"\n{body}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value).startswith(f"warroom: {config}: {message}")
    assert "\n" not in str(caught.value)

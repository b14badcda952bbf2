"""Following logs like `tail -F`, on real files in tmp_path and real subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from tests.waiting import WAIT
from warroom.services.clock import ManualClock
from warroom.services.config import LogConfig
from warroom.services.logs.backwards import SCAN_BLOCK, tail_lines
from warroom.services.logs.buffer import LogBuffer, MatchCounter
from warroom.services.logs.file_tail import PathSource
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogFollower
from warroom.services.logs.levels import detect_level
from warroom.services.logs.lines import LineAssembler, LogBatch, LogEvent, LogItem, LogLine
from warroom.services.logs.watch import FileWatch
from warroom.services.sanitize import MAX_LINE, TRUNCATED_MARK

POLL = 0.02


class Followed:
    """Everything a follower delivered so far, with a way to wait for more."""

    def __init__(self) -> None:
        self.items: list[LogItem] = []
        self.batches: list[LogBatch] = []

    @property
    def texts(self) -> list[str]:
        return [i.text for i in self.items if isinstance(i, LogLine)]

    def events(self, kind: str) -> list[LogEvent]:
        return [i for i in self.items if isinstance(i, LogEvent) and i.kind == kind]

    async def until(self, check: Callable[[], bool], timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; got {self.items!r}"[:2000])
            await asyncio.sleep(0.01)

    async def opened(self, path: Path) -> None:
        """Wait until the follower holds `path` open: what is written next is news to it."""
        await self.until(lambda: held_open(path))


@asynccontextmanager
async def following(
    config: LogConfig, base: Path, clock: ManualClock, **kwargs: object
) -> AsyncIterator[Followed]:
    follower = LogFollower(config, base, clock, POLL, **kwargs)  # type: ignore[arg-type]
    seen = Followed()

    async def run() -> None:
        async for batch in follower.stream():
            seen.batches.append(batch)
            seen.items.extend(batch.items)

    task = asyncio.create_task(run())
    try:
        yield seen
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def held_open(path: Path) -> bool:
    """Whether this process has `path` open, as Linux's /proc tells."""
    target = str(path.resolve())
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                return True
    return False


def reads_of(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How far into a file the follower has read: the proof it saw what was written.

    Reads still happen for real; this only keeps the furthest offset `os.pread` reached.
    """
    furthest = [0]
    pread = os.pread

    def spied(fd: int, length: int, offset: int) -> bytes:
        data = pread(fd, length, offset)
        furthest[0] = max(furthest[0], offset + len(data))
        return data

    monkeypatch.setattr(os, "pread", spied)
    return lambda: furthest[0]


def write(path: Path, text: str | bytes, mode: str = "a") -> None:
    data = text.encode() if isinstance(text, str) else text
    with open(path, mode + "b") as handle:
        handle.write(data)


def lines(prefix: str, count: int, start: int = 0) -> str:
    return "".join(f"{prefix} {i}\n" for i in range(start, start + count))


def file_log(path: Path | str) -> LogConfig:
    return LogConfig(name="app", path=str(path))


# --- opening from the end -----------------------------------------------------------


async def test_opens_with_the_last_lines_and_holds_a_partial_one(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, lines("old", 1000) + "partial")
    async with following(file_log("app.log"), tmp_path, clock, backlog_lines=3) as seen:
        await seen.until(lambda: len(seen.texts) >= 3)
        assert seen.texts == ["old 997", "old 998", "old 999"]
        write(log, " line\nnew\n")
        await seen.until(lambda: "new" in seen.texts)
        assert seen.texts[3:] == ["partial line", "new"]
        assert all(i.source == "app" for i in seen.items)
        seqs = [i.seq for i in seen.items]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_opening_keeps_older_matches_of_the_filter(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, "auth failed early\n" + lines("noise", 5000) + "AUTH again\n" + lines("tail", 2))
    config = LogConfig(name="app", path=str(log), filter="auth")
    async with following(config, tmp_path, clock, backlog_lines=2) as seen:
        await seen.until(lambda: len(seen.texts) >= 4)
        assert seen.texts == ["auth failed early", "AUTH again", "tail 0", "tail 1"]


def test_tail_lines_reads_backwards_and_finds_a_keyword_across_a_block_boundary(
    tmp_path: Path,
) -> None:
    log = tmp_path / "big.log"
    # A line straddling the 64 KiB block boundary counted from the end of the file.
    after = "z" * 100 + "\n"
    filler = "f" * (SCAN_BLOCK - len(after) - 3)
    write(log, lines("head auth", 3) + "x" * 50 + "au" + "th" + filler + "\n" + after)
    found = tail_lines(log, 2, LogFilter.parse("auth"))
    assert [line.text[:12] for line in found] == ["head auth 2", "x" * 12]
    assert "auth" in found[1].text
    assert [line.text for line in tail_lines(log, 1)] == ["z" * 100]
    assert tail_lines(log, 10, LogFilter.parse("nowhere")) == []


def test_tail_lines_is_memory_bounded_on_a_long_line(tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    write(log, "start\n" + "y" * (3 * 1024 * 1024) + "\nend\n")
    found = tail_lines(log, 3)
    assert [line.text[:5] for line in found] == ["start", "yyyyy", "end"]
    assert found[1].text.endswith(TRUNCATED_MARK)
    assert len(found[1].text) == MAX_LINE + len(TRUNCATED_MARK)


# --- following ---------------------------------------------------------------------


async def test_partial_line_is_held_and_a_keyword_split_across_reads_matches(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "app.log"
    log.touch()
    buffer = LogBuffer(log_filter=LogFilter.parse("auth"))
    read_to = reads_of(monkeypatch)
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.opened(log)
        write(log, "login au")
        await seen.until(lambda: read_to() >= len("login au"))  # the follower read it
        assert seen.texts == []
        write(log, "th failed\n")
        await seen.until(lambda: seen.texts == ["login auth failed"])
    shown = [buffer.append(b) for b in seen.batches]
    assert [i.text for part in shown for i in part] == ["login auth failed"]


async def test_rename_rotation_loses_nothing_and_repeats_nothing(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, lines("a", 3))
    async with following(file_log(log), tmp_path, clock, backlog_lines=10) as seen:
        await seen.until(lambda: len(seen.texts) == 3)
        with open(log, "a") as old_writer:
            old_writer.write(lines("a", 2, start=3))
            old_writer.flush()
            os.rename(log, tmp_path / "app.log.1")
            # The application still writes to the renamed file before reopening.
            old_writer.write(lines("a", 2, start=5))
            old_writer.flush()
            write(log, lines("b", 3))
        await seen.until(lambda: "b 2" in seen.texts)
        write(log, "b 3\n")  # read after any repeat the rotation could have caused
        await seen.until(lambda: "b 3" in seen.texts)
    assert seen.texts == [f"a {i}" for i in range(7)] + ["b 0", "b 1", "b 2", "b 3"]
    assert len(seen.events("rotated")) == 1


async def test_copytruncate_is_marked_and_read_again_from_the_start(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, lines("before", 5))
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.until(lambda: len(seen.texts) == 5)
        os.truncate(log, 0)
        await seen.until(lambda: bool(seen.events("truncated")))
        write(log, "after 0\n")
        await seen.until(lambda: "after 0" in seen.texts)
    assert "truncated" in seen.events("truncated")[0].text
    assert seen.texts == [f"before {i}" for i in range(5)] + ["after 0"]


async def test_deleted_then_recreated(tmp_path: Path, clock: ManualClock) -> None:
    log = tmp_path / "app.log"
    write(log, "one\n")
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.until(lambda: seen.texts == ["one"])
        log.unlink()
        await seen.until(lambda: bool(seen.events("deleted")))
        write(log, "two\n")
        await seen.until(lambda: "two" in seen.texts)
    assert seen.texts == ["one", "two"]
    assert seen.events("following")


async def test_missing_at_start_is_waited_for_then_read_from_its_start(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "later.log"
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.until(lambda: bool(seen.events("waiting")))
        assert seen.events("waiting")[0].text == f"waiting for {log}"
        write(log, lines("x", 3))
        await seen.until(lambda: len(seen.texts) == 3)
    assert seen.texts == ["x 0", "x 1", "x 2"]


async def test_symlink_retargeted_follows_the_new_file(tmp_path: Path, clock: ManualClock) -> None:
    first, second, link = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "current.log"
    write(first, "a1\n")
    write(second, "b1\n")
    link.symlink_to(first)
    async with following(file_log(link), tmp_path, clock) as seen:
        await seen.until(lambda: seen.texts == ["a1"])
        write(first, "a2\n")
        tmp_link = tmp_path / "tmp-link"
        tmp_link.symlink_to(second)
        os.replace(tmp_link, link)
        await seen.until(lambda: "b1" in seen.texts)
        write(second, "b2\n")
        await seen.until(lambda: "b2" in seen.texts)
    assert seen.texts == ["a1", "a2", "b1", "b2"]
    assert "now points to a new file" in seen.events("rotated")[0].text


async def test_a_10_mb_line_without_newline_is_capped(tmp_path: Path, clock: ManualClock) -> None:
    log = tmp_path / "app.log"
    log.touch()
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.opened(log)
        write(log, b"q" * (10 * 1024 * 1024))
        await seen.until(lambda: len(seen.texts) == 1)
        assert seen.texts[0].endswith(TRUNCATED_MARK)
        assert len(seen.texts[0]) == MAX_LINE + len(TRUNCATED_MARK)
        write(log, "qqq tail of it\nnext\n")
        await seen.until(lambda: "next" in seen.texts)
    assert len(seen.texts) == 2


async def test_nul_bytes_invalid_utf8_and_escapes_are_inert(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    log.touch()
    hostile = [
        b"a\x00b\xff\xfe c",
        b"\x1b]0;title\x07 retitle",
        b"\x1b[2J clear",
        b"\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
        b"[bold]x[/]",
        b"[@click=app.quit]quit[/]",
        b"crlf line\r",
    ]
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.opened(log)
        write(log, b"\n".join(hostile) + b"\n")
        await seen.until(lambda: len(seen.texts) == len(hostile))
    texts = seen.texts
    assert texts[0] == "a\u2400b\ufffd\ufffd c"
    assert texts[1] == "\u241b]0;title\u2407 retitle"
    assert texts[2] == "\u241b[2J clear"
    assert "http://evil.example/" in texts[3] and "\x1b" not in texts[3]
    assert texts[4] == "[bold]x[/]"
    assert texts[5] == "[@click=app.quit]quit[/]"
    assert texts[6] == "crlf line"
    for text in texts:
        assert not any(ord(ch) < 0x20 and ch != "\t" for ch in text)


async def test_glob_merges_files_tagged_with_their_source(
    tmp_path: Path, clock: ManualClock
) -> None:
    write(tmp_path / "api.log", "api old\n")
    config = LogConfig(name="svc", path="*.log")
    async with following(config, tmp_path, clock) as seen:
        await seen.until(lambda: "api old" in seen.texts)
        write(tmp_path / "worker.log", "worker new\n")
        await seen.until(lambda: "worker new" in seen.texts)
        write(tmp_path / "api.log", "api new\n")
        await seen.until(lambda: "api new" in seen.texts)
    by_text = {i.text: i.source for i in seen.items if isinstance(i, LogLine)}
    assert by_text == {
        "api old": "svc:api.log",
        "worker new": "svc:worker.log",
        "api new": "svc:api.log",
    }


# --- permission denied ------------------------------------------------------------------

# Root reads any file whatever its mode, and CI runs as root: the follower runs in a child
# process that first gives up the capabilities that bypass file permissions.
_DROP_DAC = """
import ctypes, os, sys
if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]
    header, data = Header(0x20080522, 0), (Data * 2)()
    keep = ~((1 << 1) | (1 << 2)) & 0xFFFFFFFF  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    if libc.capget(ctypes.byref(header), data) != 0:
        sys.exit(77)
    data[0].effective &= keep
    data[0].permitted &= keep
    if libc.capset(ctypes.byref(header), data) != 0:
        sys.exit(77)
"""


async def test_permission_denied_is_shown_and_resumes_when_readable(tmp_path: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("drops Linux capabilities to make permissions bite for root")
    log = tmp_path / "secret.log"
    write(log, "hidden\n")
    log.chmod(0o000)
    root = Path(__file__).resolve().parents[2]
    script = _DROP_DAC + (
        "import asyncio\n"
        "from warroom.tui.headless.tail import tail\n"
        f"asyncio.run(tail([{str(log)!r}], lines=10, poll_interval={POLL}))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        message = await asyncio.wait_for(process.stderr.readline(), 10)
        if not message and await process.wait() == 77:
            pytest.skip("cannot drop capabilities here, so root would read the file")
        assert b"secret.log: permission denied; resumes when readable" in message
        log.chmod(0o644)
        write(log, "visible\n")
        assert b"following" in await asyncio.wait_for(process.stderr.readline(), 10)
        first = await asyncio.wait_for(process.stdout.readline(), 10)
        second = await asyncio.wait_for(process.stdout.readline(), 10)
        assert (first, second) == (b"hidden\n", b"visible\n")
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


# --- commands ---------------------------------------------------------------------------


async def test_command_exit_is_shown_and_it_is_restarted(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = LogConfig(
        name="cmd",
        command=[sys.executable, "-c", "print('hello \\x1b[2J'); raise SystemExit(3)"],
        restart_backoff=0.02,
    )
    async with following(config, tmp_path, clock) as seen:
        await seen.until(lambda: len(seen.events("exited")) >= 2)
    assert seen.texts[:2] == ["hello \u241b[2J", "hello \u241b[2J"]
    assert "command exited with status 3" in seen.events("exited")[0].text
    assert len(seen.events("started")) >= 2


async def test_missing_command_is_a_status_line(tmp_path: Path, clock: ManualClock) -> None:
    config = LogConfig(name="cmd", command=["/nonexistent/tool", "-f"], restart_backoff=0.02)
    async with following(config, tmp_path, clock) as seen:
        await seen.until(lambda: bool(seen.events("exited")))
    assert "could not run /nonexistent/tool -f" in seen.events("exited")[0].text


async def test_command_is_stopped_with_the_follower(tmp_path: Path, clock: ManualClock) -> None:
    pid_file = tmp_path / "pid"
    script = f"import os,time; open({str(pid_file)!r},'w').write(str(os.getpid())); "
    script += "print('up', flush=True); time.sleep(60)"
    config = LogConfig(name="cmd", command=[sys.executable, "-c", script])
    async with following(config, tmp_path, clock) as seen:
        await seen.until(lambda: seen.texts == ["up"])
        pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- pure pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("2026-01-01 ERROR auth failed", "error"),
        ("2026-01-01 WARN slow", "warning"),
        ("WARNING: disk", "warning"),
        ("INFO started", "info"),
        ("DEBUG cache", "debug"),
        ("FATAL out of memory", "critical"),
        ("CRITICAL db down", "critical"),
        ('{"level":"error","msg":"x"}', "error"),
        ('{"severity": "WARNING", "msg": "x"}', "warning"),
        ('{"level":50,"msg":"pino"}', "error"),
        ("ts=1 level=info msg=ok", "info"),
        ("2026/01/01 12:00:00 [error] 12#0: upstream", "error"),
        ("an error happened in prose", None),
        ("ERRORS_TOTAL 5", None),
        ("plain", None),
        # A level name counts only as a whole word, as `\b` draws words.
        ("ERRORS then INFO", "info"),
        ("_ERROR x9ERR ÉWARN DEBUG", "debug"),
        ("WARNINGS but ERR:", "error"),
        ("x" * 251 + " INFO" + "RMATION", "info"),  # the first 256 characters are read
        ("level=² sent", None),  # a digit int() refuses is no number (and no crash)
    ],
)
def test_detect_level(text: str, level: str | None) -> None:
    assert detect_level(text) == level


@pytest.mark.parametrize(
    ("chunks", "expected", "pending"),
    [
        ([b"a\nb"], [(b"a", False)], 1),
        ([b"a", b"b\n"], [(b"ab", False)], 0),
        ([b"\n\n"], [(b"", False), (b"", False)], 0),
        ([b"x" * 12], [(b"x" * 10, True)], 0),
        ([b"x" * 8, b"x" * 8, b"yy\nok\n"], [(b"x" * 10, True), (b"ok", False)], 0),
        ([b"x" * 12 + b"\nz\n"], [(b"x" * 10, True), (b"z", False)], 0),
    ],
)
def test_line_assembler(
    chunks: list[bytes], expected: list[tuple[bytes, bool]], pending: int
) -> None:
    assembler = LineAssembler(cap=10)
    out: list[tuple[bytes, bool]] = []
    for chunk in chunks:
        out += assembler.feed(chunk)
    assert out == expected
    assert assembler.pending == pending


def _batch(clock: ManualClock, *texts: str, start: int = 0) -> LogBatch:
    items = tuple(LogLine("app", t, detect_level(t), start + i) for i, t in enumerate(texts))
    return LogBatch(items, clock.now())


def test_buffer_refilters_its_backlog_and_keeps_events(clock: ManualClock) -> None:
    buffer = LogBuffer(capacity=4, log_filter=LogFilter.parse("auth"))
    shown = buffer.append(_batch(clock, "auth ok", "db slow", "AUTH fail"))
    assert [i.text for i in shown] == ["auth ok", "AUTH fail"]
    event = LogEvent("app", "truncated", "app.log was truncated", 9)
    assert buffer.append(LogBatch((event,), clock.now())) == (event,)
    assert [i.text for i in buffer.set_filter(LogFilter.parse("db"))] == [
        "db slow",
        "app.log was truncated",
    ]
    buffer.append(_batch(clock, "db again", start=10))
    assert len(buffer) == 4  # bounded: "auth ok" fell off
    assert buffer.set_filter(LogFilter())[0].text == "db slow"


def test_matches_per_minute_counts_every_match_in_the_last_minute(clock: ManualClock) -> None:
    buffer = LogBuffer(capacity=10, log_filter=LogFilter.parse("auth"))
    counter = MatchCounter(LogFilter.parse("error"))
    for _ in range(3):
        batch = _batch(clock, *(["auth error"] * 100), "ok")
        buffer.append(batch)
        counter.observe(batch.items, batch.at)
        clock.advance(20)
    assert buffer.matches_per_minute(clock.now()) == 200  # the first batch is 60 s old
    assert counter.per_minute(clock.now() - timedelta(seconds=1)) == 300  # beyond capacity
    clock.advance(120)
    assert buffer.matches_per_minute(clock.now()) == 0


# --- truncation and rotation that a size check alone misses ------------------------------


def _logrotate() -> str:
    found = shutil.which("logrotate") or next(
        (p for p in ("/usr/sbin/logrotate", "/sbin/logrotate") if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.skip("logrotate is not installed (apt-get install logrotate)")
    return found


def rotate(log: Path, mode: str, state: Path) -> None:
    """One forced run of real logrotate over `log` (`copytruncate` or `create`)."""
    conf = log.parent / f"{log.name}.{mode}.conf"
    conf.write_text(f"{log} {{\n    {mode}\n    rotate 10\n    missingok\n    nocompress\n}}\n")
    conf.chmod(0o644)  # logrotate ignores a config others may write
    subprocess.run([_logrotate(), "-f", "-s", str(state), str(conf)], check=True, timeout=30)


def events_seen(seen: Followed, kind: str, count: int) -> Callable[[], bool]:
    return lambda: len(seen.events(kind)) == count


def text_seen(seen: Followed, text: str) -> Callable[[], bool]:
    return lambda: text in seen.texts


def _one_file_source(log: Path) -> PathSource:
    return PathSource(file_log(log), log, itertools.count(1), 10, LogFilter(), 1 << 20)


def _texts(items: list[LogItem]) -> list[str]:
    return [i.text for i in items if isinstance(i, LogLine)]


def _kinds(items: list[LogItem]) -> list[str]:
    return [i.kind for i in items if isinstance(i, LogEvent)]


def test_truncated_and_refilled_past_the_old_size_between_two_polls_is_read_from_0(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    write(log, lines("old", 300))
    source = _one_file_source(log)
    try:
        source.poll()  # opens at the end
        write(log, lines("old", 2, start=300))
        assert _texts(source.poll()[0]) == ["old 300", "old 301"]
        # Truncated, then more written than was there, before the next poll.
        with open(log, "r+b") as handle:
            handle.truncate(0)
            handle.write(lines("new", 1000).encode())
        items, _ = source.poll()
    finally:
        source.close()
    assert _texts(items) == [f"new {i}" for i in range(1000)]
    assert _kinds(items) == ["truncated"]


def test_truncated_and_refilled_to_the_very_same_size_is_noticed(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "2026-01-01T00:00:01 first\n")
    source = _one_file_source(log)
    try:
        source.poll()
        write(log, "2026-01-01T00:00:02 again\n")
        source.poll()
        size = log.stat().st_size
        refill = "2026-01-01T00:00:03 third\n2026-01-01T00:00:04 fifth\n"
        assert len(refill) == size
        log.write_text(refill)  # truncates and refills: same inode, same size
        os.utime(log, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        items, _ = source.poll()
    finally:
        source.close()
    assert _texts(items) == ["2026-01-01T00:00:03 third", "2026-01-01T00:00:04 fifth"]


@pytest.mark.parametrize("compressed", [False, True], ids=["copy", "gzip copy"])
def test_lines_written_since_the_last_poll_are_taken_from_the_truncated_files_copy(
    tmp_path: Path, compressed: bool
) -> None:
    log = tmp_path / "app.log"
    write(log, lines("a", 5))
    source = _one_file_source(log)
    try:
        assert _texts(source.poll()[0]) == [f"a {i}" for i in range(5)]
        write(log, lines("a", 3, start=5) + "a part")
        data = log.read_bytes()
        # What copytruncate does: copy, then truncate; the new lines are only in the copy.
        if compressed:
            with gzip.open(tmp_path / "app.log.1.gz", "wb") as copy:
                copy.write(data)
        else:
            (tmp_path / "app.log.1").write_bytes(data)
        (tmp_path / "app.log.2").write_bytes(b"an older copy\n" * 20)
        os.truncate(log, 0)
        write(log, "b 0\n")
        items, _ = source.poll()
    finally:
        source.close()
    assert _texts(items) == ["a 5", "a 6", "a 7", "a part", "b 0"]
    name = "app.log.1.gz" if compressed else "app.log.1"
    assert _kinds(items) == ["truncated"]
    assert f"taken from {name}" in next(i.text for i in items if isinstance(i, LogEvent))


async def test_real_logrotate_copytruncate_three_times_loses_nothing(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, "start\n")
    expected = ["start"]
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.until(lambda: seen.texts == ["start"])
        for round_no in range(3):
            rounds = round_no + 1
            # Lines written just before the rotation, read or not yet read when it comes.
            batch = lines(f"round {round_no}", 50)
            write(log, batch)
            expected += batch.splitlines()
            await asyncio.to_thread(rotate, log, "copytruncate", tmp_path / "state")
            await seen.until(events_seen(seen, "truncated", rounds))
        write(log, "after\n")
        expected.append("after")
        await seen.until(lambda: "after" in seen.texts)
    assert seen.texts == expected
    assert (tmp_path / "app.log.3").exists()


async def test_real_logrotate_create_reads_the_old_file_until_the_writer_reopens(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, "start\n")
    expected = ["start"]
    async with following(file_log(log), tmp_path, clock) as seen:
        await seen.until(lambda: seen.texts == ["start"])
        for round_no in range(3):
            rounds, last = round_no + 1, f"late {round_no} 9"
            with open(log, "a") as writer:
                writer.write(lines(f"round {round_no}", 10))
                writer.flush()
                await asyncio.to_thread(rotate, log, "create", tmp_path / "state")
                await seen.until(events_seen(seen, "rotated", rounds))
                # The daemon has not reopened its log yet: it still writes the old file.
                writer.write(lines(f"late {round_no}", 10))
                writer.flush()
                expected += [f"round {round_no} {i}" for i in range(10)]
                expected += [f"late {round_no} {i}" for i in range(10)]
                await seen.until(text_seen(seen, last))
        write(log, "reopened\n")
        expected.append("reopened")
        await seen.until(lambda: "reopened" in seen.texts)
    assert seen.texts == expected


async def test_a_file_that_appears_is_read_at_once_not_at_the_next_poll(
    tmp_path: Path, clock: ManualClock
) -> None:
    probe = FileWatch.create([tmp_path / "x"])
    if probe is None:
        pytest.skip("no inotify here: files are polled")
    probe.close()
    log = tmp_path / "app.log"
    follower = LogFollower(file_log(log), tmp_path, clock, poll_interval=3600)
    stream = follower.stream()
    texts: list[str] = []
    try:
        first = await asyncio.wait_for(anext(stream), 30)
        assert [item.kind for item in first.items if isinstance(item, LogEvent)] == ["waiting"]
        write(log, "appeared\n")  # the next poll is an hour away
        while "appeared" not in texts:
            batch = await asyncio.wait_for(anext(stream), 30)
            texts += [line.text for line in batch.lines]
    finally:
        await stream.aclose()
    assert texts == ["appeared"]

"""`warroom tail`: the last matching lines, then following, sanitized, flushed per batch."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
from pathlib import Path

from warroom.services.clock import ManualClock
from warroom.tui.headless.tail import EXIT_OK, EXIT_USAGE, tail

POLL = 0.02
ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


async def test_prints_the_last_matching_lines_without_following(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    body = "".join(f"{'AUTH fail' if i % 10 == 0 else 'ok'} {i}\n" for i in range(1000))
    write(log, body.encode())
    out, err = io.StringIO(), io.StringIO()
    code = await tail(
        [str(log)], filter_expr="auth", lines=3, out=out, err=err, follow=False, clock=clock
    )
    assert code == EXIT_OK
    assert out.getvalue() == "AUTH fail 970\nAUTH fail 980\nAUTH fail 990\n"


async def test_bad_filter_and_missing_sources_exit_2_with_one_line(
    tmp_path: Path, clock: ManualClock
) -> None:
    err = io.StringIO()
    code = await tail([str(tmp_path / "x")], filter_expr="/a(/", err=err, clock=clock)
    assert code == EXIT_USAGE
    assert err.getvalue().count("\n") == 1 and "invalid regex" in err.getvalue()
    err = io.StringIO()
    assert await tail([], err=err, clock=clock) == EXIT_USAGE
    err = io.StringIO()
    missing = str(tmp_path / "none.toml")
    assert await tail(config_path=missing, err=err, clock=clock) == EXIT_USAGE
    assert err.getvalue() == f"warroom: {missing}: file not found\n"


async def test_config_sources_are_prefixed_with_their_name(
    tmp_path: Path, clock: ManualClock
) -> None:
    write(tmp_path / "api.log", b"api ERROR one\n")
    write(tmp_path / "db.log", b"db ERROR two\nskip\n")
    config = tmp_path / "warroom.toml"
    config.write_text(
        '[[log]]\nname = "api"\npath = "api.log"\n\n'
        '[[log]]\nname = "db"\npath = "db.log"\nfilter = "error"\n'
    )
    out = io.StringIO()
    code = await tail(config_path=str(config), out=out, follow=False, clock=clock, lines=5)
    assert code == EXIT_OK
    assert sorted(out.getvalue().splitlines()) == ["api: api ERROR one", "db: db ERROR two"]


async def test_follows_as_a_real_process_with_inert_output(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, b"old auth line\n")
    script = (
        "import asyncio, sys\n"
        "from warroom.tui.headless.tail import tail\n"
        f"sys.exit(asyncio.run(tail([{str(log)!r}], filter_expr='auth -noise', lines=5,"
        f" poll_interval={POLL})))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 10)
        assert first == b"old auth line\n"
        hostile = [
            b"auth \x1b]0;title\x07",
            b"auth \x1b[2J",
            b"auth \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
            b"auth [bold]x[/]",
            b"auth [@click=app.quit]",
            b"auth noise dropped",
            b"auth \x00\xff",
            b"unrelated",
        ]
        write(log, b"\n".join(hostile) + b"\n")
        got = [await asyncio.wait_for(process.stdout.readline(), 10) for _ in range(6)]
        text = b"".join(got).decode()
        assert text.splitlines() == [
            "auth ␛]0;title␇",
            "auth ␛[2J",
            "auth ␛]8;;http://evil.example/␛\\link␛]8;;␛\\",
            "auth [bold]x[/]",
            "auth [@click=app.quit]",
            "auth ␀\ufffd",
        ]
        assert "\x1b" not in text and "\x07" not in text
        # Truncation is reported on stderr while stdout keeps only lines.
        os.truncate(log, 0)
        assert process.stderr is not None
        message = await asyncio.wait_for(process.stderr.readline(), 10)
        assert b"truncated" in message
    finally:
        process.kill()
        await process.wait()


async def test_stops_quietly_when_the_reader_goes_away(tmp_path: Path, clock: ManualClock) -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    log = tmp_path / "app.log"
    write(log, b"line\n")
    code = await asyncio.wait_for(tail([str(log)], out=Closed(), clock=clock), 5)
    assert code == EXIT_OK


async def test_every_line_appended_after_start_is_printed(tmp_path: Path) -> None:
    """`--lines` bounds the backlog only: a burst after start is printed whole."""
    log = tmp_path / "app.log"
    log.write_text("")
    out = io.StringIO()
    task = asyncio.create_task(
        tail(
            [str(log)], filter_expr="auth", lines=0, out=out, err=io.StringIO(), poll_interval=0.02
        )
    )
    # Following has begun once a probe line comes out (one written before the file was
    # opened is skipped, as `--lines 0` asks): no guess at how long starting takes.
    probes = 0
    while "auth probe" not in out.getvalue():
        assert probes < 500, "tail never started following"
        write(log, f"auth probe {probes}\n".encode())
        probes += 1
        await asyncio.sleep(0.02)
    with log.open("a") as f:
        f.write("".join(f"auth failure {n}\n" for n in range(100)))
    for _ in range(500):
        if out.getvalue().count("auth failure") >= 100:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    printed = [line for line in out.getvalue().splitlines() if "probe" not in line]
    assert printed == [f"auth failure {n}" for n in range(100)]


async def test_commands_from_several_hosts_are_prefixed_filtered_and_report_on_stderr(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text(
        '[[log]]\nname = "web-1"\n'
        'command = ["sh", "-c", "echo \'auth ERROR web-1 one\'; echo ok; exec sleep 30"]\n\n'
        '[[log]]\nname = "web-2"\n'
        'command = ["sh", "-c", "echo \'auth ERROR web-2 two\'; exec sleep 30"]\n\n'
        '[[log]]\nname = "web-3"\nrestart_backoff = "10ms"\n'
        'command = ["sh", "-c", "echo \'ssh: connect to host web-3: Connection refused\' >&2;'
        ' exit 255"]\n'
    )
    out, err = io.StringIO(), io.StringIO()
    task = asyncio.create_task(
        tail(config_path=str(config), filter_expr="auth", out=out, err=err, clock=clock)
    )
    try:
        for _ in range(500):
            if out.getvalue().count("\n") >= 2 and err.getvalue().count("exited") >= 3:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sorted(out.getvalue().splitlines()) == [
        "web-1: auth ERROR web-1 one",
        "web-2: auth ERROR web-2 two",
    ]
    reports = err.getvalue().splitlines()
    refused = "warroom tail: web-3: ssh: connect to host web-3: Connection refused"
    assert reports.count(refused) == 1
    assert sum("web-3: command exited with status 255" in line for line in reports) >= 3

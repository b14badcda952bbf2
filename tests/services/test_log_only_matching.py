"""`only_matching`: a follower for a consumer that prints only matching lines (`warroom
tail`) drops the others where they are read, after sanitizing, on real files and a real
subprocess."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.services.test_log_follow import following, write
from warroom.services.clock import ManualClock
from warroom.services.config import LogConfig
from warroom.services.logs.filter import LogFilter


async def test_followed_lines_the_filter_refuses_never_arrive_and_kept_ones_are_sanitized(
    tmp_path: Path, clock: ManualClock
) -> None:
    log = tmp_path / "app.log"
    write(log, "noise before\nauth before\n")
    config = LogConfig(name="app", path=str(log))
    async with following(
        config, tmp_path, clock, backlog_lines=2, log_filter=LogFilter.parse("auth"),
        only_matching=True,
    ) as seen:  # fmt: skip
        # The opening backlog is kept whole: the consumer picks from it.
        await seen.until(lambda: seen.texts == ["noise before", "auth before"])
        await seen.opened(log)
        write(log, b"noise \x1b[2J\nAUTH \x1b]0;retitle\x07 ok\nmore noise\nlast auth\n")
        await seen.until(lambda: "last auth" in seen.texts)
    assert seen.texts[2:] == ["AUTH \u241b]0;retitle\u2407 ok", "last auth"]


async def test_without_a_filter_every_line_arrives(tmp_path: Path, clock: ManualClock) -> None:
    log = tmp_path / "app.log"
    log.touch()
    async with following(
        LogConfig(name="app", path=str(log)), tmp_path, clock, only_matching=True
    ) as seen:
        await seen.opened(log)
        write(log, "one\nERROR two\n")
        await seen.until(lambda: seen.texts == ["one", "ERROR two"])
    assert seen.items[-1].level == "error"  # type: ignore[union-attr]


async def test_a_command_s_lines_are_dropped_by_its_own_filter(
    tmp_path: Path, clock: ManualClock
) -> None:
    script = (
        "print('skip me'); print('auth \\x1b[2J kept', flush=True); import time; time.sleep(30)"
    )
    config = LogConfig(name="cmd", command=[sys.executable, "-c", script], filter="auth")
    async with following(config, tmp_path, clock, only_matching=True) as seen:
        await seen.until(lambda: bool(seen.texts))
    assert seen.texts == ["auth \u241b[2J kept"]

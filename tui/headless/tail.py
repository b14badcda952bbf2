"""`warroom tail`: a correct `tail -F | grep --line-buffered` for scripts.

Prints the last N matching lines of each source, then follows, writing every batch of
matching, sanitized lines to `out` and flushing it, until cancelled. Status events
(waiting, truncated, rotated, exited) go to `err`, as GNU tail reports them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from warroom.services.clock import Clock, SystemClock
from warroom.services.config import ConfigError, LogConfig, load_config
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.follow import LogFollower
from warroom.services.logs.lines import LogEvent, LogItem

EXIT_OK = 0
EXIT_USAGE = 2


def _configs(
    files: Sequence[str], config_path: str | None, err: TextIO
) -> tuple[list[LogConfig], Path] | None:
    if config_path is not None:
        try:
            loaded = load_config(config_path)
        except ConfigError as exc:
            print(str(exc), file=err)
            return None
        if not loaded.config.log:
            print(f"warroom: {config_path}: no [[log]] sections to follow", file=err)
            return None
        return list(loaded.config.log), loaded.base_dir
    if not files:
        print("warroom tail: give FILE... or --config PATH", file=err)
        return None
    return [LogConfig(name=name, path=name) for name in files], Path.cwd()


def _format(item: LogItem, several: bool) -> str:
    if several:
        return f"{item.source}: {item.text}\n"
    return f"{item.text}\n"


async def tail(
    files: Sequence[str] = (),
    *,
    config_path: str | None = None,
    filter_expr: str | None = None,
    lines: int = 10,
    out: TextIO | None = None,
    err: TextIO | None = None,
    follow: bool = True,
    clock: Clock | None = None,
    poll_interval: float = 0.25,
) -> int:
    """Print the last `lines` matching lines of the sources, then follow until cancelled.

    Sources are `files` (paths or globs) or the `[[log]]` sections of `config_path`;
    `filter_expr` overrides each section's filter. Returns the exit code: 2 for a bad
    config, a bad filter or no source, 0 when output ends (the reader went away, or
    `follow` is False and the backlog was printed).
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    found = _configs(files, config_path, err)
    if found is None:
        return EXIT_USAGE
    configs, base_dir = found
    log_filter: LogFilter | None = None
    if filter_expr is not None:
        log_filter = LogFilter.parse(filter_expr)
        if log_filter.error is not None:
            print(f"warroom tail: --filter: {log_filter.error}", file=err)
            return EXIT_USAGE
    filters = {c.name: log_filter or LogFilter.parse(c.filter) for c in configs}
    several = len(configs) > 1 or any(
        c.path is not None and any(ch in c.path for ch in "*?[") for c in configs
    )
    follower = LogFollower(
        configs,
        base_dir,
        clock if clock is not None else SystemClock(),
        poll_interval,
        backlog_lines=max(lines, 0),
        log_filter=log_filter,
        # Lines the filter refuses are dropped where they are read, before their level
        # is read or an item made; each is still checked below, as it always was.
        only_matching=True,
    )
    stream = follower.stream()
    try:
        async for batch in stream:
            chunk: list[str] = []
            events: list[str] = []
            for item in batch.items:
                if isinstance(item, LogEvent):
                    events.append(f"warroom tail: {item.source}: {item.text}\n")
                    continue
                chosen = filters.get(item.source) or filters.get(
                    item.source.rsplit(":", 1)[0], LogFilter()
                )
                if chosen.matches(item.text):
                    chunk.append(_format(item, several))
            if batch.backlog:
                # The opening backlog may hold more matches than asked (it also keeps
                # the last screen); print only the last `lines` of them. Lines that
                # arrive later are all printed, however many.
                chunk = chunk[-lines:] if lines > 0 else []
            try:
                if events:
                    err.write("".join(events))
                    err.flush()
                if chunk:
                    out.write("".join(chunk))
                    out.flush()
            except BrokenPipeError:
                return EXIT_OK
            if not follow:
                return EXIT_OK
    finally:
        await stream.aclose()
    return EXIT_OK  # pragma: no cover - the stream never ends by itself

"""Logs followed like GNU `tail -F`: files (or globs) and commands, merged as sanitized lines.

This is what `tail -F file | grep` gets wrong, done right: a rotated file is read to its
end before the new one is followed (nothing lost, nothing twice); a truncated file is
noticed and read again from the start; a missing or unreadable file is waited for; a
partial last line is held until its newline; every byte is decoded with replacement and
sanitized at ingestion. Opening a file reads it from its end, scanning backwards in
blocks, so a gigabyte log opens as fast as a small one.

Several `[[log]]` sources (files on this machine, `ssh host tail -F ...` or
`kubectl logs -f ...` commands for the others) are merged here in arrival order, each
line tagged with its source's name, and delivered in batches of about 50 ms (at most
`max_batch` items), so a user interface receives one update per frame.

The pieces live beside this module: the line model (`lines.py`), level detection
(`levels.py`), the backwards scan (`backwards.py`), rotation (`rotation.py`), one path
followed by name (`file_tail.py`) in its polling thread (`polling.py`), a command
(`command.py`) and the pane's backlog (`buffer.py`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

from warroom.services.clock import Clock
from warroom.services.config import LogConfig
from warroom.services.logs.backwards import DEFAULT_MAX_SCAN
from warroom.services.logs.buffer import LogBuffer
from warroom.services.logs.command import CommandSource
from warroom.services.logs.file_tail import PathSource
from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import Backlog, ItemMaker, LogBatch, LogEvent, LogItem, LogLine
from warroom.services.logs.polling import PathPoller

# The values a follower yields stay importable from here, where the code imported them
# from before the line model and the backlog had modules of their own; new code imports
# them from `lines` and `buffer`.
__all__ = ["LogBatch", "LogBuffer", "LogEvent", "LogFollower", "LogItem", "LogLine"]


class LogFollower:
    """Follows one or several `[[log]]` sources and yields merged batches of lines.

    `base_dir` resolves relative paths (the config file's folder). `backlog_lines` lines
    (and as many lines matching the config's filter) are read from the end of files that
    exist at start. Commands are restarted after they exit, waiting `restart_backoff`,
    doubled on each quick exit up to a minute. `only_matching` drops the followed lines
    each source's filter refuses as they are read (sanitized first, as always), for a
    consumer that prints only matching lines; the opening backlog is kept whole.
    """

    def __init__(
        self,
        config: LogConfig | Sequence[LogConfig],
        base_dir: Path,
        clock: Clock,
        poll_interval: float = 0.25,
        *,
        backlog_lines: int = 200,
        log_filter: LogFilter | None = None,
        batch_window: float = 0.05,
        max_batch: int = 5_000,
        max_scan_bytes: int = DEFAULT_MAX_SCAN,
        only_matching: bool = False,
    ) -> None:
        self.configs = [config] if isinstance(config, LogConfig) else list(config)
        self.base_dir = base_dir
        self.clock = clock
        self.poll_interval = poll_interval
        self.backlog_lines = backlog_lines
        self.log_filter = log_filter
        self.batch_window = batch_window
        self.max_batch = max_batch
        self.max_scan_bytes = max_scan_bytes
        self.only_matching = only_matching
        self._counter = itertools.count(1)

    async def stream(self) -> AsyncGenerator[LogBatch, None]:
        """Batches of new lines and events, forever; cancel the consumer to stop."""
        # Few lists in flight: a reader far ahead of its consumer waits (the file keeps
        # the lines) instead of piling up objects that make garbage collection pause.
        queue: asyncio.Queue[list[LogItem]] = asyncio.Queue(maxsize=8)
        tasks = [asyncio.create_task(self._run(config, queue)) for config in self.configs]
        loop = asyncio.get_running_loop()
        pending: list[LogItem] | None = None
        # One file needs no merging window: its thread already reads a growing file in
        # `batch_window` steps, each step one batch. Several sources (or a command's
        # pipe, read as it comes) are gathered for `batch_window` into one batch.
        single_file = len(self.configs) == 1 and self.configs[0].command is None
        window = 0.0 if single_file else self.batch_window
        try:
            while True:
                got = pending if pending is not None else await queue.get()
                pending = None
                # The backlogs of every source opened at start make one batch; lines
                # that were followed never join it.
                backlog = isinstance(got, Backlog)
                items = list(got)
                deadline = loop.time() + window
                while backlog or len(items) < self.max_batch:
                    if not queue.empty():
                        more = queue.get_nowait()
                    else:
                        remaining = deadline - loop.time()
                        if remaining <= 0:
                            break
                        try:
                            # Not `wait_for`: on Python 3.11 it can swallow a cancel
                            # that comes as a batch arrives, and the follow never ends.
                            async with asyncio.timeout(remaining):
                                more = await queue.get()
                        except TimeoutError:
                            break
                    if isinstance(more, Backlog) != backlog:
                        pending = more
                        break
                    items.extend(more)
                yield LogBatch(tuple(items), self.clock.now(), backlog=backlog)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, config: LogConfig, queue: asyncio.Queue[list[LogItem]]) -> None:
        keep = None
        if self.only_matching:
            log_filter = self._filter_for(config)
            keep = None if log_filter.is_empty else log_filter.matches
        maker = ItemMaker(config.name, self._counter, keep)
        try:
            if config.command is not None:
                await CommandSource(config, config.command, maker, self.clock).run(queue)
            elif config.path is not None:
                await self._run_path(config, config.path, queue)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must show, not silently stop one source
            await queue.put([maker.event("error", f"stopped following: {exc!r}")])

    def _filter_for(self, config: LogConfig) -> LogFilter:
        if self.log_filter is not None:
            return self.log_filter
        return LogFilter.parse(config.filter)

    async def _run_path(
        self, config: LogConfig, raw_path: str, queue: asyncio.Queue[list[LogItem]]
    ) -> None:
        path = Path(os.path.expanduser(raw_path))
        if not path.is_absolute():
            path = self.base_dir / path
        source = PathSource(
            config,
            path,
            self._counter,
            self.backlog_lines,
            self._filter_for(config),
            self.max_scan_bytes,
            only_matching=self.only_matching,
        )
        poller = PathPoller(
            source,
            poll_interval=self.poll_interval,
            batch_window=self.batch_window,
            max_batch=self.max_batch,
        )
        await poller.run(queue)

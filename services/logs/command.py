"""A `[[log]] command`: a program whose output is a log (`ssh host tail -F`, `kubectl logs -f`).

This is how logs from other machines arrive: the command runs with no shell, in a
process group of its own that ends with it; its stdout is cut into sanitized lines like
a file's. When it exits it is started again, waiting `restart_backoff`, doubled on each
quick exit up to a minute, so an unreachable host is retried without being hammered.

Its stderr is not log content but what the command says about itself ("Connection
refused", "pod not found"): each line is shown as a `stderr` status event, sanitized
and masked (a token in an error is `***`). A line already shown is not shown again
while the command keeps failing, so a host that is down for an hour says so once, not
once per restart; after a healthy minute it is news again. At most `MAX_STDERR_LINES`
are shown per run (and per minute of a long run): a chatty command cannot drown its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections import OrderedDict

from warroom.services.clock import Clock
from warroom.services.config import LogConfig
from warroom.services.logs.lines import READ_CHUNK, ItemMaker, LineAssembler, LogItem, decode_line
from warroom.services.process import GroupProcess
from warroom.services.process import start as start_process
from warroom.services.redact import mask

HEALTHY_RUN = 60.0
"""Seconds a run must last to count as healthy: the backoff and the stderr shown reset."""
MAX_BACKOFF = 60.0
"""The longest wait between two runs (unless `restart_backoff` itself is longer)."""
MAX_STDERR_LINES = 20
"""Stderr lines shown per run (per `HEALTHY_RUN` of a long one) at most; the rest are
counted in the exit event."""
REMEMBERED_STDERR = 256
"""Distinct stderr lines remembered as already shown (the oldest are forgotten)."""
STDERR_LINE_BYTES = 2048
"""Bytes kept of one stderr line: a status line, not a log line."""
STDERR_GRACE = 1.0
"""Seconds stderr is read after the command exited, before its group is ended."""


class CommandSource:
    """Runs one `[[log]] command` forever, putting its lines and events on a queue.

    The owner cancels the task awaiting `run`; the command's whole process group is
    stopped before the cancellation goes on.
    """

    def __init__(self, config: LogConfig, argv: list[str], maker: ItemMaker, clock: Clock) -> None:
        self.config = config
        self.argv = argv
        self.maker = maker
        self.clock = clock
        self.shown = mask(shlex.join(argv))  # a token in the argv is shown as ***
        self._stderr_seen: OrderedDict[str, None] = OrderedDict()

    async def run(self, queue: asyncio.Queue[list[LogItem]]) -> None:
        """Run, read and restart the command until cancelled."""
        quick_exits = 0
        while True:
            started = self.clock.monotonic()
            status = await self._run_once(queue)
            if self.clock.monotonic() - started >= HEALTHY_RUN:
                quick_exits = 0
                # A failure after a healthy run is news again, even with the same words.
                self._stderr_seen.clear()
            backoff = self.config.restart_backoff
            delay = min(backoff * (2**quick_exits), max(MAX_BACKOFF, backoff))
            quick_exits += 1
            await queue.put([self.maker.event("exited", f"{status}; restarting in {delay:g}s")])
            await asyncio.sleep(delay)

    async def _run_once(self, queue: asyncio.Queue[list[LogItem]]) -> str:
        """One run of the command, to its end; returns how it ended, for people."""
        try:
            process = await start_process(self.argv, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            return f"could not run {self.shown}: {exc.strerror or exc}"
        await queue.put([self.maker.event("started", f"running {self.shown}")])
        stderr = asyncio.create_task(self._read_stderr(process, queue))
        hidden = 0
        try:
            await self._read_stdout(process, queue)
            code = await process.wait()
            # Its last words are read before the group ends and the pipes are closed; a
            # member left holding stderr open is not waited for long.
            await asyncio.wait({stderr}, timeout=STDERR_GRACE)
        finally:
            # Nothing the command started outlives it: its whole process group ends.
            try:
                if process.returncode is None:
                    await process.stop(grace=1.0)
                else:
                    await process.finish(grace=1.0)
            finally:
                if not stderr.done():
                    stderr.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    hidden = await stderr
        if code < 0:
            status = f"command exited on signal {-code}"
        else:
            status = f"command exited with status {code}"
        if hidden:
            status += f" ({hidden} more stderr lines not shown)"
        return status

    async def _read_stdout(
        self, process: GroupProcess, queue: asyncio.Queue[list[LogItem]]
    ) -> None:
        assembler = LineAssembler()
        assert process.stdout is not None
        while True:
            data = await process.stdout.read(READ_CHUNK)
            if not data:
                break
            raws, truncated = assembler.split(data)
            if raws:
                items = self.maker.raws(raws, truncated)
                if items:  # a maker that keeps only matching lines may keep none
                    await queue.put(list(items))
        flushed = assembler.flush()
        if flushed is not None:
            await queue.put([self.maker.raw(*flushed)])

    async def _read_stderr(self, process: GroupProcess, queue: asyncio.Queue[list[LogItem]]) -> int:
        """Show each new stderr line once, as it comes; returns how many were held back."""
        pipe = process.proc.stderr
        if pipe is None:
            return 0
        assembler = LineAssembler(STDERR_LINE_BYTES)
        shown = 0
        hidden = 0
        window = self.clock.monotonic()
        while True:
            data = await pipe.read(READ_CHUNK)
            pieces = assembler.feed(data) if data else []
            if not data:
                flushed = assembler.flush()
                if flushed is not None:
                    pieces.append(flushed)
            for raw, truncated in pieces:
                now = self.clock.monotonic()
                if now - window >= HEALTHY_RUN:
                    # A command that has run this long is not failing in a loop: what it
                    # says now is news, even in words it used before.
                    window = now
                    shown = 0
                    self._stderr_seen.clear()
                text = mask(decode_line(raw, truncated)).strip()
                if not text or text in self._stderr_seen:
                    continue
                if shown >= MAX_STDERR_LINES:
                    hidden += 1
                    continue
                self._remember(text)
                shown += 1
                await queue.put([self.maker.event("stderr", text)])
            if not data:
                return hidden

    def _remember(self, text: str) -> None:
        self._stderr_seen[text] = None
        while len(self._stderr_seen) > REMEMBERED_STDERR:
            self._stderr_seen.popitem(last=False)

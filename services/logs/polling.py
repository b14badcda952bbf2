"""A `[[log]] path` polled in a thread of its own, its lines handed to the event loop.

An idle file costs a `stat` per `poll_interval` in its thread and nothing on the event
loop; a growing one is read again after each batch window; where the system can tell
(inotify), a write wakes the thread at once. Lines are handed over at most once per
`batch_window`, in pieces of at most `max_batch`, so the event loop wakes no more often
than once per window per path, however fast the file grows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import threading
import time

from warroom.services.logs.file_tail import PathSource
from warroom.services.logs.lines import Backlog, LogItem
from warroom.services.logs.watch import FileWatch


class PathPoller:
    """Runs one `PathSource` in its own thread until cancelled; the files close there.

    Owned by the task that awaits `run`: cancelling that task stops the thread, which
    finishes the poll in flight and closes its files itself, so no descriptor is ever
    closed under a read.
    """

    def __init__(
        self,
        source: PathSource,
        *,
        poll_interval: float,
        batch_window: float,
        max_batch: int,
    ) -> None:
        self.source = source
        self.poll_interval = poll_interval
        self.batch_window = batch_window
        self.max_batch = max_batch

    async def run(self, queue: asyncio.Queue[list[LogItem]]) -> None:
        """Follow the path, putting lists of items on `queue`, until cancelled.

        An error in the thread is raised here, for the caller to report.
        """
        source = self.source
        loop = asyncio.get_running_loop()
        stop = _Stop()
        # Woken at each write where the system can tell (as `tail -F` is), else polled.
        watch = FileWatch.create([source.pattern])
        ended: asyncio.Future[None] = loop.create_future()
        thread = threading.Thread(
            target=self._poll,
            args=(source, queue, loop, stop, watch, ended),
            name=f"log-follow {source.config.name}",
            daemon=True,
        )
        try:
            thread.start()
        except BaseException:
            if watch is not None:
                watch.close()
            source.close()
            raise
        try:
            await asyncio.shield(ended)
        finally:
            stop.set()
            if watch is not None:
                watch.wake()
            # The poll in flight finishes and the thread closes the files (and the
            # watch) itself, so no descriptor is ever closed under a read.
            with contextlib.suppress(BaseException):
                await ended

    def _poll(
        self,
        source: PathSource,
        queue: asyncio.Queue[list[LogItem]],
        loop: asyncio.AbstractEventLoop,
        stop: _Stop,
        watch: FileWatch | None,
        ended: asyncio.Future[None],
    ) -> None:
        """Poll one path source in its own thread until `stop`; settle `ended` when done.

        An idle file costs a `stat` per `poll_interval` here and nothing on the event
        loop. With a `watch`, a write wakes the thread at once and is read at once (a
        line that lives on disk for a moment, as under `copytruncate`, is not missed);
        what is read is still handed over at most once per `batch_window`, so the event
        loop is woken no more often than without it.
        """
        error: Exception | None = None
        pending: list[LogItem] = []
        handed = -math.inf
        inflight: concurrent.futures.Future[None] | None = None
        try:
            opening = True
            while not stop.is_set():
                items, more = source.poll()
                now = time.monotonic()
                if opening:
                    # The opening backlog stays whole, in a batch of its own.
                    if items:
                        inflight = _hand_over(Backlog(items), queue, loop, stop)
                    opening = False
                    handed = now
                    items = []
                pending.extend(items)
                if pending and (
                    more or now - handed >= self.batch_window or len(pending) >= self.max_batch
                ):
                    # A long read goes out in pieces, so no batch holds the consumer (and
                    # the event loop) for long.
                    for start in range(0, len(pending), self.max_batch):
                        piece = pending[start : start + self.max_batch]
                        inflight = _hand_over(piece, queue, loop, stop, inflight)
                    pending = []
                    handed = now
                if more:
                    continue
                if pending:
                    timeout = self.batch_window - (now - handed)
                else:
                    # A log being written is read again soon, in small steps; an idle
                    # one is looked at every `poll_interval`.
                    timeout = self.batch_window if items else self.poll_interval
                if watch is not None:
                    watch.wait(timeout)
                else:
                    stop.wait(timeout)
        except Exception as exc:  # reported by the source's task, as any other failure
            error = exc
        finally:
            if inflight is not None:
                inflight.cancel()  # nobody reads the queue any more: drop a waiting put
            source.close()
            with contextlib.suppress(RuntimeError):  # the event loop is already closed
                loop.call_soon_threadsafe(_settle, ended, error)
            if watch is not None:
                # After `ended`: the kernel takes 10-20 ms to retire the watch, which
                # nobody waits for (a quitting dashboard, a follower being replaced).
                watch.close()


def _hand_over(
    items: list[LogItem],
    queue: asyncio.Queue[list[LogItem]],
    loop: asyncio.AbstractEventLoop,
    stop: _Stop,
    previous: concurrent.futures.Future[None] | None = None,
) -> concurrent.futures.Future[None] | None:
    """Queue `items` from a polling thread; returns the put in flight.

    The thread does not wait for its own put: it goes back to reading at once (a line
    that is on disk only for a moment is read in that moment). It waits for the
    `previous` put before queueing the next, so a full queue still holds the reader
    back and batches stay in order. None when stopped while waiting.
    """
    if previous is not None and not _settled(previous, stop):
        return None
    return asyncio.run_coroutine_threadsafe(queue.put(items), loop)


def _settled(future: concurrent.futures.Future[None], stop: _Stop) -> bool:
    """Wait for a put to finish; False when `stop` came first (the put is dropped)."""
    while True:
        try:
            future.result(timeout=0.1)
            return True
        except concurrent.futures.TimeoutError:
            if stop.is_set():
                future.cancel()
                return False
        except concurrent.futures.CancelledError:
            return False


class _Stop:
    """A stop flag a polling thread sleeps on: `wait` returns at once when it is set.

    A lock held until `set`: waiting is one timed acquire, with none of the per-call
    bookkeeping of `threading.Event.wait` (it runs four times a second per file).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        """Stop: wakes a waiting thread now."""
        if not self._set:
            self._set = True
            self._lock.release()

    def is_set(self) -> bool:
        """Whether stop was asked for."""
        return self._set

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, or until `set`; whether it is set."""
        if self._set:
            return True
        if self._lock.acquire(timeout=timeout):
            self._lock.release()  # let any other waiter through too
        return self._set


def _settle(ended: asyncio.Future[None], error: Exception | None) -> None:
    if ended.done():
        return
    if error is None:
        ended.set_result(None)
    else:
        ended.set_exception(error)

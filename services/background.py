"""Reads run off the event loop in daemon threads, which a quitting process leaves behind.

`asyncio.to_thread` runs on the loop's default executor, and the loop's shutdown waits for
every thread of it: a `q` pressed while git is being read (its library imported, the
running service asked for its version) waited for the whole read. A read has nothing to
finish for anyone once the app ends, so it runs on a daemon thread instead. Writes (the
journal, an action's record) keep `asyncio.to_thread`: those must end.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def read_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` on a daemon thread; its result (or exception) here.

    Cancelling the await leaves the thread to finish on its own; its result is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile: nobody waits for it
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(*args, **kwargs), None
        except BaseException as exc:  # handed to the awaiting task, raised there
            result, error = None, exc
        # The loop may be closed by now (the app quit): then there is no one to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    name = f"warroom-read-{getattr(fn, '__name__', 'call')}"
    threading.Thread(target=run, name=name, daemon=True).start()
    return await future

"""Waiting on conditions, not on the clock: one timeout for a whole loaded machine.

The suite must pass with every core busy, so a test never sleeps a fixed time before
it asserts; it polls what a user would notice until it holds. WAIT is generous (a
condition a healthy system reaches in milliseconds still arrives on a starved one)
yet short enough that a broken test fails within seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

WAIT = 15.0
"""Seconds any single condition may take to come true before the test fails."""

POLL = 0.02
"""Seconds between two looks at a condition."""


async def eventually(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Let the event loop run until `predicate` holds; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s")
        await asyncio.sleep(POLL)


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Block until `predicate` holds (for threads and child processes); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s")
        time.sleep(POLL)

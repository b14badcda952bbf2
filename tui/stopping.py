"""Ending the process when its terminal goes away or it is told to stop.

A dashboard whose terminal closed (SIGHUP: an SSH session dropped, a tmux pane
killed) or that is told to stop (SIGTERM) must end within a second, whatever it is
doing: importing Textual before the first frame, loading the services behind it, or
running. `Stopper` is the one owner of that:

- Before the app's event loop runs, a signal raises `SystemExit`, so the caller's
  `finally` blocks (the demo's temp dir) run as on any exit.
- While it runs, the signal asks the app to exit the ordinary way (the journal is
  closed, the demo's service stopped, its temp dir removed).
- A terminal that hung up is replaced by /dev/null: writes to it would fail (and stop
  Textual's writer thread, whose full queue would then block the UI loop forever) and
  reads would return end-of-file at once. Textual's SIGCONT handler, which would
  restart the terminal mode in the middle of whatever the loop was doing (the kernel
  sends SIGCONT with the hangup), is switched off.
- Whatever still holds the process after `DEADLINE` seconds (a thread stuck in a
  call), the registered emergency cleanups run and the process exits at once.

Python runs signal handlers in the main thread in signal-number order, so SIGHUP (1)
and SIGTERM (15) are handled before the SIGCONT (18) that comes with a hangup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import termios
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol

DEADLINE = 1.0
"""Seconds from the signal to the end of the process, at the latest."""

STOP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


class Exitable(Protocol):
    """What the stopper needs of the app: Textual's `App.exit`."""

    def exit(self, result: int | None = None, return_code: int = 0) -> None:
        """End the app with `return_code`."""


class Stopper:
    """Turns SIGHUP and SIGTERM into a prompt, clean end of the process."""

    def __init__(self, deadline: float = DEADLINE) -> None:
        self._deadline = deadline
        self._lock = threading.Lock()
        self._app: Exitable | None = None
        self._finishing = False
        self._signum: int | None = None
        self._cleanups: list[Callable[[], None]] = []
        self._ttys: tuple[int, ...] = ()

    def install(self) -> None:
        """Handle SIGHUP and SIGTERM from now on (call it first thing, in the main thread)."""
        # Which of stdin/stdout/stderr are the terminal; after a hangup they no longer
        # answer as one.
        self._ttys = tuple(fd for fd in (0, 1, 2) if os.isatty(fd))
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)

    def attach(self, app: Exitable) -> None:
        """The app a signal asks to exit once its event loop runs."""
        self._app = app

    def finishing(self) -> None:
        """The app has returned: a signal now only bounds the clean-up that follows."""
        self._finishing = True

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` (from another thread) if the process must end at the deadline."""
        with self._lock:
            self._cleanups.append(cleanup)

    @property
    def signum(self) -> int | None:
        """The signal that asked the process to stop, if one did."""
        return self._signum

    @property
    def exit_status(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + (self._signum or 0)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        first = self._signum is None
        if first:
            self._signum = signum
            # Armed first: whatever follows, the process ends by the deadline.
            threading.Thread(target=self._at_deadline, name="warroom-deadline", daemon=True).start()
        if signum == signal.SIGHUP:
            self._detach_terminal()
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and self._app is not None:
            # The handler runs between two steps of the loop: hand the exit to the loop.
            loop.call_soon_threadsafe(self._app.exit, None, self.exit_status)
        elif first and not self._finishing:
            raise SystemExit(self.exit_status)

    def _detach_terminal(self) -> None:
        """Replace a terminal that hung up with /dev/null (a live one is left alone)."""
        gone = [fd for fd in self._ttys if not _answers(fd)]
        if not gone:
            return
        # Textual restarts its terminal mode on SIGCONT; there is no terminal to restart.
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGCONT, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        try:
            for fd in gone:
                os.dup2(null, fd)
        finally:
            os.close(null)

    def _at_deadline(self) -> None:
        threading.Event().wait(self._deadline)
        with self._lock:
            cleanups = list(reversed(self._cleanups))
        for cleanup in cleanups:
            # Each gets a moment; none may hold the exit up.
            worker = threading.Thread(target=_quietly, args=(cleanup,), daemon=True)
            worker.start()
            worker.join(0.2)
        os._exit(self.exit_status)


def _answers(fd: int) -> bool:
    """Whether `fd` is still a working terminal (a hung-up one fails every request)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError):
        return False
    return True


def _quietly(cleanup: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        cleanup()


STOPPER = Stopper()
"""The process's one stopper: `warroom` and `warroom demo` install it."""

"""The terminal driver: Textual's own, with an input thread that sleeps while idle.

Textual's Linux driver reads the keyboard in a thread that wakes ten times a second,
input or not, to notice a lone Escape (sent alone, it is the Escape key; followed by
more bytes within a moment, it starts a sequence) and to notice that it must stop.
Here the thread sleeps until there is input, wakes for the Escape only while a
sequence is unfinished, and is woken at once to stop. Keys, mouse, paste and resize
are parsed and dispatched exactly as Textual does.

It copies Textual's input loop and reads its parser's pending timeout, which is
safe only because Textual is pinned to one version.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver


class _WakingEvent(threading.Event):
    """The driver's stop flag; setting it also wakes the sleeping input thread."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd: int | None = wake_fd

    def set(self) -> None:
        super().set()
        if self._wake_fd is not None:
            # A full pipe means the thread is woken already.
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_fd, b"x")

    def close(self) -> None:
        """Stop waking (the pipe is about to close)."""
        self._wake_fd = None


class QuietDriver(LinuxDriver):
    """Textual's Linux driver whose input thread uses no CPU while nothing is typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        self._wake_write = wake_write
        self._waking = _WakingEvent(wake_write)
        self.exit_event = self._waking

    def run_input_thread(self) -> None:
        """Wait for input (or the stop flag) and dispatch events."""
        selector = selectors.DefaultSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def wait() -> float | None:
            # Sleep until input, unless an unfinished sequence must time out.
            pending = parser._timeout_time
            if pending is None:
                return None
            return max(0.0, min(0.1, pending - get_time()))

        def dispatch(ready: list[tuple[selectors.SelectorKey, int]], final: bool) -> None:
            for key, _mask in ready:
                if key.fd == self._wake_read:
                    self._drain_wake()
                    continue
                data = decode(os.read(self.fileno, 1024 * 4), final=final)
                if not data:
                    break  # stdin is a pipe that was closed
                for event in parser.feed(data):
                    self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            self._drain_wake()  # a stop flag set (and cleared) before this thread began
            while not self.exit_event.is_set():
                dispatch(selector.select(wait()), final=False)
            selector.unregister(self.fileno)
            dispatch(selector.select(0.1), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 512):
                pass

    def close(self) -> None:
        super().close()
        self._waking.close()
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

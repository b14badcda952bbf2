"""Run a program in a pseudo-terminal of a given size and watch what it draws."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]")


@dataclass
class PtyProcess:
    """A child process attached to a pty; `output` is everything it wrote, escapes removed."""

    pid: int
    fd: int
    started: float
    output: bytearray = field(default_factory=bytearray)

    def pump(self, timeout: float = 0.05) -> None:
        """Read what is available, so the child never blocks on a full terminal."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            self.output += _ESCAPES.sub(b"", data)

    def wait_for(self, needles: Sequence[str], timeout: float) -> float | None:
        """Seconds from start until every needle has been drawn, or None on timeout."""
        wanted = [n.encode() for n in needles]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if all(n in self.output for n in wanted):
                return time.monotonic() - self.started
        return None

    def send(self, data: bytes) -> None:
        """Type into the terminal."""
        os.write(self.fd, data)

    def wait_exit(self, timeout: float) -> float | None:
        """Seconds until the child exits (reaped), or None if it is still running."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            self.pump(0.01)
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                self.fd = -1
                return time.monotonic() - start
        return None

    def stop(self) -> None:
        """Terminate the child and reap it."""
        if self.fd < 0:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                self.pump(0.02)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    os.close(self.fd)
                    return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def spawn(
    argv: Sequence[str], cols: int = 80, rows: int = 24, cwd: str | None = None
) -> PtyProcess:
    """Start `argv` in a new pty of `cols` x `rows`."""
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        if cwd:
            os.chdir(cwd)
        os.environ["TERM"] = "xterm-256color"
        os.execvp(argv[0], list(argv))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return PtyProcess(pid=pid, fd=fd, started=started)

"""The demo's error log: lines like a real auth-api's, flushed a block at a time.

Like a service whose logger buffers its lines, the writer appends the events of the last
couple of seconds in one write, about two events a second: usually a line, sometimes a
burst of failures or a stack trace, and now and then a hostile line full of escape
sequences and markup, so the sanitizer always has something to show.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from warroom.services.clock import Clock
from warroom.services.demo.traffic import Mode

LOG_EVENTS_PER_S = 2.0
"""Logged events a second (one line each, or a burst or a stack trace)."""

BACKLOG_EVENTS = 24
"""Events already in the log at start (three minutes' worth), so the pane is not empty."""

_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory", "trent")
_HOSTILE = (
    "WARN  auth-api: rejected user-agent "
    '"\x1b]0;pwned\x07\x1b[2J[bold red]ROOT SHELL[/] [link=https://evil.example]click[/link]"',
    "WARN  auth-api: odd username in login form: "
    '"admin\u202egnp.exe\x1b[31m[blink]ALERT[/blink]\x1b[0m"',
)
_TRACE = (
    "Traceback (most recent call last):",
    '  File "/srv/auth/handlers.py", line 88, in login',
    "    token = tokens.issue(user, scope=request.scope)",
    '  File "/srv/auth/tokens.py", line 41, in issue',
    "    key = self.keys.current()",
    '  File "/srv/auth/keys.py", line 17, in current',
    '    raise SigningKeyError("signing key kid=2026-01 not loaded")',
    "auth.keys.SigningKeyError: signing key kid=2026-01 not loaded",
)


def log_lines(rng: random.Random, mode: Mode, now: datetime, hostile_odds: float) -> list[str]:
    """One write's worth of log lines: usually one, sometimes a burst or a stack trace."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    user = f"user={rng.choice(_USERS)}@example.com"
    rid = f"request_id={rng.getrandbits(48):012x}"
    roll = rng.random()
    if rng.random() < hostile_odds:
        return [f"{stamp} {rng.choice(_HOSTILE)}"]
    error_odds = 0.4 if mode == "broken" else 0.03
    warn_odds = 0.25 if mode == "broken" else 0.1
    if roll < error_odds:
        if mode == "broken" and rng.random() < 0.15:
            head = f"{stamp} ERROR auth-api: unhandled exception in POST /api/auth/login {rid}"
            return [head, *_TRACE]
        if mode == "broken" and rng.random() < 0.2:
            count = rng.randint(4, 9)
            return [
                f"{stamp} ERROR auth-api: auth: login failed for "
                f"user={rng.choice(_USERS)}@example.com reason=invalid_token "
                f"request_id={rng.getrandbits(48):012x}"
                for _ in range(count)
            ]
        reason = rng.choice(
            ("invalid_token", "invalid_token", "signature_mismatch", "key_not_found")
        )
        if mode == "fixed":
            reason = "bad_password"
        return [f"{stamp} ERROR auth-api: auth: login failed for {user} reason={reason} {rid}"]
    if roll < error_odds + warn_odds:
        return [
            rng.choice(
                (
                    f"{stamp} WARN  auth-api: db: connection pool at 91/100, waited 180ms {rid}",
                    f"{stamp} WARN  auth-api: cache: session lookup slow (412ms) {user}",
                    f"{stamp} WARN  auth-api: auth: token refresh retried (attempt 2/3) {user}",
                )
                if mode == "broken"
                else (
                    f"{stamp} WARN  auth-api: cache: session lookup slow (132ms) {user}",
                    f"{stamp} WARN  auth-api: auth: rate limit close for {user}",
                )
            )
        ]
    return [
        rng.choice(
            (
                f"{stamp} INFO  auth-api: auth: login ok {user} {rid}",
                f"{stamp} INFO  auth-api: GET /api/profile 200 {rid}",
                f"{stamp} INFO  auth-api: auth: token refreshed {user}",
                f"{stamp} INFO  auth-api: health: checks evaluated",
            )
        )
    ]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count with the given mean (Knuth's method; means are small)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class LogWriter:
    """Appends the log lines of the simulated service to `path`, in its own thread.

    `mode` says whether production is broken now: the lines follow the deploys.
    """

    def __init__(
        self,
        path: Path,
        clock: Clock,
        mode: Callable[[], Mode],
        rng: random.Random,
        *,
        interval: float = 2.0,
        hostile_odds: float = 0.02,
    ) -> None:
        """`interval`: seconds between flushes (on average); `hostile_odds`: the chance
        that a logged event is an escape-sequence line."""
        self.path = path
        self.clock = clock
        self.mode = mode
        self.interval = interval
        self.hostile_odds = hostile_odds
        self._rng = rng
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Write the backlog, then keep flushing until `stop()`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.write_backlog()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="demo-log-writer")
        self._thread.start()

    def stop(self) -> None:
        """End the writer thread (it wakes at once) and wait for it."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=1.0)

    @property
    def thread(self) -> threading.Thread | None:
        """The writer thread while it runs (for tests proving `stop()` ends it)."""
        return self._thread

    def append(self, lines: list[str]) -> None:
        """One write of whole lines, as a logger's flush."""
        with self.path.open("a", encoding="utf-8") as log:
            log.write("".join(line + "\n" for line in lines))

    def write_backlog(self) -> None:
        """A few minutes of history, so the log pane is not empty at start."""
        now = self.clock.now()
        lines: list[str] = []
        for i in range(BACKLOG_EVENTS):
            at = now - timedelta(seconds=(BACKLOG_EVENTS - i) * 7.5)
            lines += log_lines(self._rng, "broken", at, 0.0)
        lines.append(f"{now.strftime('%Y-%m-%dT%H:%M:%S.000Z')} {_HOSTILE[0]}")
        self.append(lines)

    def flush_lines(self, period: float) -> list[str]:
        """The lines of one flush: the events of the last `period` seconds, oldest first.

        Events come about `LOG_EVENTS_PER_S` a second (at least one per flush), each
        stamped with its own moment within the period.
        """
        rng = self._rng
        mode = self.mode()
        now = self.clock.now()
        count = max(1, _poisson(rng, LOG_EVENTS_PER_S * period))
        offsets = sorted(rng.uniform(0.0, period) for _ in range(count))
        lines: list[str] = []
        for offset in reversed(offsets):
            at = now - timedelta(seconds=offset)
            lines += log_lines(rng, mode, at, self.hostile_odds)
        return lines

    def _run(self) -> None:
        # One append per `interval` (on average) carries every line since the last.
        while True:
            period = self.interval * self._rng.uniform(0.6, 1.4)
            if self._stop.wait(period):
                return
            try:
                self.append(self.flush_lines(period))
            except OSError:
                # The folder is going away (the demo is exiting); stop quietly.
                return

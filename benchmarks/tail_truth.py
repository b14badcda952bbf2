"""Tail truth: the lines `warroom tail` and GNU `tail -F` lose through the same rotations.

Both follow one file at the same time, as child processes, while it is:
- `truncate-refill`: truncated and refilled past its old size within one poll;
- `copytruncate x3`: rotated three times by real `logrotate` with `copytruncate`, while
  a writer appends about 1,000 numbered lines a second;
- `create x3`: rotated three times by `logrotate` with `create`, the writer reopening
  the file on SIGHUP from `postrotate`, as a daemon does.

Every line carries a sequence number; a follower's lost lines are those written and
never printed. "gone from disk" are lines no file holds at the end: under copytruncate,
those written between logrotate's copy and its truncation, which a follower keeps only
if it read them in those few milliseconds (a race, for `tail -F` as for warroom).
The goal: warroom loses no line that stayed on disk, and over all rounds no more lines
than `tail -F`; "warroom only" counts the lines it lost that `tail -F` printed.
Prints a table, then one JSON line; exits 1 when the goal is missed.
`--rounds N` repeats each scenario (3 by default).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEQ = re.compile(rb"seq=(\d+)")
WRITER = r"""
import os, signal, sys, time
path, start, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
reopen = False
stop = False
def on_hup(*_):
    global reopen
    reopen = True
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGHUP, on_hup)
signal.signal(signal.SIGTERM, on_term)
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
seq = start
began = time.monotonic()
while not stop:
    if reopen:
        reopen = False
        os.close(fd)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"2026-01-01T00:00:00Z ERROR request failed seq=%08d\n" % seq)
    seq += 1
    due = began + (seq - start) / rate
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
os.close(fd)
print(seq, flush=True)
"""


def logrotate_binary() -> str | None:
    """`logrotate`, which often lives in /usr/sbin, outside a user's PATH."""
    return shutil.which("logrotate") or next(
        (p for p in ("/usr/sbin/logrotate", "/sbin/logrotate") if os.access(p, os.X_OK)), None
    )


def line(seq: int) -> bytes:
    """One numbered log line, as the writer writes them."""
    return b"2026-01-01T00:00:00Z ERROR request failed seq=%08d\n" % seq


@dataclass
class Follower:
    """One follower under test, printing to a file."""

    name: str
    argv: list[str]
    out: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.out, "wb") as sink:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=sink,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,
            )

    def seen(self) -> set[int]:
        """Sequence numbers printed so far."""
        return {int(m.group(1)) for m in SEQ.finditer(self.out.read_bytes())}

    def stop(self) -> None:
        """End the follower and everything it started (it leads its own group)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass
class Outcome:
    """What one round of a scenario wrote and what each follower printed."""

    written: set[int]
    seen: dict[str, set[int]] = field(default_factory=dict)
    on_disk: set[int] = field(default_factory=set)
    """Lines in the log or its copies at the end (copytruncate loses those written
    between its copy and its truncation, unless a follower read them in that moment)."""


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    """Poll `check()` until true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


READY = 90_000_000
"""Sequence numbers of the lines that show both followers are printing."""
END = 80_000_000
"""The sequence number of the last line of a round."""


@contextlib.contextmanager
def followers(path: Path, work: Path) -> Iterator[list[Follower]]:
    """`warroom tail` and `tail -F` following `path`, both printing already."""
    warroom = [sys.executable, "-m", "warroom", "tail", "--lines", "0", str(path)]
    gnu = ["tail", "-F", "-n", "0", str(path)]
    started = [
        Follower("warroom", warroom, work / "warroom.out"),
        Follower("tail -F", gnu, work / "tail.out"),
    ]
    try:
        for follower in started:
            follower.start()
        # A ready line every half second until each follower has printed one: then both
        # are following (the lines written before that are not counted).
        for n in range(60):
            with open(path, "ab") as f:
                f.write(line(READY + n))
            if wait_for(lambda: all(max(f.seen(), default=0) >= READY for f in started), 0.5):
                break
        else:
            raise RuntimeError("a follower never started printing")
        yield started
    finally:
        for follower in started:
            follower.stop()


def finish(path: Path, started: list[Follower], written: set[int]) -> Outcome:
    """Write a last line, give both followers time to print it, and collect."""
    with open(path, "ab") as f:
        f.write(line(END))
    wait_for(lambda: all(END in f.seen() for f in started), 10)
    time.sleep(0.5)  # a follower that lags behind the end line gets its chance too
    outcome = Outcome(written)
    for copy in path.parent.glob(path.name + "*"):
        outcome.on_disk |= {int(m.group(1)) for m in SEQ.finditer(copy.read_bytes())}
    for follower in started:
        outcome.seen[follower.name] = {n for n in follower.seen() if n < END}
    return outcome


def truncate_refill(work: Path) -> Outcome:
    """700 lines, then truncated and 1,000 new lines written at once (one poll)."""
    path = work / "app.log"
    path.write_bytes(b"")
    with followers(path, work) as started:
        first = list(range(700))
        with open(path, "ab") as log:
            log.write(b"".join(line(n) for n in first))
        wait_for(lambda: all(set(first) <= f.seen() for f in started), 10)
        refill = list(range(700, 1700))
        # Truncated and written past the old size at once: well within one 250 ms poll.
        with open(path, "r+b") as log:
            log.truncate(0)
            log.write(b"".join(line(n) for n in refill))
        return finish(path, started, set(first) | set(refill))


def rotations(work: Path, mode: str, logrotate: str) -> Outcome:
    """Three `logrotate -f` runs under a writer appending 1,000 lines a second."""
    path = work / "app.log"
    path.write_bytes(b"")
    with followers(path, work) as started:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), "0", "1000"],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            post = f"    postrotate\n        kill -HUP {writer.pid}\n    endscript\n"
            conf = work / "rotate.conf"
            conf.write_text(
                f"{path} {{\n    {mode}\n    rotate 10\n    missingok\n    nocompress\n"
                + (post if mode == "create" else "")
                + "}\n"
            )
            conf.chmod(0o644)
            for _ in range(3):
                time.sleep(0.4)
                subprocess.run(
                    [logrotate, "-f", "-s", str(work / "state"), str(conf)],
                    check=True,
                    capture_output=True,
                )
            time.sleep(0.4)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(writer.pid, signal.SIGTERM)
            out, _ = writer.communicate(timeout=10)
        last = int(out.strip() or b"0")
        return finish(path, started, set(range(last)))


Scenario = Callable[[Path], Outcome]


def main() -> int:
    """Run every scenario `--rounds` times; print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logrotate = logrotate_binary()
    scenarios: list[tuple[str, Scenario]] = [("truncate-refill", truncate_refill)]
    if logrotate is not None:
        scenarios.append(("copytruncate x3", lambda w: rotations(w, "copytruncate", logrotate)))
        scenarios.append(("create x3", lambda w: rotations(w, "create", logrotate)))
    else:
        print("logrotate not found: the rotation scenarios are skipped", file=sys.stderr)
    rows: list[dict[str, object]] = []
    for name, run in scenarios:
        for round_no in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory(prefix="tail-truth-") as tmp:
                outcome = run(Path(tmp))
            lost_w = outcome.written - outcome.seen["warroom"]
            lost_t = outcome.written - outcome.seen["tail -F"]
            rows.append(
                {
                    "scenario": name,
                    "round": round_no,
                    "written": len(outcome.written),
                    "gone_from_disk": len(outcome.written - outcome.on_disk),
                    "lost_warroom": len(lost_w),
                    "lost_tail_F": len(lost_t),
                    "lost_only_by_warroom": len(lost_w - lost_t),
                    "kept_on_disk_lost_by_warroom": len(lost_w & outcome.on_disk),
                }
            )
    columns = [
        ("scenario", "scenario", 17), ("round", "round", 6), ("written", "written", 8),
        ("gone_from_disk", "gone from disk", 15), ("lost_warroom", "warroom lost", 13),
        ("lost_tail_F", "tail -F lost", 13), ("lost_only_by_warroom", "warroom only", 13),
    ]  # fmt: skip
    print(
        "".join(
            f"{title:<{w}}" if i == 0 else f"{title:>{w}}"
            for i, (_, title, w) in enumerate(columns)
        )
    )
    for row in rows:
        print(
            "".join(
                f"{row[key]!s:<{w}}" if i == 0 else f"{row[key]!s:>{w}}"
                for i, (key, _, w) in enumerate(columns)
            )
        )
    total = {
        key: sum(int(str(row[key])) for row in rows)
        for key in (
            "written", "gone_from_disk", "lost_warroom", "lost_tail_F", "lost_only_by_warroom",
            "kept_on_disk_lost_by_warroom",
        )
    }  # fmt: skip
    # A line still on disk is never lost; a line that was on disk only for logrotate's
    # copy-to-truncate moment is a race for both followers: over all rounds warroom must
    # not lose more of them than tail -F does.
    ok = (
        total["kept_on_disk_lost_by_warroom"] == 0 and total["lost_warroom"] <= total["lost_tail_F"]
    )
    print(json.dumps({"benchmark": "tail_truth", "ok": ok, "total": total, "rows": rows}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""What the log benchmarks share: realistic log lines, big files written fast, and
running a child process to learn its wall time, CPU time and peak memory."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1 << 20
WORD = "auth"
"""The filter word: about one line in five holds it."""


def bench_dir() -> Path:
    """Where generated logs are cached between runs (`$WARROOM_BENCH_DIR`)."""
    path = Path(os.environ.get("WARROOM_BENCH_DIR", "/tmp/warroom-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


_TEMPLATES = [
    "INFO  api[{pid}]: GET /v1/orders/{n} 200 {ms}ms req={req}",
    "INFO  api[{pid}]: POST /v1/checkout 201 {ms}ms req={req} user=u{n}",
    "DEBUG worker[{pid}]: job {n} picked from queue payments (attempt 1)",
    "WARN  api[{pid}]: slow query on orders ({ms}ms) req={req}",
    "INFO  auth[{pid}]: token refreshed for user u{n} req={req}",
    "ERROR api[{pid}]: upstream inventory timed out after {ms}ms req={req}",
    "INFO  api[{pid}]: GET /healthz 200 1ms",
    "ERROR auth[{pid}]: login failed for user u{n}: invalid password req={req}",
    "WARN  worker[{pid}]: retrying job {n} in 2s: connection reset by peer",
    "INFO  api[{pid}]: GET /v1/catalog?page={ms} 200 {ms}ms req={req}",
    'ERROR api[{pid}]: {{"level":"error","msg":"payment declined","order":{n}}}',
    "INFO  api[{pid}]: PUT /v1/cart/{n} 204 {ms}ms req={req}",
    "WARN  auth[{pid}]: session cookie without SameSite from 10.0.{ms}.7 req={req}",
    "INFO  api[{pid}]: GET /v1/orders/{n}/items 200 {ms}ms req={req}",
    "INFO  worker[{pid}]: job {n} done in {ms}ms",
    "ERROR api[{pid}]: NullReferenceError in OrderService.total (order {n}) req={req}",
]


def log_line(i: int) -> str:
    """One realistic line (no newline); about one in five mentions auth."""
    when = f"2024-05-14T03:{i // 6000 % 60:02d}:{i // 100 % 60:02d}.{i * 7 % 1000:03d}Z"
    template = _TEMPLATES[i % len(_TEMPLATES)]
    body = template.format(
        pid=4100 + i % 7, n=i, ms=3 + i * 37 % 900, req=f"{i * 2654435761 % (1 << 32):08x}"
    )
    return f"{when} {body}"


def log_block(target_bytes: int, start: int = 0) -> bytes:
    """Lines totalling about `target_bytes`, ending with a newline."""
    lines: list[str] = []
    size = 0
    i = start
    while size < target_bytes:
        line = log_line(i)
        lines.append(line)
        size += len(line) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


LAST_MATCH = "ERROR auth[4242]: LAST-AUTH-LINE login locked for user u-final"
"""The last line of a generated log that the filter matches: what must become visible."""
LAST_NEEDLE = "auth[4242]"
"""A piece of `LAST_MATCH` near its start, drawn even in a narrow log pane."""
TAIL_LINES = [
    "2024-05-14T03:59:59.101Z " + LAST_MATCH,
    "2024-05-14T03:59:59.200Z INFO  api[4100]: GET /v1/orders/1 200 4ms req=0000ffff",
    "2024-05-14T03:59:59.300Z INFO  worker[4101]: job 7 done in 12ms",
]


def ensure_log(size: int) -> Path:
    """A log of about `size` bytes, generated once and cached: repeated 4 MB blocks of
    mixed lines, then a known last matching line followed by two that do not match."""
    path = bench_dir() / f"app-{size // MB}mb.log"
    tail = ("\n".join(TAIL_LINES) + "\n").encode()
    if path.exists() and path.stat().st_size >= size:
        return path
    block = log_block(min(4 * MB, size))
    partial = path.with_suffix(".part")
    with open(partial, "wb") as out:
        written = 0
        while written + len(block) <= size - len(tail):
            out.write(block)
            written += len(block)
        rest = size - len(tail) - written
        if rest > 0:
            cut = block.rfind(b"\n", 0, rest) + 1
            out.write(block[:cut])
        out.write(tail)
    partial.replace(path)
    return path


def drop_cache(path: Path) -> None:
    """Ask the kernel to forget the file's cached pages (a cold open, as after a reboot)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Usage:
    """What one finished child process cost."""

    wall_s: float
    cpu_s: float
    max_rss_mb: float
    returncode: int
    stdout: bytes


def run_measured(argv: Sequence[str], cwd: str | None = None) -> Usage:
    """Run `argv` to its exit; its wall time, CPU (user + system) and peak RSS.

    `wait4` reports the peak RSS of that process alone; for a shell pipeline it is the
    largest of the shell itself, so pipelines are measured by their wall time only.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        returncode=proc.returncode,
        stdout=out,
    )

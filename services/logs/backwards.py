"""The last lines of a file, read from its end in blocks: opening a 1 GB log is instant.

Used when a log is opened (the backlog shown before following starts) and by
`tail_lines`; memory holds one block and the lines kept, whatever the file's size.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import MAX_LINE_BYTES, ItemMaker, LogLine, decode_line

SCAN_BLOCK = 64 * 1024
"""Bytes read backwards at a time."""
DEFAULT_MAX_SCAN = 64 << 20
"""How far back from the end an opening scan for matching lines looks, at most."""


def scan_backwards(
    fd: int,
    size: int,
    want_total: int,
    want_matches: int,
    log_filter: LogFilter,
    max_bytes: int = DEFAULT_MAX_SCAN,
) -> tuple[list[str], int]:
    """The last lines of an open file, read from its end in blocks.

    Keeps the last `want_total` lines plus the last `want_matches` lines `log_filter`
    matches, in file order, and returns them with the offset following should start at
    (just after the last newline: a partial last line is left to the follower). Reads at
    most `max_bytes` from the end; memory holds one block and the lines kept.
    """
    kept: list[str] = []
    total = 0
    matched = 0
    follow_offset = 0
    line_end: int | None = None
    floor = max(0, size - max_bytes)
    pos = size
    done = want_total <= 0 and want_matches <= 0

    def take(start: int, end: int, block: bytes, block_start: int) -> bool:
        nonlocal total, matched
        length = end - start
        if start >= block_start and end <= block_start + len(block):
            raw = block[start - block_start : end - block_start]
        else:
            raw = os.pread(fd, min(length, MAX_LINE_BYTES), start)
        truncated = length > MAX_LINE_BYTES
        if truncated:
            raw = raw[:MAX_LINE_BYTES]
        text = decode_line(raw, truncated)
        total += 1
        is_match = matched < want_matches and log_filter.matches(text)
        if total <= want_total or is_match:
            kept.append(text)
        if is_match:
            matched += 1
        return total >= want_total and matched >= want_matches

    block = b""
    while pos > floor and not done:
        start = max(floor, pos - SCAN_BLOCK)
        block = os.pread(fd, pos - start, start)
        if not block:
            break
        index = len(block)
        while not done:
            newline = block.rfind(b"\n", 0, index)
            if newline < 0:
                break
            absolute = start + newline
            if line_end is None:
                follow_offset = absolute + 1
            else:
                done = take(absolute + 1, line_end, block, start)
            line_end = absolute
            index = newline
        pos = start
    if not done and pos == 0 and line_end is not None:
        take(0, line_end, block, 0)
    kept.reverse()
    return kept, follow_offset


def tail_lines(path: Path | str, n: int, log_filter: LogFilter | None = None) -> list[LogLine]:
    """The last `n` lines of a file matching `log_filter` (all lines if None or empty).

    Reads backwards from the end without reading the whole file; raises OSError when
    the file cannot be opened.
    """
    chosen = log_filter if log_filter is not None else LogFilter()
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if chosen.is_empty:
            texts, _ = scan_backwards(fd, size, n, 0, chosen)
        else:
            texts, _ = scan_backwards(fd, size, 0, n, chosen)
    finally:
        os.close(fd)
    maker = ItemMaker(str(path), itertools.count(1))
    return [maker.line(text) for text in texts]

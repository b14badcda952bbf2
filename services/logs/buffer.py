"""What the log pane holds: the last lines followed, re-filtered when the filter changes.

`LogBuffer` keeps a bounded backlog of every source's items in arrival order, so a new
filter applies to what already arrived, across every source; `MatchCounter` counts the
matches per second for the `log` metric.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from warroom.services.logs.filter import LogFilter
from warroom.services.logs.lines import LogBatch, LogEvent, LogItem, LogLine


class MatchCounter:
    """Lines matching a filter counted per wall-clock second: the `log` metric source.

    Every line offered is counted, however many arrive, in constant memory.
    """

    def __init__(self, log_filter: LogFilter, window: float = 60.0) -> None:
        self.log_filter = log_filter
        self.window = window
        self._buckets: deque[tuple[int, int]] = deque()

    def add(self, count: int, at: datetime) -> None:
        """Record `count` matches seen at `at`."""
        if count <= 0:
            return
        second = int(at.timestamp())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1] = (second, self._buckets[-1][1] + count)
        else:
            self._buckets.append((second, count))
        while self._buckets and self._buckets[0][0] <= second - self.window - 1:
            self._buckets.popleft()

    def observe(self, items: Iterable[LogItem], at: datetime) -> int:
        """Count the lines among `items` that match; returns how many did."""
        matches = self.log_filter.matches
        count = sum(1 for i in items if isinstance(i, LogLine) and matches(i.text))
        self.add(count, at)
        return count

    def per_minute(self, now: datetime) -> float:
        """Matches in the last `window` seconds, scaled to a rate per minute."""
        cutoff = now.timestamp() - self.window
        total = sum(count for second, count in self._buckets if second > cutoff)
        return total * 60.0 / self.window


class LogBuffer:
    """The bounded backlog behind the log pane: re-filtered at once when the filter changes.

    Holds the last `capacity` items; status events always stay visible.
    """

    def __init__(self, capacity: int = 10_000, log_filter: LogFilter | None = None) -> None:
        self.capacity = capacity
        self._filter = log_filter if log_filter is not None else LogFilter()
        # Items and their arrival times side by side: no tuple per line, which matters at
        # 100,000 lines a second.
        self._items: deque[LogItem] = deque(maxlen=capacity)
        self._times: deque[datetime] = deque(maxlen=capacity)
        self._counter = MatchCounter(self._filter)

    @property
    def log_filter(self) -> LogFilter:
        """The filter lines are shown through."""
        return self._filter

    def __len__(self) -> int:
        return len(self._items)

    def _shown(self, items: Iterable[LogItem]) -> list[LogItem]:
        if self._filter.is_empty:
            return list(items)
        matches = self._filter.matches
        return [item for item in items if isinstance(item, LogEvent) or matches(item.text)]

    def append(self, batch: LogBatch) -> tuple[LogItem, ...]:
        """Keep the batch; returns its items to show (matching lines and every event)."""
        shown = self._shown(batch.items)
        self._items.extend(batch.items)
        self._times.extend(itertools.repeat(batch.at, len(batch.items)))
        self._counter.add(sum(1 for item in shown if isinstance(item, LogLine)), batch.at)
        return tuple(shown)

    def set_filter(self, log_filter: LogFilter) -> tuple[LogItem, ...]:
        """Apply a new filter to the whole backlog; returns what is now visible.

        The per-minute count restarts from the lines still held.
        """
        self._filter = log_filter
        self._counter = MatchCounter(log_filter)
        matches = log_filter.matches
        everything = log_filter.is_empty
        shown: list[LogItem] = []
        for item, at in zip(self._items, self._times, strict=True):
            if isinstance(item, LogEvent):
                shown.append(item)
            elif everything or matches(item.text):
                shown.append(item)
                self._counter.add(1, at)
        return tuple(shown)

    def visible(self) -> tuple[LogItem, ...]:
        """Everything held that the current filter shows."""
        return tuple(self._shown(self._items))

    def matches_per_minute(self, now: datetime) -> float:
        """Lines matching the current filter in the last minute."""
        return self._counter.per_minute(now)

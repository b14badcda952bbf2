"""Times and durations as the report writes them: UTC to the second, with a Z.

A journal keeps microseconds so events sort as text; a reader of a report wants
"04:21:07Z", and two renderings of the same instant must never differ in how many
digits they show. Every time in the report goes through `utc_stamp`.
"""

from __future__ import annotations

from datetime import UTC, datetime

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""The report's time format, as strftime writes it."""


def utc_stamp(at: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second, ending in Z ("2026-11-26T04:21:07Z"); None stays None.

    Seconds are truncated, not rounded: a time never moves past an event that followed it.
    A naive time is taken as UTC (the journal writes only aware ones).
    """
    if at is None:
        return None
    tz = at.tzinfo
    utc = at if tz is UTC else (at.replace(tzinfo=UTC) if tz is None else at.astimezone(UTC))
    if utc.year < 1000:
        return utc.strftime(STAMP_FORMAT)  # strftime does not pad such a year: keep its form
    # A report stamps every event several times: %-formatting is twice as fast as strftime.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
    )


def format_duration(seconds: float) -> str:
    """A duration as people say it: "1h 05m", "12m 30s", "45s"."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def seconds_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from `start` to `end` (never negative); None when either is unknown.

    Both ends are truncated to the second first, so the difference is the one a reader
    computes from the two stamps shown (04:00:00Z to 04:05:00Z is 5m 00s, never 4m 59s).
    """
    if start is None or end is None:
        return None
    return max(0, int((_second(end) - _second(start)).total_seconds()))


def _second(at: datetime) -> datetime:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.replace(microsecond=0)

"""Times as a glance reads them: a log line's own timestamp, compact times, ages.

A log line usually starts with a 20- to 32-character timestamp ("2026-11-26T04:19:52.123Z")
that pushes the message out of a narrow pane. `split_stamp` finds it so the pane can show
"04:19:52" instead and give the width to the message; `compact_time` and `age_text` are
the words the alert line and the log share for "when".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ISO = re.compile(
    r"""^\s*\[?
    (?P<date>\d{4}-\d{2}-\d{2})[T ]
    (?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,9}))?
    \s?(?P<zone>Z|[+-]\d{2}:?\d{2}|UTC)?
    \]?(?:\s+|$)""",
    re.VERBOSE,
)
_SYSLOG = re.compile(
    r"^\s*(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(?P<day>\d{1,2})\s+"
    r"(?P<time>\d{2}:\d{2}:\d{2})(?:\s+|$)"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def split_stamp(text: str, today: date | None = None) -> tuple[datetime | None, str]:
    """A line's leading timestamp and the rest of the line; (None, text) when it has none.

    An ISO time with a zone comes back aware (in UTC); without one, naive (the log's own
    local time). A syslog stamp has no year: it takes `today`'s (or, when that would put
    it in the future, the year before).
    """
    match = _ISO.match(text)
    if match is not None:
        return _iso(match), text[match.end() :]
    match = _SYSLOG.match(text)
    if match is not None and today is not None:
        hours, minutes, seconds = (int(part) for part in match["time"].split(":"))
        month = _MONTHS.index(match["mon"]) + 1
        try:
            at = datetime(today.year, month, int(match["day"]), hours, minutes, seconds)
            if at.date() > today:
                at = at.replace(year=today.year - 1)
        except ValueError:
            return None, text
        return at, text[match.end() :]
    return None, text


def _iso(match: re.Match[str]) -> datetime | None:
    try:
        at = datetime.fromisoformat(f"{match['date']}T{match['time']}")
    except ValueError:
        return None
    zone = match["zone"]
    if zone is None:
        return at
    if zone in ("Z", "UTC"):
        return at.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return at.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)


def compact_time(at: datetime, now: datetime | None = None) -> str:
    """HH:MM:SS, with the date in front ("11-25 23:59:58") only when it is not `now`'s day.

    An aware time is shown in UTC (the zone is said once, elsewhere); a naive one as is.
    """
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    if now is not None and now.tzinfo is not None and at.tzinfo is not None:
        now = now.astimezone(UTC)
    if now is None or at.date() == now.date():
        return at.strftime("%H:%M:%S")
    return at.strftime("%m-%d %H:%M:%S")


def age_text(seconds: float) -> str:
    """How long ago, in the fewest words: "now", "45s", "3m10s", "2h05m", "3d"."""
    total = int(seconds)
    if total < 1:
        return "now"
    if total < 60:
        return f"{total}s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes}m{rest:02d}s"
    if total < 86400:
        hours, rest = divmod(total, 3600)
        return f"{hours}h{rest // 60:02d}m"
    return f"{total // 86400}d"


def zone_name(at: datetime | None) -> str:
    """The zone a log pane's times are shown in, for its title: "UTC" or "local"."""
    return "UTC" if at is not None and at.tzinfo is not None else "local"

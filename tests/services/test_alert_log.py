"""The alert log and the time words the glance uses: pure functions, table tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from warroom.services.journal.store import Event
from warroom.services.session.alert_log import RaisedAlert, alert_log
from warroom.services.stamps import age_text, compact_time, split_stamp

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def event(seq: int, kind: str, **payload: Any) -> Event:
    return Event(
        seq=seq, at=T0 + timedelta(minutes=seq), actor="warroom", kind=kind, payload=payload
    )


EVENTS = [
    event(1, "alert.raised", subject="api", text="api is DOWN (status)"),
    event(2, "escalation.crossed", level=0, role="Senior engineer", name="Aiko", contact="@aiko"),
    event(3, "item.done", item="p01.x"),
    event(4, "alert.raised", subject="api", text="api is DOWN (timeout)"),
    event(5, "notify.failed", url="https://hooks/***", error="HTTP 500"),
]


def test_alerts_come_newest_first_in_words() -> None:
    log = alert_log(EVENTS, active_subjects={"api"})
    assert [a.text for a in log] == [
        "Webhook https://hooks/*** failed: HTTP 500",
        "api is DOWN (timeout)",
        "Escalate: call Senior engineer (Aiko) at @aiko",
        "api is DOWN (status)",
    ]


def test_only_the_newest_alert_of_a_subject_still_holding_is_active() -> None:
    log = alert_log(EVENTS, active_subjects={"api"})
    assert [(a.subject, a.active) for a in log if a.kind == "alert"] == [
        ("api", True),
        ("api", False),
    ]
    assert not any(a.active for a in alert_log(EVENTS, active_subjects=()) if a.kind == "alert")


@pytest.mark.parametrize(
    ("extra", "active"),
    [
        ([], True),
        ([event(6, "escalation.ack", level=0)], False),
        ([event(6, "incident.resolved")], False),
    ],
)
def test_a_crossing_holds_until_acknowledged_or_resolved(extra: list[Event], active: bool) -> None:
    log = alert_log([*EVENTS, *extra])
    (crossing,) = [a for a in log if a.kind == "escalation"]
    assert crossing.active is active


def test_alerts_the_journal_did_not_take_are_merged_by_time() -> None:
    local = [RaisedAlert(T0 + timedelta(minutes=2, seconds=30), "service", "Service stopped")]
    log = alert_log(EVENTS, local=local)
    assert [a.text for a in log][2:4] == [
        "Service stopped",
        "Escalate: call Senior engineer (Aiko) at @aiko",
    ]


@pytest.mark.parametrize(
    ("text", "at", "rest"),
    [
        ("2026-11-26T04:19:52Z ERROR x", datetime(2026, 11, 26, 4, 19, 52, tzinfo=UTC), "ERROR x"),
        ("2026-11-26 04:19:52,123 WARN y", datetime(2026, 11, 26, 4, 19, 52), "WARN y"),
        (
            "[2026-11-26T13:19:52.5+09:00] e",
            datetime(2026, 11, 26, 4, 19, 52, tzinfo=UTC),
            "e",
        ),
        ("Nov 26 04:19:52 host sshd: x", datetime(2026, 11, 26, 4, 19, 52), "host sshd: x"),
        ("Dec 31 23:59:59 host cron", datetime(2025, 12, 31, 23, 59, 59), "host cron"),
        ("ERROR no stamp 2026-11-26T04:19:52Z", None, "ERROR no stamp 2026-11-26T04:19:52Z"),
        ("2026-13-45T04:19:52Z bad", None, "bad"),
    ],
)
def test_split_stamp(text: str, at: datetime | None, rest: str) -> None:
    assert split_stamp(text, date(2026, 11, 26)) == (at, rest)


@pytest.mark.parametrize(
    ("at", "now", "shown"),
    [
        (datetime(2026, 11, 26, 4, 19, 52, tzinfo=UTC), T0, "04:19:52"),
        (datetime(2026, 11, 25, 23, 59, 58, tzinfo=UTC), T0, "11-25 23:59:58"),
        (datetime(2026, 11, 26, 13, 0, tzinfo=UTC).astimezone(), T0, "13:00:00"),
        (datetime(2026, 11, 26, 4, 19, 52), None, "04:19:52"),
    ],
)
def test_compact_time(at: datetime, now: datetime | None, shown: str) -> None:
    assert compact_time(at, now) == shown


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.4, "now"), (45, "45s"), (190, "3m10s"), (7500, "2h05m"), (3 * 86400 + 5, "3d")],
)
def test_age_text(seconds: float, words: str) -> None:
    assert age_text(seconds) == words

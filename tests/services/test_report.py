"""The incident report: golden files for both formats, and what a reader relies on."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.services.config import IncidentConfig
from warroom.services.journal.report import (
    build_report,
    format_duration,
    render_json,
    render_markdown,
)
from warroom.services.journal.store import EVENT_DAMAGED, JOURNAL_RECOVERED, Event
from warroom.services.runbook.model import Lang, builtin_runbook

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WARROOM_UPDATE_GOLDEN") == "1"
"""Set WARROOM_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
INCIDENT = IncidentConfig(
    id="INC-42", title="Login accepts any password", severity="SEV1", started=T0
)


def _events() -> list[Event]:
    spec: list[tuple[str, str, dict[str, object]]] = [
        ("aiko", "item.done", {"item": "p01.assess-severity"}),
        ("aiko", "item.done", {"item": "p01.hotfix-or-wait", "note": "auth bypass: hotfix now"}),
        ("ben", "item.note", {"item": "p01.affected-systems", "text": "login API | web"}),
        ("ben", "item.na", {"item": "p01.urgency", "reason": "obvious: SEV1"}),
        ("aiko", "item.done", {"item": "p01.affected-systems"}),
        ("aiko", "item.undone", {"item": "p01.affected-systems"}),
        ("system", "escalation.crossed", {"level": 0, "role": "Senior engineer"}),
        ("ben", "escalation.ack", {"level": 0}),
        ("aiko", "choice.made", {"choice": "p09.strategy", "option": "rolling"}),
        (
            "system",
            "health.changed",
            {"endpoint": "api", "from": "UP", "to": "DOWN", "reason": "status"},
        ),
        ("ben", "severity.changed", {"severity": "SEV2"}),
        ("aiko", "deploy.finished", {"version": "v1.2.4"}),
        ("ben", "item.done", {"item": "p00.removed-step"}),
    ]
    return [
        Event(seq, T0 + timedelta(minutes=3 * seq), actor, kind, payload)
        for seq, (actor, kind, payload) in enumerate(spec, start=1)
    ]


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_markdown_golden(lang: Lang) -> None:
    report = build_report(INCIDENT, builtin_runbook(lang), _events(), T0 + timedelta(hours=1))
    _check_golden(f"report_{lang}.md", render_markdown(report))


def test_json_golden() -> None:
    report = build_report(INCIDENT, builtin_runbook("en"), _events(), T0 + timedelta(hours=1))
    text = render_json(report)
    _check_golden("report_en.json", text)
    data = json.loads(text)
    assert {"incident", "phases", "timeline", "open_items"} <= data.keys()
    first = data["phases"][0]
    assert {"id", "title", "items"} <= first.keys()
    item = first["items"][1]
    assert item == {
        **item,
        "id": "p01.hotfix-or-wait",
        "state": "done",
        "by": "aiko",
        "at": "2026-11-26T04:06:00Z",
        "note": "auth bypass: hotfix now",
    }
    assert first["items"][3]["state"] == "na" and first["items"][3]["reason"] == "obvious: SEV1"
    assert first["items"][2]["state"] == "open"  # ticked then unticked
    assert data["incident"]["hotfix_version"] == "v1.2.4"
    assert data["incident"]["severity"] == "SEV2"  # changed during the incident
    assert data["escalations"] == [
        {
            "level": 0,
            "role": "Senior engineer",
            "contact": "",
            "at": "2026-11-26T04:21:00Z",
            "acked_by": "ben",
            "acked_at": "2026-11-26T04:24:00Z",
        }
    ]
    assert data["health"] == [
        {
            "at": "2026-11-26T04:30:00Z",
            "endpoint": "api",
            "from": "UP",
            "to": "DOWN",
            "reason": "status",
        }
    ]
    assert data["incident"]["duration"] == "1h 00m" and data["incident"]["resolved"] is None
    kinds = [e["kind"] for e in data["timeline"]]
    assert {"escalation.ack", "health.changed", "deploy.finished"} <= set(kinds)
    assert {"seq", "at", "actor", "kind"} <= data["timeline"][0].keys()
    assert [o["id"] for o in data["orphaned"]] == ["p00.removed-step"]
    rolling = data["phases"][9]  # the strategy follows the checklist it waits for
    assert rolling["choice"]["selected"] == "rolling"
    assert {i["state"] for i in rolling["items"][:4]} == {"na"}


def test_a_never_opened_incident_lists_every_item_open() -> None:
    runbook = builtin_runbook("en")
    report = build_report(IncidentConfig(id="INC-0"), runbook, [], T0)
    assert len(report["open_items"]) == runbook.item_count
    assert report["timeline"] == [] and report["incident"]["started"] is None
    markdown = render_markdown(report)
    assert "No events recorded." in markdown
    assert markdown.count("- [ ] ") == runbook.item_count


def test_resolution_sets_the_duration() -> None:
    events = [
        *_events(),
        Event(99, T0 + timedelta(minutes=95), "aiko", "incident.resolved", {}),
    ]
    report = build_report(INCIDENT, builtin_runbook("en"), events, T0 + timedelta(hours=5))
    assert report["incident"]["resolved"] == "2026-11-26T05:35:00Z"
    assert report["incident"]["duration"] == "1h 35m"


def test_untrusted_text_cannot_inject_markdown_or_escapes() -> None:
    events = [
        Event(
            1,
            T0,
            "eve\x1b[2J",
            "item.note",
            {"item": "p01.urgency", "text": "[x](http://e) `rm`\x1b]0;t\x07"},
        )
    ]
    markdown = render_markdown(build_report(INCIDENT, builtin_runbook("en"), events, T0))
    assert "\x1b" not in markdown.replace("eve\x1b", "")  # actors are cleaned by the journal
    assert "\\[x\\](http://e) \\`rm\\`" in markdown


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45, "45s"), (750, "12m 30s"), (3900, "1h 05m"), (-5, "0s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_damaged_event_is_named_and_the_rest_is_reported() -> None:
    events = _events()
    damaged = Event(
        1,
        datetime(1970, 1, 1, tzinfo=UTC),
        "?",
        EVENT_DAMAGED,
        {"kind": "item.done", "problem": "payload is not JSON", "excerpt": "#item"},
    )
    untimed = IncidentConfig(id="INC-42", title="Login accepts any password")
    report = build_report(untimed, builtin_runbook("en"), [damaged, *events[1:]], T0)
    assert report["damaged"] == [{"seq": 1, "kind": "item.done", "problem": "payload is not JSON"}]
    # The damaged event's borrowed time never becomes the incident's start.
    assert report["incident"]["started"] == "2026-11-26T04:06:00Z"
    assert report["timeline"][0]["summary"] == "damaged event (was item.done): payload is not JSON"
    whole = build_report(untimed, builtin_runbook("en"), events, T0)
    # Only the damaged tick is missing; every other tick still counts.
    assert report["progress"]["finished"] == whole["progress"]["finished"] - 1
    assert report["phases"][0]["items"][0]["state"] == "open"
    text = render_markdown(report)
    assert "- Damaged journal events: #1 (see below; the rest is shown)" in text
    assert "## Damaged journal events\n\n- #1 (was item.done): payload is not JSON\n" in text


def test_a_rebuilt_journal_says_what_was_lost() -> None:
    rebuilt = Event(
        300,
        T0,
        "warroom",
        JOURNAL_RECOVERED,
        {"recovered": 190, "lost": [[12, 27], [40, 40]], "problem": "integrity check: x"},
    )
    report = build_report(INCIDENT, builtin_runbook("en"), [rebuilt], T0)
    assert report["timeline"][0]["summary"] == (
        "journal rebuilt after damage (integrity check: x): 190 events recovered, "
        "lost seq 12-27, 40"
    )

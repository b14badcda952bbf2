"""The incident report: golden files for both formats, and what a reader relies on."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import IncidentConfig
from warroom.services.escalation.status import compose_status
from warroom.services.journal.clocks import clocks_json, incident_clocks
from warroom.services.journal.readers import read_journal
from warroom.services.journal.report import (
    build_report,
    format_duration,
    render_json,
    render_markdown,
)
from warroom.services.journal.store import (
    EVENT_DAMAGED,
    JOURNAL_RECOVERED,
    Event,
    Journal,
    journal_path,
)
from warroom.services.runbook.model import Lang, builtin_runbook

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parents[2]
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


# --- a whole deploy: rolling batches, overrides, a failed batch, a rollback ------------

DEPLOY_T0 = datetime(2026, 11, 26, 4, 0, 0, 250_000, tzinfo=UTC)
"""Starts mid-second: the journal keeps microseconds, the report shows none."""
REFUSED = ["phase 8: Staging deployment and validation is not complete"]
LONG_NEXT = "verify every login path in every region, " * 15
"""Over 500 characters: a status update is never cut."""
DEPLOY_INCIDENT = IncidentConfig(id="INC-77", title="Login accepts any password", severity="SEV1")


class _Writer:
    """Appends events through the real SQLite journal as the session and the release
    controller do (their payload shapes), the clock moving in odd fractions of a second."""

    def __init__(self, path: Path) -> None:
        self.clock = ManualClock(wall=DEPLOY_T0)
        self.journal = Journal.open(path, self.clock, "aiko")
        self.pids = iter(range(4100, 4200))

    def at(self, minutes: float, actor: str, kind: str, payload: dict[str, object]) -> None:
        self.clock.wall = DEPLOY_T0 + timedelta(minutes=minutes, microseconds=123_456)
        self.journal.append(kind, payload, actor)

    def run(
        self, minutes: float, name: str, seconds: float, state: str = "succeeded", **extra: object
    ) -> None:
        """A command's start and end (`action.finished` / `action.failed`)."""
        pid = next(self.pids)
        common: dict[str, object] = {
            "name": name,
            "argv": [f"./{name}.sh", "v1.2.4"],
            "version": "v1.2.4",
            **extra,
        }
        self.at(minutes, "aiko", "action.started", {**common, "pid": pid, "pgid": pid})
        end = {
            **common,
            "pid": pid,
            "pgid": pid,
            "state": state,
            "exit_code": 0 if state == "succeeded" else 3,
            "duration": round(seconds + 0.4567, 3),
        }
        kind = "action.finished" if state == "succeeded" else "action.failed"
        self.at(minutes + seconds / 60, "aiko", kind, end)

    def override(self, minutes: float, actor: str, batch: int) -> None:
        reason = f"checklist done on paper, batch {batch}"
        what = f"Deploy batch {batch}/3"
        self.at(
            minutes,
            actor,
            "override.granted",
            {"what": what, "reason": reason, "refusals": REFUSED},
        )


def _status(elapsed: float, version: str, health: str) -> str:
    return compose_status(
        incident="Login accepts any password",
        severity="SEV1",
        elapsed=elapsed,
        phase="Production deployment",
        health=health,
        error_trend="error rate 8.6%",
        version=version,
        next_step=LONG_NEXT,
    )


def _deploy_journal(tmp_path: Path, *, path: Path | None = None) -> list[Event]:
    """A whole hotfix deploy, written to a real journal file and read back from it."""
    path = path or tmp_path / "INC-77.sqlite"
    w = _Writer(path)
    git = {"ok": True, "version": "v1.2.4"}
    w.at(0, "warroom", "incident.opened", {"started": DEPLOY_T0.isoformat()})
    w.at(4, "warroom", "alert.raised", {"subject": "Login success rate", "text": "52% < 99%"})
    w.at(5, "warroom", "health.changed", {"endpoint": "login", "from": "UP", "to": "DOWN"})
    w.at(9, "aiko", "status.sent", {"text": _status(540, "v1.2.4 (not deployed)", "login DOWN")})
    w.at(12, "aiko", "release.branch", {**git, "summary": "branch hotfix/v1.2.4 from v1.2.3"})
    w.at(12.1, "aiko", "item.done", {"item": "p03.branch-from-tag", "note": "by git"})
    w.at(20, "aiko", "release.tag", {**git, "summary": "tag v1.2.4 and push"})
    w.at(20.1, "aiko", "item.done", {"item": "p07.tag-push", "note": "by git"})
    w.run(22, "staging", 41)
    w.at(25, "aiko", "choice.made", {"choice": "p09.strategy", "option": "rolling"})
    w.override(26, "aiko", 1)
    w.run(26.5, "rolling", 62, batch=1)
    w.override(30, "ben", 2)
    w.run(30.5, "rolling", 20, "failed", batch=2)  # a retry needs its own override
    w.override(33, "ben", 2)
    w.run(33.5, "rolling", 58, batch=2)
    w.override(37, "aiko", 3)
    w.run(37.5, "rolling", 61, batch=3)
    w.at(38.6, "aiko", "deploy.marked", {"action": "rolling", "version": "v1.2.4"})
    deploy_seq = len(w.journal.events())
    w.at(48, "warroom", "watch.checkpoint", {"deploy_seq": deploy_seq, "n": 1, "health": "ok"})
    # The hotfix broke sign-up: production goes back to the release before it.
    w.run(52, "rollback", 30)
    w.at(
        52.6,
        "aiko",
        "rollback.finished",
        {
            "version": "v1.2.3",
            "from_version": "v1.2.4",
            "ok": True,
            "exit_code": 0,
            "state": "succeeded",
            "duration": 30.457,
        },
    )
    w.at(52.7, "warroom", "watch.ended", {"deploy_seq": deploy_seq, "health": "rolled back"})
    w.at(55, "ben", "status.sent", {"text": "Rolled back to v1.2.3.\n\n  Sign-up works again."})
    w.at(70, "aiko", "release.merge", {**git, "summary": "merge hotfix/v1.2.4 into main"})
    w.at(70.1, "aiko", "item.done", {"item": "p17.merge", "note": "by git: merge"})
    w.at(70.2, "aiko", "item.done", {"item": "p17.cleanup", "note": "by git: merge"})
    w.at(95, "aiko", "incident.resolved", {})
    w.journal.close()
    return read_journal(path)


@pytest.fixture
def deploy_report(tmp_path: Path) -> dict[str, Any]:
    events = _deploy_journal(tmp_path)
    return build_report(
        DEPLOY_INCIDENT, builtin_runbook("en"), events, DEPLOY_T0 + timedelta(hours=2)
    )


def test_deploy_golden_markdown(deploy_report: dict[str, Any]) -> None:
    text = render_markdown(deploy_report)
    _check_golden("deploy_en.md", text)
    # Times to the second, in UTC with a Z, everywhere.
    assert ".123456" not in text and ".250000" not in text and "+00:00" not in text
    assert "- Started: 2026-11-26T04:00:00Z" in text
    assert "- Mitigated: 2026-11-26T04:52:36Z (rolled back to v1.2.3)" in text
    assert "- Time to mitigate: 52m 36s" in text and "- Time to resolve: 1h 35m" in text
    assert "- Versions: production before v1.2.3, hotfix v1.2.4, in production now v1.2.3" in text
    assert "- Strategy: Rolling (chosen by aiko at 2026-11-26T04:25:00Z)" in text
    assert (
        "- Batch 2/3 (v1.2.4): failed, 2026-11-26T04:30:30Z → 2026-11-26T04:30:50Z (20s), by aiko\n"
        "  - overridden by ben at 2026-11-26T04:30:00Z: checklist done on paper, batch 2"
    ) in text
    assert "  - verdict: not recorded" in text
    assert "Not recorded: the journal holds no verdict with figures." in text
    # The merge ticked its item: nothing of phase 17 is open.
    open_section = text.split("## Open items")[1].split("## Runbook")[0]
    assert "p17.merge" not in open_section and "p17.cleanup" not in open_section
    assert "`p17.merge` — done by aiko at 2026-11-26T05:10:06Z" in text
    # Status updates whole: every line, the long one uncut, indented as a block.
    assert "      Next: " + LONG_NEXT.strip() in text
    assert "      Rolled back to v1.2.3.\n\n        Sign-up works again." in text


def test_deploy_golden_json(deploy_report: dict[str, Any]) -> None:
    text = render_json(deploy_report)
    _check_golden("deploy_en.json", text)
    data = json.loads(text)
    deploy, clocks = data["deploy"], data["clocks"]
    assert deploy["versions"] == {
        "production_before": "v1.2.3",
        "hotfix": "v1.2.4",
        "production_now": "v1.2.3",
    }
    assert [(b["batch"], b["state"]) for b in deploy["batches"]] == [
        (1, "succeeded"),
        (2, "failed"),
        (2, "succeeded"),
        (3, "succeeded"),
    ]
    assert [b["override"]["by"] for b in deploy["batches"]] == ["aiko", "ben", "ben", "aiko"]
    assert {b["of"] for b in deploy["batches"]} == {3}
    staging = deploy["actions"][0]
    assert staging == {
        "name": "staging",
        "version": "v1.2.4",
        "batch": None,
        "by": "aiko",
        "started": "2026-11-26T04:22:00Z",
        "ended": "2026-11-26T04:22:41Z",
        "state": "succeeded",
        "exit_code": 0,
        "duration_seconds": 41.457,
        "duration": "41s",
        "error": None,
    }
    (rollback,) = deploy["rollbacks"]
    assert rollback["to_version"] == "v1.2.3" and rollback["outcome"] == "succeeded"
    assert rollback["started"] == "2026-11-26T04:52:00Z"
    assert deploy["marks"][0]["superseded"] is True
    assert [g["step"] for g in deploy["git"]] == ["branch", "tag", "merge"]
    assert clocks["detected"]["what"] == "alert: Login success rate"
    assert clocks["time_to_detect"] == "4m 00s" and clocks["time_to_resolve_seconds"] == 5700
    assert data["incident"]["hotfix_version"] == "v1.2.4"  # not the version rolled back to
    assert data["status_updates"][0]["text"].endswith(LONG_NEXT.strip())


def test_a_verdict_in_the_journal_gives_the_batch_its_figures() -> None:
    criteria = [
        {
            "name": "Error rate",
            "kind": "baseline",
            "value": 0.4,
            "threshold": 8.6,
            "unit": "%",
            "outcome": "Pass",
            "reason": "Error rate median 0.4% vs baseline 8.6%",
        },
        {
            "name": "Latency p95",
            "kind": "threshold",
            "value": 180.0,
            "threshold": 500.0,
            "unit": "ms",
            "outcome": "Pass",
            "reason": "Latency p95 180 ms <= 500 ms",
        },
        {
            "name": "login",
            "kind": "endpoint",
            "value": 100.0,
            "threshold": 100.0,
            "unit": "%",
            "outcome": "Pass",
            "reason": "login answered 30 of 30",
        },
    ]
    events = [
        Event(1, T0, "aiko", "action.started", {"name": "rolling", "batch": 1, "pid": 9}),
        Event(
            2,
            T0 + timedelta(seconds=61),
            "aiko",
            "action.finished",
            {"name": "rolling", "batch": 1, "pid": 9, "state": "succeeded", "duration": 61.0},
        ),
        Event(
            3,
            T0 + timedelta(minutes=5),
            "warroom",
            "deploy.verdict",
            {
                "outcome": "Pass",
                "summary": "Pass: 2 of 2 critical criteria held",
                "criteria": criteria,
            },
        ),
    ]
    report = build_report(INCIDENT, builtin_runbook("en"), events, T0 + timedelta(hours=1))
    # The session journals its verdicts as `verdict.changed`: read the same way.
    changed = [*events[:2], dataclasses.replace(events[2], kind="verdict.changed")]
    again = build_report(INCIDENT, builtin_runbook("en"), changed, T0 + timedelta(hours=1))
    assert again["deploy"] == report["deploy"]
    (batch,) = report["deploy"]["batches"]
    assert batch["verdict"]["outcome"] == "Pass" and batch["of"] is None
    assert report["deploy"]["metrics"] == [
        {
            "name": "Error rate",
            "unit": "%",
            "before": 8.6,
            "threshold": None,
            "after": 0.4,
            "at": "2026-11-26T04:05:00Z",
            "outcome": "Pass",
        },
        {
            "name": "Latency p95",
            "unit": "ms",
            "before": None,
            "threshold": 500.0,
            "after": 180.0,
            "at": "2026-11-26T04:05:00Z",
            "outcome": "Pass",
        },
    ]
    text = render_markdown(report)
    assert "- Error rate: before 8.6%, after 0.4%: Pass, judged at 2026-11-26T04:05:00Z" in text
    assert (
        "- Latency p95: before not recorded, after 180 ms (threshold 500 ms): Pass, "
        "judged at 2026-11-26T04:05:00Z"
    ) in text
    assert "  - verdict at 2026-11-26T04:05:00Z: Pass: 2 of 2 critical criteria held" in text
    assert "    - login: 100% (threshold 100%), Pass: login answered 30 of 30" in text


def test_a_command_still_running_and_one_that_never_started() -> None:
    events = [
        Event(
            1,
            T0,
            "aiko",
            "action.finished",
            {
                "name": "production",
                "state": "failed",
                "exit_code": None,
                "error": "cannot start ./deploy.sh: permission denied",
            },
        ),
        Event(
            2,
            T0 + timedelta(minutes=1),
            "aiko",
            "action.started",
            {"name": "production", "version": "v1.2.4", "pid": 77},
        ),
    ]
    report = build_report(INCIDENT, builtin_runbook("en"), events, T0 + timedelta(hours=1))
    never, running = report["deploy"]["actions"]
    assert never["started"] is None and never["state"] == "failed"
    assert never["error"] == "cannot start ./deploy.sh: permission denied"
    assert running["state"] == "unfinished" and running["ended"] is None
    text = render_markdown(report)
    assert (
        "- production: failed: cannot start ./deploy.sh: permission denied, "
        "ended 2026-11-26T04:00:00Z, by aiko" in text
    )
    assert (
        "- production v1.2.4: unfinished, 2026-11-26T04:01:00Z → no end on record, by aiko" in text
    )
    assert "- Deploy marked: not yet" in text and "- Rollback: none" in text


# --- the incident clocks ----------------------------------------------------------------


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


OPENED = Event(1, _at(0), "warroom", "incident.opened", {"started": _at(0).isoformat()})
ALERT = Event(2, _at(3), "warroom", "alert.raised", {"subject": "Error rate", "text": "9%"})
DOWN = Event(
    3, _at(4), "warroom", "health.changed", {"endpoint": "api", "from": "UP", "to": "DOWN"}
)
DEGRADED = Event(
    4, _at(2), "warroom", "health.changed", {"endpoint": "api", "from": "UP", "to": "SLOW"}
)
MARKED = Event(5, _at(30), "aiko", "deploy.marked", {"version": "v1.2.4"})
ROLLED = Event(6, _at(45), "aiko", "rollback.finished", {"version": "v1.2.3", "ok": True})
FAILED_ROLLBACK = Event(6, _at(45), "aiko", "rollback.finished", {"version": "v1.2.3", "ok": False})
REMARKED = Event(7, _at(60), "aiko", "deploy.marked", {"version": "v1.2.5"})
RESOLVED = Event(8, _at(90), "aiko", "incident.resolved", {})


@pytest.mark.parametrize(
    ("events", "detected", "mitigated", "resolved"),
    [
        ([], None, None, None),
        ([OPENED], None, None, None),
        ([OPENED, ALERT], ("2026-11-26T04:03:00Z", "alert: Error rate"), None, None),
        ([OPENED, DOWN], ("2026-11-26T04:04:00Z", "api went DOWN"), None, None),
        # A state other than DOWN is no detection.
        ([OPENED, DEGRADED], None, None, None),
        ([OPENED, ALERT, DOWN], ("2026-11-26T04:03:00Z", "alert: Error rate"), None, None),
        (
            [OPENED, MARKED],
            None,
            ("2026-11-26T04:30:00Z", "deploy of v1.2.4 marked"),
            None,
        ),
        # A rollback supersedes the mark before it: mitigation is the rollback.
        (
            [OPENED, MARKED, ROLLED],
            None,
            ("2026-11-26T04:45:00Z", "rolled back to v1.2.3"),
            None,
        ),
        # A rollback that failed undoes nothing.
        (
            [OPENED, MARKED, FAILED_ROLLBACK],
            None,
            ("2026-11-26T04:30:00Z", "deploy of v1.2.4 marked"),
            None,
        ),
        (
            [OPENED, ALERT, MARKED, ROLLED, REMARKED, RESOLVED],
            ("2026-11-26T04:03:00Z", "alert: Error rate"),
            ("2026-11-26T04:45:00Z", "rolled back to v1.2.3"),
            "2026-11-26T05:30:00Z",
        ),
        ([OPENED, RESOLVED], None, None, "2026-11-26T05:30:00Z"),
    ],
)
def test_clocks_with_and_without_each_milestone(
    events: list[Event],
    detected: tuple[str, str] | None,
    mitigated: tuple[str, str] | None,
    resolved: str | None,
) -> None:
    clocks = clocks_json(incident_clocks(None, events))

    def shown(m: dict[str, Any] | None) -> tuple[str, str] | None:
        return None if m is None else (m["at"], m["what"])

    assert clocks["started"] == ("2026-11-26T04:00:00Z" if events else None)
    assert shown(clocks["detected"]) == detected
    assert shown(clocks["mitigated"]) == mitigated
    assert (clocks["resolved"] or {}).get("at") == resolved
    for key, milestone in (("detect", detected), ("mitigate", mitigated)):
        expected = None
        if milestone is not None:
            expected = int((datetime.fromisoformat(milestone[0]) - T0).total_seconds())
        assert clocks[f"time_to_{key}_seconds"] == expected
    assert clocks["time_to_resolve"] == ("1h 30m" if resolved else None)


def test_clocks_are_to_the_second_and_count_from_the_configured_start() -> None:
    fraction = timedelta(microseconds=999_999)
    events = [
        Event(1, T0 + fraction, "warroom", "alert.raised", {"subject": "Latency"}),
        Event(2, _at(10) + fraction, "aiko", "deploy.marked", {}),
    ]
    configured = T0 - timedelta(minutes=20)
    clocks = clocks_json(incident_clocks(configured, events))
    assert clocks["started"] == "2026-11-26T03:40:00Z"
    assert clocks["detected"]["at"] == "2026-11-26T04:00:00Z"
    assert clocks["time_to_detect"] == "20m 00s"
    assert clocks["mitigated"]["what"] == "deploy of the hotfix marked"
    assert clocks["time_to_mitigate_seconds"] == 30 * 60


def test_markdown_clocks_say_what_is_not_recorded() -> None:
    report = build_report(INCIDENT, builtin_runbook("en"), [OPENED], _at(20))
    text = render_markdown(report)
    section = text.split("## Incident clocks\n\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "- Started: 2026-11-26T04:00:00Z",
        "- Detected: not recorded",
        "- Mitigated: not recorded",
        "- Resolved: not yet",
        "- Time to detect: not recorded",
        "- Time to mitigate: not recorded",
        "- Time to resolve: not yet (running for 20m 00s)",
    ]


def test_warroom_report_tells_the_deploy_from_the_journal_file(tmp_path: Path) -> None:
    """The real command, in a subprocess, on the journal the config names."""
    (tmp_path / "warroom.toml").write_text(
        '[incident]\nid = "INC-77"\ntitle = "Login accepts any password"\nstate_dir = "state"\n',
        encoding="utf-8",
    )
    path = journal_path(tmp_path / "state", "INC-77")
    path.parent.mkdir(parents=True, exist_ok=True)
    _deploy_journal(tmp_path, path=path)

    def report(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "warroom", "report", "--config", "warroom.toml", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    data = json.loads(report("--format", "json"))
    assert data["deploy"]["versions"]["production_now"] == "v1.2.3"
    assert data["clocks"]["time_to_mitigate"] == "52m 36s"
    assert [b["batch"] for b in data["deploy"]["batches"]] == [1, 2, 2, 3]
    text = report()
    assert "- Rollback: v1.2.4 → v1.2.3 at 2026-11-26T04:52:36Z by aiko: succeeded" in text
    assert "      Next: " + LONG_NEXT.strip() in text


def test_a_retried_batch_keeps_its_own_override_and_verdict() -> None:
    def verdict(seq: int, outcome: str, batch: int | None) -> Event:
        payload: dict[str, object] = {"outcome": outcome, "summary": f"{outcome}: seq {seq}"}
        if batch is not None:
            payload["batch"] = batch
        return Event(seq, T0 + timedelta(minutes=seq), "warroom", "deploy.verdict", payload)

    def override(seq: int, reason: str) -> Event:
        payload = {"what": "Deploy batch 1/2", "reason": reason, "refusals": []}
        return Event(seq, T0 + timedelta(minutes=seq), "ben", "override.granted", payload)

    def run(seq: int, batch: int, state: str) -> list[Event]:
        at = T0 + timedelta(minutes=seq)
        common = {"name": "rolling", "batch": batch, "pid": seq}
        end = "action.finished" if state == "succeeded" else "action.failed"
        return [
            Event(seq, at, "aiko", "action.started", common),
            Event(seq + 1, at, "aiko", end, {**common, "state": state}),
        ]

    events = [
        override(1, "left at the confirmation"),
        override(2, "first try"),
        *run(3, 1, "failed"),
        verdict(5, "Fail", 1),
        override(6, "second try"),
        *run(7, 1, "succeeded"),
        verdict(9, "Pass", None),  # names no batch: the one that ended last
        *run(10, 2, "succeeded"),
    ]
    report = build_report(INCIDENT, builtin_runbook("en"), events, T0 + timedelta(hours=1))
    rows = [
        (
            b["batch"],
            b["of"],
            b["state"],
            b["override"] and b["override"]["reason"],
            b["verdict"] and b["verdict"]["outcome"],
        )
        for b in report["deploy"]["batches"]
    ]
    assert rows == [
        (1, 2, "failed", "first try", "Fail"),
        (1, 2, "succeeded", "second try", "Pass"),
        (2, 2, "succeeded", None, None),
    ]

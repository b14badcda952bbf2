"""The incident report, written from the journal: what happened, who did it, what is open.

`build_report` is the single source: a plain dict (the documented JSON shape) that both
renderers read, so the Markdown and the JSON can never disagree. Events that are not
runbook events (escalations, acknowledgements, health transitions, deploys) appear in
the timeline with a generic summary, so a new kind of event is reported without a
change here. The deploy (`deploy_story`) and the incident clocks (`clocks`) are joined
from the same events in modules of their own.

Every time is UTC to the second with a Z (`utc_stamp`); status updates are kept whole,
their lines indented under the update in Markdown.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from warroom.services import events as kinds
from warroom.services.config import IncidentConfig
from warroom.services.escalation.incident_clock import current_severity
from warroom.services.journal.clocks import clocks_json, incident_clocks
from warroom.services.journal.deploy_markdown import deploy_markdown
from warroom.services.journal.deploy_story import ACTION_ENDS, GIT_KINDS, deploy_story
from warroom.services.journal.format import by_seq, format_ranges
from warroom.services.journal.store import EVENT_DAMAGED, JOURNAL_RECOVERED, Event
from warroom.services.journal.times import format_duration as format_duration
from warroom.services.journal.times import seconds_between, utc_stamp
from warroom.services.runbook.model import (
    CHOICE_MADE,
    ITEM_DONE,
    ITEM_NA,
    ITEM_NOTE,
    ITEM_UNDONE,
    ItemState,
    Runbook,
    replay,
)
from warroom.services.sanitize import clean, clean_block

REPORT_VERSION = 1
RESOLVED_KINDS = frozenset({"incident.resolved"})
"""Event kinds that mark the incident resolved (the first one counts)."""


def _iso(at: datetime | None) -> str | None:
    return utc_stamp(at)


def status_text(event: Event) -> str:
    """A status update's text, whole: every line kept, unsafe characters made visible."""
    text = event.payload.get("text", "")
    return clean_block(text if isinstance(text, str) else str(text)).strip("\n")


def _value(value: Any) -> str:
    if isinstance(value, str):
        return clean(value, 500)
    return clean(json.dumps(value, ensure_ascii=False, sort_keys=True), 500)


def describe(event: Event, runbook: Runbook) -> str:
    """One line saying what an event did, in words."""
    payload = event.payload
    item = runbook.item(str(payload.get("item", "")))
    subject = item.text if item is not None else str(payload.get("item", ""))
    if event.kind == ITEM_DONE:
        return f"done: {subject}"
    if event.kind == ITEM_UNDONE:
        return f"reopened: {subject}"
    if event.kind == ITEM_NA:
        return f"not applicable: {subject} ({_value(payload.get('reason', ''))})"
    if event.kind == ITEM_NOTE:
        return f"note on {subject}: {_value(payload.get('text', ''))}"
    if event.kind == CHOICE_MADE:
        for phase in runbook.phases:
            if phase.choice is not None and phase.choice.id == payload.get("choice"):
                label = phase.choice.label(str(payload.get("option", "")))
                return f"chose {phase.choice.title}: {label}"
        return f"chose {_value(payload.get('choice', ''))}: {_value(payload.get('option', ''))}"
    if event.kind == kinds.STATUS_SENT:
        # Whole, never cut: the lines of the update joined on one line.
        return "status update sent: " + " / ".join(
            line.strip() for line in status_text(event).splitlines() if line.strip()
        )
    if event.kind == kinds.INCIDENT_OPENED:
        started = payload.get("started")
        at = _parse(started) if isinstance(started, str) else None
        return f"incident opened, clock started at {_iso(at or event.at)}"
    deploy = _describe_deploy(event)
    if deploy is not None:
        return f"{event.kind}: {deploy}"
    if event.kind == EVENT_DAMAGED:
        was = _value(payload.get("kind", "")) or "unknown kind"
        return f"damaged event (was {was}): {_value(payload.get('problem', ''))}"
    if event.kind == JOURNAL_RECOVERED:
        lost = payload.get("lost")
        ranges = format_ranges(lost) if isinstance(lost, list) and _is_ranges(lost) else ""
        return (
            f"journal rebuilt after damage ({_value(payload.get('problem', ''))}): "
            f"{_value(payload.get('recovered', '?'))} events recovered, "
            + (f"lost seq {ranges}" if ranges else "no gap found")
        )
    details = ", ".join(f"{k}={_value(v)}" for k, v in sorted(payload.items()))
    return f"{event.kind}: {details}" if details else event.kind


def _describe_deploy(event: Event) -> str | None:
    """A step of the deploy path in words (the kind stays in front, as in every line)."""
    payload = event.payload
    kind = event.kind
    if kind in (kinds.ACTION_STARTED, *ACTION_ENDS):
        batch = payload.get("batch")
        what = " ".join(
            part
            for part in (
                _value(payload.get("name", "?")),
                f"batch {_value(batch)}" if batch is not None else "",
                _value(payload["version"]) if isinstance(payload.get("version"), str) else "",
            )
            if part
        )
        if kind == kinds.ACTION_STARTED:
            pid = payload.get("pid")
            return f"{what} started" + (f" (process {_value(pid)})" if pid is not None else "")
        return what + _ending(payload)
    if kind == kinds.OVERRIDE_GRANTED:
        refusals = payload.get("refusals")
        refused = (
            "; refused: " + "; ".join(_value(r) for r in refusals)
            if isinstance(refusals, list) and refusals
            else ""
        )
        return (
            f"{_value(payload.get('what', ''))}, reason: {_value(payload.get('reason', ''))}"
            + refused
        )
    if kind == kinds.DEPLOY_MARKED:
        how = payload.get("action") or payload.get("item")
        version = _value(payload.get("version") or "the hotfix")
        return f"{version} in production" + (f" (by {_value(how)})" if how else "")
    if kind == kinds.ROLLBACK_FINISHED:
        back = _value(payload.get("from_version") or "the hotfix")
        to = _value(payload.get("version") or "the previous version")
        return f"{back} → {to}" + _ending(payload)
    if kind in GIT_KINDS:
        if payload.get("ok") is True:
            return f"done: {_value(payload.get('summary', ''))}"
        return f"FAILED: {_value(payload.get('message') or payload.get('summary') or '')}"
    return None


def _ending(payload: dict[str, Any]) -> str:
    """ " succeeded (exit 0) in 41s": how a command ended, from its end event's payload."""
    state = payload.get("state")
    words = f" {_value(state)}" if isinstance(state, str) else ""
    exit_code = payload.get("exit_code")
    if isinstance(exit_code, int):
        words += f" (exit {exit_code})"
    duration = payload.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        words += f" in {format_duration(duration)}"
    if isinstance(payload.get("error"), str):
        words += f": {_value(payload['error'])}"
    return words


def _parse(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _is_ranges(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(r, list) and len(r) == 2 and all(isinstance(n, int) for n in r) for r in value
    )


def _item_entry(state: ItemState) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": state.item.id,
        "text": state.item.text,
        "state": state.status,
        "by": state.by or None,
        "at": _iso(state.at),
        "note": state.note or None,
        "reason": state.reason or None,
        "notes": [{"text": n.text, "by": n.by, "at": _iso(n.at)} for n in state.notes],
    }
    return entry


def _hotfix_version(events: list[Event]) -> str | None:
    version: str | None = None
    for event in events:
        if event.kind == kinds.ROLLBACK_FINISHED:
            continue  # its version is the one production went back to
        if "hotfix_version" not in event.payload and "version" not in event.payload:
            continue  # most events name no version: skip the lookups
        for key in ("hotfix_version", "version"):
            value = event.payload.get(key)
            if isinstance(value, str) and value and (key == "hotfix_version" or "." in event.kind):
                version = clean(value, 100)
                break
    return version


def build_report(
    incident: IncidentConfig, runbook: Runbook, events: list[Event], now: datetime
) -> dict[str, Any]:
    """The whole report as plain data, ready for `render_json` or `render_markdown`."""
    ordered = sorted(events, key=by_seq)
    state = replay(runbook, ordered)
    # A damaged event's time is borrowed (its own may be unreadable): never a start.
    whole = [e for e in ordered if e.kind != EVENT_DAMAGED]
    clocks = incident_clocks(incident.started, whole)
    started = clocks.started
    resolved = next((e.at for e in whole if e.kind in RESOLVED_KINDS), None)
    duration = seconds_between(started, resolved or now)
    deploy = deploy_story(whole, state)
    # A journal of an older shape may name the hotfix only in other events' payloads.
    versions = deploy["versions"]
    versions["hotfix"] = versions["hotfix"] or _hotfix_version(whole)
    phases = []
    for phase_state in state.phases:
        phase: dict[str, Any] = {
            "id": phase_state.phase.id,
            "title": phase_state.phase.title,
            "progress": {
                "done": phase_state.done,
                "na": phase_state.na,
                "total": phase_state.total,
            },
            "complete": phase_state.complete,
            "gated_by": list(phase_state.unmet),
            "items": [_item_entry(s) for s in phase_state.items],
        }
        if phase_state.choice is not None:
            phase["choice"] = {
                "id": phase_state.choice.choice.id,
                "title": phase_state.choice.choice.title,
                "selected": phase_state.choice.selected,
                "label": (
                    phase_state.choice.choice.label(phase_state.choice.selected)
                    if phase_state.choice.selected
                    else None
                ),
                "by": phase_state.choice.by or None,
                "at": _iso(phase_state.choice.at),
            }
        phases.append(phase)
    timeline = [
        {
            "seq": e.seq,
            "at": _iso(e.at),
            "actor": e.actor,
            "kind": e.kind,
            "summary": describe(e, runbook),
            "payload": dict(e.payload),
        }
        for e in ordered
    ]
    return {
        "version": REPORT_VERSION,
        "generated": _iso(now),
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "severity": current_severity(incident.severity, ordered),
            "started": _iso(started),
            "resolved": _iso(resolved),
            "duration_seconds": duration,
            "duration": format_duration(duration) if duration is not None else None,
            "ongoing": resolved is None,
            "hotfix_version": versions["hotfix"],
        },
        "clocks": clocks_json(clocks),
        "deploy": deploy,
        "status_updates": [
            {"at": _iso(e.at), "by": e.actor, "text": status_text(e)}
            for e in whole
            if e.kind == kinds.STATUS_SENT
        ],
        "runbook": {
            "id": runbook.id,
            "title": runbook.title,
            "lang": runbook.lang,
            "source": runbook.source,
        },
        "progress": {"finished": state.finished, "total": state.total},
        "phases": phases,
        "open_items": [
            {"phase": p.phase.id, "id": s.item.id, "text": s.item.text}
            for p, s in state.open_items()
        ],
        "orphaned": [_item_entry(s) for s in state.orphaned],
        "escalations": _escalations(ordered),
        "health": [
            {
                "at": _iso(e.at),
                **{k: e.payload.get(k) for k in ("endpoint", "from", "to", "reason")},
            }
            for e in ordered
            if e.kind == "health.changed"
        ],
        "damaged": [
            {
                "seq": e.seq,
                "kind": e.payload.get("kind") or None,
                "problem": e.payload.get("problem", ""),
            }
            for e in ordered
            if e.kind == EVENT_DAMAGED
        ],
        "timeline": timeline,
    }


def _escalations(events: list[Event]) -> list[dict[str, Any]]:
    """Each level crossed, with who acknowledged it (an ack covers the levels below)."""
    acks = [e for e in events if e.kind == "escalation.ack"]
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.kind != "escalation.crossed":
            continue
        level = event.payload.get("level")
        ack = next(
            (
                a
                for a in acks
                if a.seq > event.seq
                and isinstance(level, int)
                and isinstance(a.payload.get("level"), int)
                and a.payload["level"] >= level
            ),
            None,
        )
        rows.append(
            {
                "level": level,
                "role": clean(str(event.payload.get("role", "")), 200),
                "contact": clean(str(event.payload.get("contact", "")), 200),
                "at": _iso(event.at),
                "acked_by": ack.actor if ack is not None else None,
                "acked_at": _iso(ack.at) if ack is not None else None,
            }
        )
    return rows


def render_json(report: dict[str, Any]) -> str:
    """The report as indented JSON (UTF-8 text, Japanese kept readable)."""
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


_MARK = {"done": "[x]", "na": "[-]", "open": "[ ]"}


def _md(text: object) -> str:
    """Plain text made safe inside a Markdown list line."""
    value = str(text).replace("\n", " ")
    for char in "\\`*_[]<>|":
        value = value.replace(char, "\\" + char)
    return value


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown, for a ticket or a post-incident review."""
    inc = report["incident"]
    out: list[str] = [f"# Incident report: {_md(inc['id'])} — {_md(inc['title'])}", ""]
    out.append(f"- Severity: {inc['severity']}")
    out.append(f"- Started: {inc['started'] or 'not recorded'}")
    if inc["resolved"]:
        out.append(f"- Resolved: {inc['resolved']} (duration {inc['duration']})")
    else:
        duration = f" (running for {inc['duration']})" if inc["duration"] else ""
        out.append(f"- Resolved: not yet{duration}")
    if inc["hotfix_version"]:
        out.append(f"- Hotfix version: {_md(inc['hotfix_version'])}")
    progress = report["progress"]
    out.append(
        f"- Runbook: {_md(report['runbook']['title'])}, "
        f"{progress['finished']}/{progress['total']} items finished"
    )
    out.append(f"- Generated: {report['generated']}")
    if report["damaged"]:
        seqs = ", ".join(f"#{row['seq']}" for row in report["damaged"])
        out.append(f"- Damaged journal events: {seqs} (see below; the rest is shown)")
    out += ["", *_md_clocks(report["clocks"], inc)]
    out += deploy_markdown(report["deploy"], _md)
    out += ["", "## Open items", ""]
    if report["open_items"]:
        out += [f"- {_md(i['id'])}: {_md(i['text'])}" for i in report["open_items"]]
    else:
        out.append("None.")
    out += ["", "## Runbook", ""]
    for index, phase in enumerate(report["phases"], start=1):
        p = phase["progress"]
        out.append(f"### {index}. {_md(phase['title'])} ({p['done'] + p['na']}/{p['total']})")
        out.append("")
        if "choice" in phase and phase["choice"]["selected"]:
            c = phase["choice"]
            out.append(f"{_md(c['title'])}: {_md(c['label'])} (by {_md(c['by'])} at {c['at']})")
            out.append("")
        out += _md_items(phase["items"])
        out.append("")
    if report["status_updates"]:
        out += ["## Status updates", ""]
        for update in report["status_updates"]:
            out += [f"- {update['at']} {_md(update['by'])}:", ""]
            # An indented code block: kept whole, line by line, never read as Markdown.
            out += [f"      {line}".rstrip() for line in update["text"].splitlines()]
            out.append("")
    if report["orphaned"]:
        out += ["## Orphaned (items no longer in the runbook)", ""]
        out += _md_items(report["orphaned"])
        out.append("")
    if report["escalations"]:
        out += ["## Escalations", ""]
        for row in report["escalations"]:
            acked = (
                f"acknowledged by {_md(row['acked_by'])} at {row['acked_at']}"
                if row["acked_by"]
                else "NOT acknowledged"
            )
            contact = f" ({_md(row['contact'])})" if row["contact"] else ""
            out.append(f"- {row['at']} {_md(row['role'])}{contact}: {acked}")
        out.append("")
    if report["health"]:
        out += ["## Health transitions", ""]
        for row in report["health"]:
            reason = f" ({_md(row['reason'])})" if row["reason"] else ""
            out.append(f"- {row['at']} {_md(row['endpoint'])}: {row['from']} → {row['to']}{reason}")
        out.append("")
    if report["damaged"]:
        out += ["## Damaged journal events", ""]
        for row in report["damaged"]:
            was = f" (was {_md(row['kind'])})" if row["kind"] else ""
            out.append(f"- #{row['seq']}{was}: {_md(row['problem'])}")
        out.append("")
    out += ["## Timeline", ""]
    if report["timeline"]:
        for event in report["timeline"]:
            out.append(
                f"- {event['at']} #{event['seq']} {_md(event['actor'])}: {_md(event['summary'])}"
            )
    else:
        out.append("No events recorded.")
    return "\n".join(out) + "\n"


def _md_clocks(clocks: dict[str, Any], incident: dict[str, Any]) -> list[str]:
    """The `## Incident clocks` section: four milestones and the spans from the start."""
    out = ["## Incident clocks", ""]
    out.append(f"- Started: {clocks['started'] or 'not recorded'}")
    for label, key in (("Detected", "detected"), ("Mitigated", "mitigated")):
        milestone = clocks[key]
        shown = (
            f"{milestone['at']} ({_md(milestone['what'])})"
            if milestone is not None
            else "not recorded"
        )
        out.append(f"- {label}: {shown}")
    resolved = clocks["resolved"]
    out.append(f"- Resolved: {resolved['at'] if resolved is not None else 'not yet'}")
    for label, key in (
        ("Time to detect", "time_to_detect"),
        ("Time to mitigate", "time_to_mitigate"),
    ):
        out.append(f"- {label}: {clocks[key] or 'not recorded'}")
    if clocks["time_to_resolve"] is not None:
        out.append(f"- Time to resolve: {clocks['time_to_resolve']}")
    else:
        running = f" (running for {incident['duration']})" if incident["duration"] else ""
        out.append(f"- Time to resolve: not yet{running}")
    out.append("")
    return out


def _md_items(items: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for item in items:
        line = f"- {_MARK[item['state']]} {_md(item['text'])} `{item['id']}`"
        if item["state"] == "done":
            line += f" — done by {_md(item['by'])} at {item['at']}"
        elif item["state"] == "na":
            line += f" — not applicable ({_md(item['reason'])}), {_md(item['by'])} at {item['at']}"
        lines.append(line)
        for note in item["notes"]:
            lines.append(f"  - note by {_md(note['by'])} at {note['at']}: {_md(note['text'])}")
    return lines

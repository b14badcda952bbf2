"""The deploy story written for people: the report's `## Deploy` section in Markdown.

It reads only the `deploy` object `deploy_story` joined from the journal, so the JSON
and the Markdown report tell the same story; what is missing reads "not recorded".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warroom.services.journal.deploy_story import ROLLBACK


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "not recorded"
    shown = f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{shown}{unit}" if unit in ("%", "") else f"{shown} {unit}"


def _when(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{start} → {end}"
    if start:
        return f"{start} → no end on record"
    return f"ended {end}" if end else "time not recorded"


def _or_not(value: object) -> str:
    return str(value) if value else "not recorded"


def deploy_markdown(deploy: dict[str, Any], md: Callable[[object], str]) -> list[str]:
    """The `## Deploy` section's lines; `md` escapes one line of untrusted text."""
    versions = deploy["versions"]
    out = ["## Deploy", ""]
    out.append(
        f"- Versions: production before {md(_or_not(versions['production_before']))}, "
        f"hotfix {md(_or_not(versions['hotfix']))}, "
        f"in production now {md(_or_not(versions['production_now']))}"
    )
    strategy = deploy["strategy"]
    if strategy is None:
        out.append("- Strategy: not chosen")
    else:
        out.append(
            f"- Strategy: {md(strategy['label'])} "
            f"(chosen by {md(strategy['by'])} at {strategy['at']})"
        )
    if not deploy["marks"]:
        out.append("- Deploy marked: not yet")
    for mark in deploy["marks"]:
        how = ", ".join(md(v) for v in (mark["version"], mark["action"] or mark["item"]) if v)
        undone = ", superseded by a rollback" if mark["superseded"] else ""
        out.append(
            f"- Deploy marked: {mark['at']} by {md(mark['by'])}"
            + (f" ({how}{undone})" if how or undone else "")
        )
    if not deploy["rollbacks"]:
        out.append("- Rollback: none")
    for rb in deploy["rollbacks"]:
        exit_code = f" (exit {rb['exit_code']})" if rb["exit_code"] is not None else ""
        took = f" in {rb['duration']}" if rb["duration"] else ""
        began = f", started {rb['started']}" if rb["started"] else ""
        out.append(
            f"- Rollback: {md(_or_not(rb['from_version']))} → {md(_or_not(rb['to_version']))} "
            f"at {rb['at']} by {md(rb['by'])}: {md(rb['outcome'])}{exit_code}{took}{began}"
        )
    out += ["", "### Commands", ""]
    out += [_action_line(a, md) for a in deploy["actions"]] or ["No command ran."]
    if deploy["batches"]:
        out += ["", "### Rolling batches", ""]
        for row in deploy["batches"]:
            out += _batch_lines(row, md)
    out += ["", "### Overrides", ""]
    for o in deploy["overrides"]:
        refused = f" Refused: {md('; '.join(o['refusals']))}" if o["refusals"] else ""
        out.append(
            f"- {o['at']} {md(o['by'])}: {md(o['what'])}. Reason: {md(o['reason'])}.{refused}"
        )
    if not deploy["overrides"]:
        out.append("None.")
    out += ["", "### Headline metrics before and after the deploy", ""]
    for m in deploy["metrics"]:
        limit = f" (threshold {_figure(m['threshold'], m['unit'])})" if m["threshold"] else ""
        out.append(
            f"- {md(m['name'])}: before {_figure(m['before'], m['unit'])}, "
            f"after {_figure(m['after'], m['unit'])}{limit}: {md(_or_not(m['outcome']))}, "
            f"judged at {m['at']}"
        )
    if not deploy["metrics"]:
        out.append("Not recorded: the journal holds no verdict with figures.")
    if deploy["git"]:
        out += ["", "### Git", ""]
        for g in deploy["git"]:
            result = "done" if g["ok"] else "FAILED"
            version = f" ({md(g['version'])})" if g["version"] else ""
            said = g["summary"] if g["ok"] else (g["message"] or g["summary"])
            out.append(f"- {g['at']} {md(g['by'])}: {g['step']} {result}{version}: {md(said)}")
    if deploy["watch"]:
        out += ["", "### Watch window", ""]
        for w in deploy["watch"]:
            what = f"checkpoint {w['n']}" if w["kind"] == "checkpoint" else "ended"
            out.append(f"- {w['at']} {what}: {md(w['health'] or 'health not recorded')}")
    return out


def _action_line(action: dict[str, Any], md: Callable[[object], str]) -> str:
    name = md(action["name"]) + (f" batch {action['batch']}" if action["batch"] else "")
    version = f" {md(action['version'])}" if action["version"] else ""
    if action["name"] == ROLLBACK and version:
        version = " from" + version  # the version it rolls back, not the one it goes to
    exit_code = f" (exit {action['exit_code']})" if action["exit_code"] is not None else ""
    took = f", {action['duration']}" if action["duration"] else ""
    error = f": {md(action['error'])}" if action["error"] else ""
    return (
        f"- {name}{version}: {md(action['state'])}{exit_code}{error}, "
        f"{_when(action['started'], action['ended'])}{took}, by {md(action['by'])}"
    )


def _batch_lines(row: dict[str, Any], md: Callable[[object], str]) -> list[str]:
    of = f"/{row['of']}" if row["of"] else ""
    version = f" ({md(row['version'])})" if row["version"] else ""
    took = f" ({row['duration']})" if row["duration"] else ""
    lines = [
        f"- Batch {row['batch']}{of}{version}: {md(row['state'])}, "
        f"{_when(row['started'], row['ended'])}{took}, by {md(row['by'])}"
    ]
    override = row["override"]
    if override is not None:
        refused = (
            f" (refused: {md('; '.join(override['refusals']))})" if override["refusals"] else ""
        )
        lines.append(
            f"  - overridden by {md(override['by'])} at {override['at']}: "
            f"{md(override['reason'])}{refused}"
        )
    verdict = row["verdict"]
    if verdict is None:
        lines.append("  - verdict: not recorded")
        return lines
    lines.append(f"  - verdict at {verdict['at']}: {md(verdict['summary'])}")
    for c in verdict["criteria"]:
        limit = f" (threshold {_figure(c['threshold'], c['unit'])})" if c["threshold"] else ""
        lines.append(
            f"    - {md(c['name'])}: {_figure(c['value'], c['unit'])}{limit}, "
            f"{md(_or_not(c['outcome']))}: {md(c['reason'])}"
        )
    return lines

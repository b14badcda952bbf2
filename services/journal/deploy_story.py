"""The deploy as a story: versions, strategy, every command, batches, overrides, rollback.

The journal holds the deploy as separate events (`action.started`, `action.finished`,
`override.granted`, `deploy.marked`, `rollback.finished`, ...); a reader of the report
wants them joined: each command with its start, end, state and duration, each rolling
batch with the override that let it run and the verdict after it, and the figures
before and after the deploy. `deploy_story` does that joining from the journal alone,
and `deploy_markdown` (in its own module) writes it for people.

What the journal does not record is said to be "not recorded", never guessed.
A verdict is read from `verdict.changed` (the session journals one whenever the outcome
on the deploy changes) or any event whose kind ends in `.verdict`, its payload shaped as
`warroom check --json`'s `verdict` (outcome, summary, criteria) with an optional `batch`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from typing import Any

from warroom.services import events as kinds
from warroom.services.journal.format import EVENT_DAMAGED, Event, by_seq
from warroom.services.journal.times import format_duration, seconds_between, utc_stamp
from warroom.services.runbook.model import RunbookState
from warroom.services.sanitize import clean

ACTION_ENDS = frozenset({kinds.ACTION_FINISHED, "action.failed", "action.cancelled"})
"""The kinds that end a command (by how it ended), as the release controller writes them."""
GIT_KINDS = {kinds.RELEASE_BRANCH: "branch", kinds.RELEASE_TAG: "tag", kinds.RELEASE_MERGE: "merge"}
"""The git actions and the words the report uses for them."""
VERDICT_SUFFIX = ".verdict"


def is_verdict(kind: str) -> bool:
    """Whether an event of `kind` carries a verdict on the deploy."""
    return kind == kinds.VERDICT_CHANGED or kind.endswith(VERDICT_SUFFIX)


WATCH_KINDS = {kinds.WATCH_CHECKPOINT: "checkpoint", kinds.WATCH_ENDED: "ended"}
ROLLBACK = "rollback"
"""The command name of the rollback (its start is joined to `rollback.finished`)."""

_BATCH = re.compile(r"\bbatch (\d+)(?:/(\d+))?", re.IGNORECASE)
"""How a batch is named in an override's `what` ("Deploy batch 2/3")."""


def _text(value: object, limit: int = 500) -> str | None:
    """A payload string, cleaned; None when absent or not a string."""
    return clean(value, limit) if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _duration(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration(seconds)


def deploy_story(events: Sequence[Event], runbook: RunbookState) -> dict[str, Any]:
    """The report's `deploy` object, from the journal's events (damaged ones passed by)."""
    whole = _deploy_events(events)
    actions = _actions(whole)
    overrides = _overrides(whole)
    verdicts = _verdicts(whole)
    marks = _marks(whole)
    rollbacks = _rollbacks(whole, actions)
    return {
        "versions": _versions(whole, marks, rollbacks),
        "strategy": _strategy(runbook),
        "actions": [{k: v for k, v in a.items() if not k.startswith("_")} for a in actions],
        "batches": _batches(actions, overrides, verdicts),
        "overrides": [{k: v for k, v in o.items() if not k.startswith("_")} for o in overrides],
        "marks": marks,
        "rollbacks": rollbacks,
        "git": _git(whole),
        "verdicts": [{k: v for k, v in v_.items() if not k.startswith("_")} for v_ in verdicts],
        "metrics": _metrics(verdicts),
        "watch": _watch(whole),
    }


DEPLOY_KINDS = frozenset(
    {
        kinds.ACTION_STARTED,
        *ACTION_ENDS,
        kinds.OVERRIDE_GRANTED,
        kinds.DEPLOY_MARKED,
        kinds.ROLLBACK_FINISHED,
        *GIT_KINDS,
        *WATCH_KINDS,
    }
)
"""The kinds the story joins (verdicts are recognised by `is_verdict`)."""


def _deploy_events(events: Sequence[Event]) -> list[Event]:
    """The whole events the story reads, in seq order, picked in one pass.

    A long incident is mostly ticks, notes and health changes the story never reads;
    each of its parts then walks only these instead of the whole journal.
    """
    wanted: dict[str, bool] = {}
    kept: list[Event] = []
    for event in events:
        kind = event.kind
        reads = wanted.get(kind)
        if reads is None:
            reads = wanted[kind] = kind != EVENT_DAMAGED and (
                kind in DEPLOY_KINDS or is_verdict(kind)
            )
        payload = event.payload
        if reads or (
            kind != EVENT_DAMAGED
            and ("previous_version" in payload or "production_version" in payload)
        ):
            kept.append(event)
    kept.sort(key=by_seq)
    return kept


# --- joining the journal's events ----------------------------------------------------


def _actions(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Each command run: its start joined to its end (by process id, else by name and batch)."""
    runs: list[dict[str, Any]] = []
    for event in events:
        if event.kind != kinds.ACTION_STARTED and event.kind not in ACTION_ENDS:
            continue
        payload = event.payload
        name = _text(payload.get("name"), 100) or "?"
        batch = _int(payload.get("batch"))
        if event.kind == kinds.ACTION_STARTED:
            runs.append(
                {
                    "name": name,
                    "version": _text(payload.get("version"), 100),
                    "batch": batch,
                    "by": event.actor,
                    "started": utc_stamp(event.at),
                    "ended": None,
                    "state": "unfinished",
                    "exit_code": None,
                    "duration_seconds": None,
                    "duration": None,
                    "error": None,
                    "_pid": _int(payload.get("pid")),
                    "_start": event.at,
                    "_end": None,
                    "_seq": event.seq,
                }
            )
        elif event.kind in ACTION_ENDS:
            run = _open_run(runs, name, batch, _int(payload.get("pid")))
            if run is None:
                # It never started (no process): on record by its end alone.
                run = {
                    "name": name,
                    "version": _text(payload.get("version"), 100),
                    "batch": batch,
                    "by": event.actor,
                    "started": None,
                    "_pid": None,
                    "_start": None,
                    "_end": None,
                    "_seq": event.seq,
                }
                runs.append(run)
            state = _text(payload.get("state"), 40) or event.kind.removeprefix("action.")
            seconds = _number(payload.get("duration"))
            if seconds is None:
                seconds = seconds_between(run["_start"], event.at)
            run.update(
                {
                    "ended": utc_stamp(event.at),
                    "state": state,
                    "exit_code": _int(payload.get("exit_code")),
                    "duration_seconds": round(seconds, 3) if seconds is not None else None,
                    "duration": _duration(seconds),
                    "error": _text(payload.get("error")),
                    "_end": event.at,
                }
            )
    return runs


def _open_run(
    runs: list[dict[str, Any]], name: str, batch: int | None, pid: int | None
) -> dict[str, Any] | None:
    """The latest run not yet ended that this end belongs to."""

    def belongs(run: dict[str, Any]) -> bool:
        if run["_end"] is not None:
            return False
        if pid is not None and run["_pid"] is not None:
            return bool(run["_pid"] == pid)
        return bool(run["name"] == name and run["batch"] == batch)

    return next((run for run in reversed(runs) if belongs(run)), None)


def _overrides(events: Sequence[Event]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.kind != kinds.OVERRIDE_GRANTED:
            continue
        what = _text(event.payload.get("what")) or ""
        refusals = event.payload.get("refusals")
        match = _BATCH.search(what)
        rows.append(
            {
                "at": utc_stamp(event.at),
                "by": event.actor,
                "what": what,
                "reason": _text(event.payload.get("reason"), 2000) or "",
                "refusals": [clean(str(r), 500) for r in refusals]
                if isinstance(refusals, list)
                else [],
                "batch": int(match.group(1)) if match else None,
                "of": int(match.group(2)) if match and match.group(2) else None,
                "_seq": event.seq,
            }
        )
    return rows


def _verdicts(events: Sequence[Event]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events:
        if not is_verdict(event.kind):
            continue
        payload = event.payload
        criteria = payload.get("criteria")
        outcome = _text(payload.get("outcome"), 40) or _text(payload.get("verdict"), 40)
        rows.append(
            {
                "at": utc_stamp(event.at),
                "by": event.actor,
                "batch": _int(payload.get("batch")),
                "outcome": outcome,
                "summary": _text(payload.get("summary")) or outcome or "",
                "criteria": [_criterion(c) for c in criteria if isinstance(c, dict)]
                if isinstance(criteria, list)
                else [],
                "_seq": event.seq,
            }
        )
    return rows


def _criterion(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(raw.get("name"), 200) or "?",
        "kind": _text(raw.get("kind"), 40),
        "value": _number(raw.get("value")),
        "threshold": _number(raw.get("threshold")),
        "unit": _text(raw.get("unit"), 20) or "",
        "outcome": _text(raw.get("outcome"), 40),
        "reason": _text(raw.get("reason")) or "",
    }


def _batches(
    actions: list[dict[str, Any]],
    overrides: list[dict[str, Any]],
    verdicts: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each run of a rolling batch (a retried batch is two rows), with its override and verdict.

    An override belongs to the run of its batch that followed it; a verdict to the
    batch it names, else to the batch that ended last before it.
    """
    runs = [a for a in actions if a["batch"] is not None]
    total = max((o["of"] for o in overrides if o["of"] is not None), default=None)
    # Indexed by batch so a long rollout joins in one pass, not runs x overrides.
    waiting: dict[int, deque[dict[str, Any]]] = {}
    for o in overrides:
        if o["batch"] is not None:
            waiting.setdefault(o["batch"], deque()).append(o)
    named: dict[int, list[dict[str, Any]]] = {}
    unnamed: list[dict[str, Any]] = []
    for v in verdicts:
        (unnamed if v["batch"] is None else named.setdefault(v["batch"], [])).append(v)
    unnamed_seqs = [v["_seq"] for v in unnamed]
    # For each run, when its batch runs again (a retry), walking from the end.
    retries: list[int | None] = [None] * len(runs)
    next_run: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        retries[index] = next_run.get(runs[index]["batch"])
        next_run[runs[index]["batch"]] = runs[index]["_seq"]
    rows: list[dict[str, Any]] = []
    for index, run in enumerate(runs):
        later = runs[index + 1]["_seq"] if index + 1 < len(runs) else None
        queue = waiting.get(run["batch"], deque())
        override: dict[str, Any] | None = None
        # The latest override of this batch granted before this run (one granted and
        # then left at the confirmation ran nothing).
        while queue and queue[0]["_seq"] < run["_seq"]:
            override = queue.popleft()
        # Its verdict: the latest naming its batch before the batch runs again, or the
        # latest unnamed one before the next run; whichever came last.
        retry = retries[index]
        candidates = [
            v
            for v in named.get(run["batch"], [])
            if run["_seq"] < v["_seq"] and (retry is None or v["_seq"] < retry)
        ][-1:]
        stop = bisect_left(unnamed_seqs, later) if later is not None else len(unnamed)
        first = bisect_right(unnamed_seqs, run["_seq"])
        if stop > first:
            candidates.append(unnamed[stop - 1])
        verdict = max(candidates, key=lambda v: int(v["_seq"]), default=None)
        rows.append(
            {
                "batch": run["batch"],
                "of": total,
                "version": run["version"],
                "by": run["by"],
                "started": run["started"],
                "ended": run["ended"],
                "state": run["state"],
                "duration_seconds": run["duration_seconds"],
                "duration": run["duration"],
                "override": None
                if override is None
                else {k: override[k] for k in ("at", "by", "reason", "refusals")},
                "verdict": None
                if verdict is None
                else {k: verdict[k] for k in ("at", "outcome", "summary", "criteria")},
            }
        )
    return rows


def _marks(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Each deploy mark, and whether a successful rollback after it superseded it."""
    rollbacks = [
        e.seq for e in events if e.kind == kinds.ROLLBACK_FINISHED and e.payload.get("ok") is True
    ]
    return [
        {
            "at": utc_stamp(e.at),
            "by": e.actor,
            "version": _text(e.payload.get("version"), 100),
            "action": _text(e.payload.get("action"), 100),
            "item": _text(e.payload.get("item"), 200),
            "superseded": any(seq > e.seq for seq in rollbacks),
        }
        for e in events
        if e.kind == kinds.DEPLOY_MARKED
    ]


def _rollbacks(events: Sequence[Event], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.kind != kinds.ROLLBACK_FINISHED:
            continue
        payload = event.payload
        started = next(
            (
                a
                for a in reversed(actions)
                if a["name"] == ROLLBACK and a["_seq"] < event.seq and a["started"] is not None
            ),
            None,
        )
        seconds = _number(payload.get("duration"))
        ok = payload.get("ok") is True
        rows.append(
            {
                "at": utc_stamp(event.at),
                "by": event.actor,
                "started": started["started"] if started is not None else None,
                "from_version": _text(payload.get("from_version"), 100),
                "to_version": _text(payload.get("version"), 100),
                "ok": ok,
                "outcome": _text(payload.get("state"), 40) or ("succeeded" if ok else "failed"),
                "exit_code": _int(payload.get("exit_code")),
                "duration_seconds": round(seconds, 3) if seconds is not None else None,
                "duration": _duration(seconds),
            }
        )
    return rows


def _versions(
    events: Sequence[Event], marks: list[dict[str, Any]], rollbacks: list[dict[str, Any]]
) -> dict[str, Any]:
    """Production before the hotfix, the hotfix, and what production runs as the journal ends."""
    hotfix: str | None = None
    before: str | None = None
    for event in events:
        payload = event.payload
        for key in ("previous_version", "production_version"):
            before = _text(payload.get(key), 100) or before
        if event.kind == kinds.ROLLBACK_FINISHED:
            before = _text(payload.get("version"), 100) or before
            hotfix = _text(payload.get("from_version"), 100) or hotfix
        elif event.kind in (kinds.DEPLOY_MARKED, kinds.ACTION_STARTED, *GIT_KINDS):
            if event.kind in GIT_KINDS and payload.get("ok") is not True:
                continue
            hotfix = _text(payload.get("version"), 100) or hotfix
        elif is_verdict(event.kind) or event.kind in ACTION_ENDS:
            hotfix = _text(payload.get("version"), 100) or hotfix
    now: str | None = None
    last_mark = marks[-1] if marks else None
    last_rollback = next((r for r in reversed(rollbacks) if r["ok"]), None)
    if last_rollback is not None and (last_mark is None or last_mark["superseded"]):
        now = last_rollback["to_version"]
    elif last_mark is not None:
        now = last_mark["version"] or hotfix
    return {"production_before": before, "hotfix": hotfix, "production_now": now}


def _strategy(runbook: RunbookState) -> dict[str, Any] | None:
    """The deploy strategy picked in the runbook (the first choice made), or None."""
    for phase in runbook.phases:
        choice = phase.choice
        if choice is not None and choice.selected is not None:
            return {
                "choice": choice.choice.id,
                "title": choice.choice.title,
                "option": choice.selected,
                "label": choice.choice.label(choice.selected),
                "by": choice.by or None,
                "at": utc_stamp(choice.at),
            }
    return None


def _git(events: Sequence[Event]) -> list[dict[str, Any]]:
    return [
        {
            "step": GIT_KINDS[e.kind],
            "at": utc_stamp(e.at),
            "by": e.actor,
            "ok": e.payload.get("ok") is True,
            "version": _text(e.payload.get("version"), 100),
            "summary": _text(e.payload.get("summary")) or "",
            "message": _text(e.payload.get("message")) or "",
        }
        for e in events
        if e.kind in GIT_KINDS
    ]


def _metrics(verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each judged metric's figure before and after the deploy, from the latest verdict.

    A baseline criterion carries both (the baseline median and the post-deploy median);
    a threshold criterion only the figure after, beside its threshold. Endpoints are
    health, not metrics, and stay in the verdict.
    """
    rows: dict[str, dict[str, Any]] = {}
    for verdict in verdicts:
        for c in verdict["criteria"]:
            if c["kind"] == "endpoint":
                continue
            row = rows.setdefault(
                c["name"],
                {"name": c["name"], "unit": c["unit"], "before": None, "threshold": None},
            )
            if c["kind"] == "baseline":
                row["before"] = c["threshold"]
            else:
                row["threshold"] = c["threshold"]
            row.update({"after": c["value"], "at": verdict["at"], "outcome": c["outcome"]})
    return list(rows.values())


def _watch(events: Sequence[Event]) -> list[dict[str, Any]]:
    return [
        {
            "at": utc_stamp(e.at),
            "kind": WATCH_KINDS[e.kind],
            "n": _int(e.payload.get("n")),
            "deploy_seq": _int(e.payload.get("deploy_seq")),
            "health": _text(e.payload.get("health")) or "",
        }
        for e in events
        if e.kind in WATCH_KINDS
    ]

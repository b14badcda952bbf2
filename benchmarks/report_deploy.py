"""The report of a long deploy: what `warroom report` pays to join the deploy's events.

The deploy story joins each command's start to its end, each rolling batch to its
override and verdict, and each rollback to its start. Measured on journals of growing
size, each a rolling deploy of many batches (override, start, end, verdict per batch;
every tenth batch failed and retried), plus status updates and checklist ticks:
`build_report` alone and with `render_markdown` and `render_json`, medians of 5 runs.
Goal: a 10,000-event incident reports in well under a second.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from warroom.services.config import IncidentConfig
from warroom.services.journal.report import build_report, render_json, render_markdown
from warroom.services.journal.store import Event
from warroom.services.runbook.model import builtin_runbook

RUNS = 5
T0 = datetime(2026, 11, 26, 4, 0, 0, 250_000, tzinfo=UTC)
CRITERIA = [
    {"name": "Error rate", "kind": "baseline", "value": 0.4, "threshold": 8.6, "unit": "%",
     "outcome": "Pass", "reason": "Error rate median 0.4% vs baseline 8.6%"},
    {"name": "Latency p95", "kind": "threshold", "value": 180.0, "threshold": 500.0,
     "unit": "ms", "outcome": "Pass", "reason": "Latency p95 180 ms <= 500 ms"},
]  # fmt: skip


def deploy_events(count: int) -> list[Event]:
    """About `count` events: batches of five events, a few status updates and ticks."""
    events: list[Event] = []

    def add(actor: str, kind: str, payload: dict[str, object]) -> None:
        seq = len(events) + 1
        events.append(Event(seq, T0 + timedelta(seconds=seq * 7.3), actor, kind, payload))

    add("aiko", "choice.made", {"choice": "p09.strategy", "option": "rolling"})
    batches = count // 5
    for batch in range(1, batches + 1):
        tries = 2 if batch % 10 == 0 else 1
        for attempt in range(tries):
            what = f"Deploy batch {batch}/{batches}"
            add("ben", "override.granted", {"what": what, "reason": "on paper", "refusals": []})
            run = {"name": "rolling", "batch": batch, "version": "v1.2.4", "pid": len(events)}
            add("aiko", "action.started", run)
            state = "failed" if attempt + 1 < tries else "succeeded"
            kind = "action.failed" if state == "failed" else "action.finished"
            add("aiko", kind, {**run, "state": state, "exit_code": 0, "duration": 61.2})
        add("warroom", "deploy.verdict", {"batch": batch, "outcome": "Pass", "criteria": CRITERIA})
        if batch % 50 == 0:
            add("aiko", "status.sent", {"text": f"batch {batch}\nall well\n" + "next " * 80})
    add("aiko", "deploy.marked", {"action": "rolling", "version": "v1.2.4"})
    return events


def median_ms(action: Callable[[], object]) -> float:
    """The median wall time of `action` over RUNS runs, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    incident = IncidentConfig(id="INC-1", title="bench", severity="SEV1")
    runbook = builtin_runbook("en")
    now = T0 + timedelta(days=1)
    results: dict[str, float] = {}
    for size in (1_000, 10_000):
        events = deploy_events(size)
        label = f"{len(events)} events"
        results[f"{label}: build_report"] = median_ms(
            lambda e=events: build_report(incident, runbook, e, now)  # type: ignore[misc]
        )
        report = build_report(incident, runbook, events, now)
        results[f"{label}: + markdown and json"] = median_ms(
            lambda r=report: (render_markdown(r), render_json(r))  # type: ignore[misc]
        )
    print(f"{'report of a long deploy (median of 5)':<44}{'ms':>10}")
    for name, value in results.items():
        print(f"{name:<44}{value:>10.1f}")
    print(json.dumps({"benchmark": "report_deploy", "ms": results}))


if __name__ == "__main__":
    main()

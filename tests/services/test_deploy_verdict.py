"""Which deploy the verdict judges, its words, and what it means between rolling batches.

Pure rules as tables: the anchor found in a journal's events, the headline a verdict
line shows, the `verdict.changed` payload, and the rolling controller's refusal and
plan for each outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.services.test_verdict import CONFIG, DEPLOY, endpoint, series
from warroom.services.config import parse_config
from warroom.services.health.status import HealthSnapshot, ProbeState
from warroom.services.journal.store import Event
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.services.release.deploy_verdict import (
    Anchor,
    DeployVerdict,
    anchor,
    deploy_verdict,
    headline,
)
from warroom.services.release.rolling import RollingPlan
from warroom.services.release.rollout import verdict_plan, verdict_refusal
from warroom.services.release.verdict import (
    MetricRule,
    Outcome,
    Verdict,
    combine,
    judge_threshold,
)

PASS, FAIL, INCONCLUSIVE = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE


def ev(seq: int, kind: str, **payload: Any) -> Event:
    return Event(seq, DEPLOY + timedelta(seconds=seq), "aiko", kind, payload)


MARK = ev(3, "deploy.marked", version="v1.2.4")
BATCH_1 = ev(4, "action.finished", name="rolling", state="succeeded", batch=1)
STAGING = ev(5, "action.finished", name="staging", state="succeeded")
ROLLED = ev(6, "rollback.finished", ok=True, version="v1.2.3")
ROLLBACK_FAILED = ev(6, "rollback.finished", ok=False, version="v1.2.3")
NOTE = ev(7, "item.note", item="p01.x", text="hi")
MARK_AGAIN = ev(8, "deploy.marked")


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], None),
        ([NOTE], None),
        ([MARK], Anchor(3, MARK.at)),
        ([MARK, NOTE], Anchor(3, MARK.at)),
        ([BATCH_1], Anchor(4, BATCH_1.at, 1)),
        # A mark after a batch (the last batch marks the deploy) is what is judged.
        ([BATCH_1, ev(5, "deploy.marked")], Anchor(5, DEPLOY + timedelta(seconds=5))),
        # Another command's end is not a deploy.
        ([MARK, STAGING], Anchor(3, MARK.at)),
        ([STAGING], None),
        # A successful rollback ends the judging; a failed one does not.
        ([MARK, ROLLED], None),
        ([BATCH_1, ROLLED, NOTE], None),
        ([MARK, ROLLBACK_FAILED], Anchor(3, MARK.at)),
        # A deploy marked again after the rollback is judged anew.
        ([MARK, ROLLED, MARK_AGAIN], Anchor(8, MARK_AGAIN.at)),
    ],
)
def test_the_deploy_judged(events: list[Event], expected: Anchor | None) -> None:
    assert anchor(events) == expected


RULE = MetricRule(threshold=5.0, window=300.0, min_samples=10)


def criterion(values: list[float], elapsed: float) -> Verdict:
    return combine([judge_threshold("Error rate", values, elapsed, RULE, "%")])


def test_headlines_say_what_decided() -> None:
    config = parse_config(CONFIG, "w.toml", {})
    # Error rate's [metric.verdict] in CONFIG asks for 10 samples.
    assert headline(config, criterion([1.0] * 3, 600)) == "Error rate: too few samples (3 of 10)"
    assert headline(config, criterion([9.0] * 10, 60)) == (
        "Error rate 9% > 5% over 1m of 5m so far (10 samples)"
    )
    assert headline(config, criterion([1.0] * 10, 600)) == "Error rate 1% < 5% over 5m (10 samples)"
    # Enough samples, but the window has not passed: its own words, not "too few".
    assert headline(config, criterion([1.0] * 10, 60)) == (
        "Error rate 1% < 5% over 1m of 5m so far (10 samples)"
    )
    assert headline(config, combine([])) == "nothing to judge (no gates and no [metric.verdict])"
    two = combine(
        [
            judge_threshold("Error rate", [9.0] * 10, 60, RULE, "%"),
            judge_threshold("Other", [9.0] * 10, 60, RULE, "%"),
        ]
    )
    assert headline(config, two).endswith("(and 1 more)")


def test_the_verdict_on_the_deploy_and_its_payload() -> None:
    config = parse_config(CONFIG, "w.toml", {})
    now = DEPLOY + timedelta(minutes=5)
    health = HealthSnapshot((endpoint("api", [ProbeState.UP] * 10 + [ProbeState.DOWN] * 5),), now)
    metrics = MetricsSnapshot((series("Error rate", [0.5] * 45, [0.5] * 15),), now)
    mark = Event(9, DEPLOY, "aiko", "deploy.marked", {})
    assert deploy_verdict(config, [], health, metrics, now) is None
    verdict = deploy_verdict(config, [mark], health, metrics, now)
    assert verdict is not None
    assert (verdict.outcome, verdict.deploy_seq, verdict.batch) == (FAIL, 9, None)
    assert verdict.headline == "api 66.7% < 100% success over 5m (15 probes)"
    payload = verdict.payload()
    assert payload["outcome"] == "Fail" and payload["deploy_seq"] == 9
    assert "batch" not in payload
    api = next(c for c in payload["criteria"] if c["name"] == "api")
    assert {k: api[k] for k in ("value", "threshold", "window", "samples", "outcome")} == {
        "value": 66.666667, "threshold": 100.0, "window": 300.0, "samples": 15, "outcome": "Fail",
    }  # fmt: skip
    assert verdict.text() == "Verdict on the deploy: Fail · " + verdict.headline


def judged(outcome: Outcome, batch: int | None) -> DeployVerdict:
    values = {PASS: [1.0] * 10, FAIL: [9.0] * 10, INCONCLUSIVE: [1.0] * 3}[outcome]
    verdict = criterion(values, 600)
    assert verdict.outcome is outcome
    return DeployVerdict(verdict, 12, DEPLOY, batch, f"{outcome.value} words")


PLAN = RollingPlan(total=3, gate_for=10.0, gates=("api",), done=1)


@pytest.mark.parametrize(
    ("verdict", "refusal"),
    [
        (judged(PASS, 1), None),
        (judged(FAIL, 1), "batch 2/3: refused, verdict Fail · Fail words → roll back (ctrl+r)"),
        (
            judged(INCONCLUSIVE, 1),
            "batch 2/3: paused, verdict Inconclusive · Inconclusive words: decide, or wait",
        ),
        # Not yet judged, or a verdict on another batch, is no answer.
        (None, "batch 2/3: waiting for the verdict on batch 1"),
        (judged(PASS, 2), "batch 2/3: waiting for the verdict on batch 1"),
        (judged(PASS, None), "batch 2/3: waiting for the verdict on batch 1"),
    ],
)
def test_between_batches_the_verdict_decides(
    verdict: DeployVerdict | None, refusal: str | None
) -> None:
    assert verdict_refusal(PLAN, verdict) == refusal


def test_the_plan_shows_the_verdict() -> None:
    ready = verdict_plan(PLAN, judged(PASS, 1), 100.0)
    assert ready.offer_next(100.0) and ready.waiting_for(100.0) == "batch 2/3 ready"
    paused = verdict_plan(ready, judged(INCONCLUSIVE, 1), 101.0)
    assert not paused.offer_next(101.0)
    assert paused.waiting_for(101.0) == "gates not holding: verdict Inconclusive"
    failed = verdict_plan(PLAN, judged(FAIL, 1), 100.0)
    assert not failed.offer_next(100.0)
    assert verdict_plan(PLAN, None, 100.0).waiting_for(100.0) == (
        "gates not holding: waiting for the verdict"
    )
    # Before the first batch, and while one runs, the verdict changes nothing.
    fresh = RollingPlan(total=3, gate_for=10.0)
    assert verdict_plan(fresh, judged(FAIL, None), 1.0) == fresh
    running = PLAN.start_batch()
    assert verdict_plan(running, judged(PASS, 1), 1.0) == running

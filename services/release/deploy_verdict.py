"""The verdict on the deploy in production now: which deploy it judges, and in words.

`verdict.judge` answers for one deploy time; this module says which deploy that is
(the latest deploy mark, or during a rolling deploy the latest finished batch, unless
a successful rollback came after it), and turns the verdict into the few words the
dashboard's verdict line, the rolling gates and the webhooks use. The session judges
with it on every clock step, and the release controller asks it between batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.services import events as kinds
from warroom.services.config import Config
from warroom.services.health.status import HealthSnapshot
from warroom.services.journal.store import Event
from warroom.services.metrics.sampler import MetricsSnapshot
from warroom.services.release.verdict import (
    Criterion,
    Outcome,
    Verdict,
    endpoint_rule,
    judge,
    metric_rule,
    verdict_to_json,
)

ROLLING_COMMAND = "rolling"
"""The `[actions.commands]` entry of a rolling batch (the controller's `ROLLING`)."""
BASELINE_SUFFIX = " vs baseline"
"""How `verdict.judge_baseline` names a baseline criterion after its metric."""


@dataclass(frozen=True)
class Anchor:
    """The journal event a verdict judges from: a deploy mark or a finished batch."""

    seq: int
    at: datetime
    batch: int | None = None
    """The rolling batch that finished, or None for a deploy mark."""


def anchor(events: Sequence[Event]) -> Anchor | None:
    """The deploy the verdict judges now, or None (nothing deployed, or rolled back).

    The latest deploy mark or finished rolling batch wins; a successful rollback after
    it means production no longer runs what would be judged.
    """
    for event in reversed(events):
        if event.kind == kinds.ROLLBACK_FINISHED and event.payload.get("ok") is True:
            return None
        if event.kind == kinds.DEPLOY_MARKED:
            return Anchor(event.seq, event.at)
        if event.kind == kinds.ACTION_FINISHED and event.payload.get("name") == ROLLING_COMMAND:
            batch = event.payload.get("batch")
            return Anchor(event.seq, event.at, batch if isinstance(batch, int) else None)
    return None


@dataclass(frozen=True)
class DeployVerdict:
    """The verdict on one deploy: its outcome, its criteria and its words."""

    verdict: Verdict
    deploy_seq: int
    """The journal event judged from (`deploy.marked`, or a rolling batch's end)."""
    since: datetime
    batch: int | None
    """The rolling batch judged (None for the deploy mark)."""
    headline: str
    """The deciding criterion in a few words: "Error rate 0.05% < 5% over 5m (30 samples)"."""

    @property
    def outcome(self) -> Outcome:
        """Pass, Fail or Inconclusive."""
        return self.verdict.outcome

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion judged, critical or report-only, in config order."""
        return self.verdict.criteria

    def payload(self) -> dict[str, Any]:
        """What `verdict.changed` journals: the outcome and every criterion's numbers."""
        body = verdict_to_json(self.verdict)
        payload: dict[str, Any] = {
            "outcome": body["outcome"],
            "summary": body["summary"],
            "headline": self.headline,
            "criteria": body["criteria"],
            "deploy_seq": self.deploy_seq,
        }
        if self.batch is not None:
            payload["batch"] = self.batch
        return payload

    def text(self) -> str:
        """One line for a webhook: which deploy, the outcome and why."""
        which = f"after rolling batch {self.batch}" if self.batch is not None else "on the deploy"
        return f"Verdict {which}: {self.outcome.value} · {self.headline}"


def deploy_verdict(
    config: Config,
    events: Sequence[Event],
    health: HealthSnapshot | None,
    metrics: MetricsSnapshot | None,
    now: datetime,
) -> DeployVerdict | None:
    """The verdict on the deploy in production now, or None when none is to be judged."""
    point = anchor(events)
    if point is None:
        return None
    verdict = judge(config, point.at, health, metrics, now=now)
    return DeployVerdict(verdict, point.seq, point.at, point.batch, headline(config, verdict))


def headline(config: Config, verdict: Verdict) -> str:
    """The criterion that decided the verdict, in words; too few samples said as such."""
    critical = [c for c in verdict.criteria if c.critical]
    if not critical:
        return "nothing to judge (no gates and no [metric.verdict])"
    deciding = [c for c in critical if c.outcome is verdict.outcome] or critical
    first = deciding[0]
    words = first.reason
    if verdict.outcome is Outcome.INCONCLUSIVE:
        needed = min_samples(config, first)
        have = min(first.samples, first.baseline_samples or first.samples)
        if needed is not None and have < needed:
            words = f"{first.name}: too few samples ({have} of {needed})"
    more = len(deciding) - 1
    return f"{words} (and {more} more)" if more > 0 else words


def min_samples(config: Config, criterion: Criterion) -> int | None:
    """How many samples the criterion's rule needs, from the config (None: not found)."""
    name = criterion.name
    if criterion.kind == "endpoint":
        for endpoint in config.endpoint:
            if endpoint.name == name:
                return endpoint_rule(endpoint).min_samples
        return None
    name = name.removesuffix(BASELINE_SUFFIX) if criterion.kind == "baseline" else name
    for metric in config.metric:
        if metric.name == name:
            return metric_rule(metric).min_samples
    return None

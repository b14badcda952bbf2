"""The deploy verdict: Pass, Fail or Inconclusive, with the numbers that decided it.

Each gate (an endpoint or a metric named in `[actions] gates`) and each metric with a
`[metric.verdict]` table gives one or two criteria over the window after the deploy
mark: its value beside its threshold, or its post-deploy samples against the
pre-deploy baseline with a Mann-Whitney rank test. A criterion with too few samples,
or no data at all, is Inconclusive, never Pass: when the data cannot decide, the
deploy pauses instead of going on or rolling back.

The overall verdict is Fail when a critical criterion fails, Inconclusive when a
critical criterion cannot decide, else Pass. Report-only criteria (`critical =
false`) are shown with their own outcome and never change the verdict. A verdict with
no critical criterion at all is Inconclusive: nothing was judged, so nothing passed.
"""

from __future__ import annotations

import enum
import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warroom.services.config import Config, EndpointConfig, MetricConfig
from warroom.services.health.status import HealthSnapshot
from warroom.services.metrics.series import BASELINE_WINDOW, RECENT_WINDOW, MetricsSnapshot

Direction = Literal["higher_is_worse", "lower_is_worse"]
Kind = Literal["endpoint", "threshold", "baseline"]

DEFAULT_MIN_SAMPLES = 5
"""Samples a window needs before it may pass or fail (when the config sets none)."""
DEFAULT_ALPHA = 0.05
DEFAULT_MIN_SUCCESS = 100.0
"""An endpoint gate's success share, in percent: by default one failed probe fails it,
as an analysis with no failure allowance does in Argo Rollouts."""


class Outcome(enum.Enum):
    """What one criterion, or the whole verdict, says about the deploy."""

    PASS = "Pass"
    FAIL = "Fail"
    INCONCLUSIVE = "Inconclusive"


@dataclass(frozen=True)
class Criterion:
    """One judged figure: what was measured, against what, over how long, and why.

    `value` and `threshold` are in the metric's unit (percent for an endpoint's
    success share); for a baseline comparison they are the post-deploy median and the
    baseline median, and `p_value` is the rank test's.
    """

    name: str
    value: float | None
    threshold: float | None
    window: float
    """The configured window in seconds (how much post-deploy data is judged)."""
    samples: int
    """Samples in the post-deploy window that were judged."""
    outcome: Outcome
    reason: str
    """One line in words: "Error rate 8.6% > 5% over 5m (30 samples)"."""
    kind: Kind = "threshold"
    critical: bool = True
    unit: str = ""
    p_value: float | None = None
    baseline_samples: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The deploy's outcome and every criterion behind it."""

    outcome: Outcome
    criteria: tuple[Criterion, ...]

    def summary(self) -> str:
        """One line: the outcome, and the criterion that decided it, in words."""
        critical = [c for c in self.criteria if c.critical]
        if not critical:
            return "Inconclusive: nothing to judge (no gates and no [metric.verdict])"
        deciding = [c for c in critical if c.outcome is self.outcome]
        if self.outcome is Outcome.PASS:
            return f"Pass: {len(critical)} of {len(critical)} critical criteria held"
        more = f"; and {len(deciding) - 1} more" if len(deciding) > 1 else ""
        return f"{self.outcome.value}: {deciding[0].reason}{more}"


# --- rules for one metric or endpoint, from the config -------------------------------


@dataclass(frozen=True)
class MetricRule:
    """How one metric is judged: its threshold, and optionally its baseline."""

    critical: bool = True
    direction: Direction = "higher_is_worse"
    threshold: float | None = None
    window: float = RECENT_WINDOW
    min_samples: int = DEFAULT_MIN_SAMPLES
    baseline: bool = False
    baseline_window: float = BASELINE_WINDOW
    alpha: float = DEFAULT_ALPHA
    min_change: float = 0.0
    """Percent the median must move, beyond significance, for the baseline to fail."""


@dataclass(frozen=True)
class EndpointRule:
    """How one endpoint is judged: the share of probes that answered acceptably."""

    critical: bool = True
    window: float = RECENT_WINDOW
    min_samples: int = DEFAULT_MIN_SAMPLES
    min_success: float = DEFAULT_MIN_SUCCESS


def metric_rule(metric: MetricConfig) -> MetricRule:
    """The rule for a `[[metric]]`: its `[metric.verdict]` table, else the defaults.

    The threshold is the metric's `crit` (what the gates already hold to); the
    direction defaults to the metric's own (`above` means higher is worse).
    """
    direction: Direction = "higher_is_worse" if metric.direction == "above" else "lower_is_worse"
    table = metric.verdict
    if table is None:
        return MetricRule(direction=direction, threshold=metric.crit)
    return MetricRule(
        critical=table.critical,
        direction=table.direction or direction,
        threshold=metric.crit,
        window=table.window,
        min_samples=table.min_samples,
        baseline=table.baseline,
        baseline_window=table.baseline_window,
        alpha=table.alpha,
        min_change=table.min_change,
    )


def endpoint_rule(endpoint: EndpointConfig) -> EndpointRule:
    """The rule for an `[[endpoint]]`: its `[endpoint.verdict]` table, else the defaults."""
    table = endpoint.verdict
    if table is None:
        return EndpointRule()
    return EndpointRule(
        critical=table.critical,
        window=table.window,
        min_samples=table.min_samples,
        min_success=table.min_success,
    )


# --- words -----------------------------------------------------------------------------


def format_value(value: float | None, unit: str = "") -> str:
    """A figure as the verdict line shows it: "8.6%", "120 ms", "0.004"."""
    if value is None:
        return "no value"
    if value == int(value) and abs(value) < 1e15:
        text = f"{int(value)}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}" if abs(value) >= 0.001 else f"{value:.2e}"
    unit = unit.strip()
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def format_window(seconds: float) -> str:
    """A window in the config's own words: "5m", "90s" as "1m30s", "2h"."""
    whole = round(seconds)
    if whole < 1:
        return f"{seconds * 1000:.0f}ms"
    parts = []
    for size, unit in ((3600, "h"), (60, "m"), (1, "s")):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)


def _compare(value: float, threshold: float) -> str:
    # The sign the numbers themselves show, so the line is true whichever way it went.
    return ">" if value > threshold else "<" if value < threshold else "="


def _span(window: float, elapsed: float) -> str:
    if elapsed < window:
        return f"over {format_window(max(elapsed, 0.0))} of {format_window(window)} so far"
    return f"over {format_window(window)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- the pure rules ---------------------------------------------------------------------


def beyond(value: float, threshold: float, direction: Direction) -> bool:
    """Whether `value` is at or past `threshold` on the bad side (as a metric's crit)."""
    return value >= threshold if direction == "higher_is_worse" else value <= threshold


def judge_threshold(
    name: str, values: Sequence[float], elapsed: float, rule: MetricRule, unit: str = ""
) -> Criterion:
    """A metric's post-deploy mean against its threshold.

    Fail as soon as enough samples show the mean beyond it (a bad deploy is stopped
    early); Pass only once the whole window has passed; otherwise Inconclusive.
    """
    n = len(values)
    value = math.fsum(values) / n if n else None

    def made(outcome: Outcome, reason: str) -> Criterion:
        return Criterion(
            name, value, rule.threshold, rule.window, n, outcome, reason,
            "threshold", rule.critical, unit,
        )  # fmt: skip

    if rule.threshold is None:
        return made(Outcome.INCONCLUSIVE, f"{name}: no crit threshold to judge it by")
    if value is None:
        return made(Outcome.INCONCLUSIVE, f"{name}: no data {_span(rule.window, elapsed)}")
    line = (
        f"{name} {format_value(value, unit)} {_compare(value, rule.threshold)} "
        f"{format_value(rule.threshold, unit)} {_span(rule.window, elapsed)} "
        f"({_count(n, 'sample')}"
    )
    if n < rule.min_samples:
        return made(Outcome.INCONCLUSIVE, f"{line}, {rule.min_samples} needed)")
    if beyond(value, rule.threshold, rule.direction):
        return made(Outcome.FAIL, f"{line})")
    if elapsed < rule.window:
        return made(Outcome.INCONCLUSIVE, f"{line})")
    return made(Outcome.PASS, f"{line})")


@dataclass(frozen=True)
class RankTest:
    """A one-sided Mann-Whitney U test of the post-deploy samples against the baseline."""

    u: float
    """U of the post-deploy samples (pairs where post beats baseline, ties counting half)."""
    p_value: float


def rank_test(post: Sequence[float], base: Sequence[float], direction: Direction) -> RankTest:
    """Whether the post-deploy samples are worse than the baseline's, by rank.

    The alternative is one-sided, in the bad direction. scipy chooses the exact
    distribution for small samples without ties and the normal approximation (tie and
    continuity corrected) otherwise. When every sample is equal, the test has no
    variance to work with and scipy returns p = 1 or NaN: no evidence of a change.
    """
    # scipy is imported on the first comparison: loading it costs ~0.3-1.3 s, paid
    # only by a config that compares with a baseline.
    return _rank_test(tuple(post), tuple(base), direction)


@functools.lru_cache(maxsize=256)
def _rank_test(post: tuple[float, ...], base: tuple[float, ...], direction: Direction) -> RankTest:
    # Cached: judged on every tick, a metric's windows change only when a sample lands,
    # and scipy's call costs about a millisecond, mostly in argument checking.
    from scipy.stats import mannwhitneyu  # type: ignore[import-untyped]

    alternative = "greater" if direction == "higher_is_worse" else "less"
    result = mannwhitneyu(list(post), list(base), alternative=alternative)
    p = float(result.pvalue)
    return RankTest(float(result.statistic), 1.0 if math.isnan(p) else p)


def judge_baseline(
    name: str,
    post: Sequence[float],
    base: Sequence[float],
    elapsed: float,
    rule: MetricRule,
    unit: str = "",
) -> Criterion:
    """A metric's post-deploy samples against its pre-deploy baseline.

    Fail when the rank test finds them worse at significance `alpha` and the median
    moved at least `min_change` percent the bad way; Pass once the whole window has
    passed without that; Inconclusive with fewer than `min_samples` on either side.
    """
    label = f"{name} vs baseline"
    post_median = statistics.median(post) if post else None
    base_median = statistics.median(base) if base else None

    def made(outcome: Outcome, reason: str, p: float | None = None) -> Criterion:
        return Criterion(
            label, post_median, base_median, rule.window, len(post), outcome, reason,
            "baseline", rule.critical, unit, p, len(base),
        )  # fmt: skip

    counts = f"{_count(len(post), 'sample')} after, {len(base)} before"
    if len(post) < rule.min_samples or len(base) < rule.min_samples:
        return made(
            Outcome.INCONCLUSIVE,
            f"{label}: {counts} {_span(rule.window, elapsed)}, {rule.min_samples} needed each",
        )
    assert post_median is not None and base_median is not None
    test = rank_test(post, base, rule.direction)
    change = _change_pct(post_median, base_median)
    moved = (
        f" ({'+' if change >= 0 else '−'}{abs(change):.0f}%)"
        if change is not None and math.isfinite(change)
        else ""
    )
    significant = test.p_value < rule.alpha
    line = (
        f"{label}: median {format_value(post_median, unit)} against "
        f"{format_value(base_median, unit)}{moved}, p={test.p_value:.2g} "
        f"{'<' if significant else '≥'} {rule.alpha:g} {_span(rule.window, elapsed)} ({counts})"
    )
    worse_enough = rule.min_change <= 0 or (
        change is not None and _worse_change(change, rule.direction) >= rule.min_change
    )
    if significant and worse_enough:
        return made(Outcome.FAIL, line, test.p_value)
    if significant:
        line += f"; change under {rule.min_change:g}%"
    if elapsed < rule.window:
        return made(Outcome.INCONCLUSIVE, line, test.p_value)
    return made(Outcome.PASS, line, test.p_value)


def _change_pct(after: float, before: float) -> float | None:
    if before == 0:
        # From zero any change is unbounded; no change is none.
        return 0.0 if after == 0 else math.copysign(math.inf, after)
    return (after - before) / abs(before) * 100.0


def _worse_change(change: float, direction: Direction) -> float:
    return change if direction == "higher_is_worse" else -change


def judge_endpoint(name: str, oks: Sequence[bool], elapsed: float, rule: EndpointRule) -> Criterion:
    """An endpoint's share of acceptable probes (UP or WARN) over the window.

    Fail as soon as enough probes show the share below `min_success`; Pass only once
    the whole window has passed; otherwise Inconclusive.
    """
    n = len(oks)
    value = 100.0 * sum(oks) / n if n else None

    def made(outcome: Outcome, reason: str) -> Criterion:
        return Criterion(
            name, value, rule.min_success, rule.window, n, outcome, reason,
            "endpoint", rule.critical, "%",
        )  # fmt: skip

    if value is None:
        return made(Outcome.INCONCLUSIVE, f"{name}: no probes {_span(rule.window, elapsed)}")
    line = (
        f"{name} {format_value(value, '%')} {_compare(value, rule.min_success)} "
        f"{format_value(rule.min_success, '%')} success {_span(rule.window, elapsed)} "
        f"({_count(n, 'probe')}"
    )
    if n < rule.min_samples:
        return made(Outcome.INCONCLUSIVE, f"{line}, {rule.min_samples} needed)")
    if value < rule.min_success:
        return made(Outcome.FAIL, f"{line})")
    if elapsed < rule.window:
        return made(Outcome.INCONCLUSIVE, f"{line})")
    return made(Outcome.PASS, f"{line})")


def combine(criteria: Sequence[Criterion]) -> Verdict:
    """The overall verdict: Fail over Inconclusive over Pass, critical criteria only.

    No critical criterion at all is Inconclusive: a verdict that judged nothing must
    not let a deploy through.
    """
    critical = [c.outcome for c in criteria if c.critical]
    if Outcome.FAIL in critical:
        outcome = Outcome.FAIL
    elif Outcome.INCONCLUSIVE in critical or not critical:
        outcome = Outcome.INCONCLUSIVE
    else:
        outcome = Outcome.PASS
    return Verdict(outcome, tuple(criteria))


# --- windows and the whole verdict ------------------------------------------------------


def post_window(
    points: Sequence[tuple[float, float]], deploy_at: float, now: float, window: float
) -> list[float]:
    """Values from the deploy mark (or `window` before now, if later) up to now."""
    start = max(deploy_at, now - window)
    return [v for t, v in points if start <= t <= now]


def baseline_window(
    points: Sequence[tuple[float, float]], deploy_at: float, window: float
) -> list[float]:
    """Values in the `window` seconds before the deploy mark."""
    return [v for t, v in points if deploy_at - window <= t < deploy_at]


def judged_names(config: Config) -> tuple[list[EndpointConfig], list[MetricConfig]]:
    """The endpoints and metrics the verdict looks at: the gates, and every metric or
    endpoint with its own verdict table, in config order."""
    gates = set(config.actions.gates)
    endpoints = [e for e in config.endpoint if e.name in gates or e.verdict is not None]
    metrics = [m for m in config.metric if m.name in gates or m.verdict is not None]
    return endpoints, metrics


def judge(
    config: Config,
    deploy_at: datetime,
    health: HealthSnapshot | None,
    metrics: MetricsSnapshot | None,
    now: datetime | None = None,
) -> Verdict:
    """The deploy verdict from the latest snapshots and the deploy mark.

    `now` defaults to the later of the two snapshots' times. An endpoint is judged on
    the raw probe results its snapshot still holds (the last 20), a metric on its
    series' points; a gate with no snapshot yet is Inconclusive.
    """
    if now is None:
        times = [s.at for s in (health, metrics) if s is not None]
        now = max(times) if times else deploy_at
    at, wall = deploy_at.timestamp(), now.timestamp()
    elapsed = wall - at
    endpoints, judged_metrics = judged_names(config)
    criteria: list[Criterion] = []
    for endpoint in endpoints:
        rule = endpoint_rule(endpoint)
        status = health.get(endpoint.name) if health is not None else None
        start = max(at, wall - rule.window)
        oks = (
            [r.ok for r in status.history if start <= r.at.timestamp() <= wall]
            if status is not None
            else []
        )
        criteria.append(judge_endpoint(endpoint.name, oks, elapsed, rule))
    for metric in judged_metrics:
        mrule = metric_rule(metric)
        series = metrics.get(metric.name) if metrics is not None else None
        points = series.points if series is not None else ()
        post = post_window(points, at, wall, mrule.window)
        if mrule.threshold is not None or not mrule.baseline:
            criteria.append(judge_threshold(metric.name, post, elapsed, mrule, metric.unit))
        if mrule.baseline:
            base = baseline_window(points, at, mrule.baseline_window)
            criteria.append(judge_baseline(metric.name, post, base, elapsed, mrule, metric.unit))
    return combine(criteria)


def verdict_to_json(verdict: Verdict) -> dict[str, object]:
    """The verdict as plain JSON: outcome, summary and every criterion with its numbers."""

    def number(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else round(value, 6)

    return {
        "outcome": verdict.outcome.value,
        "summary": verdict.summary(),
        "criteria": [
            {
                "name": c.name,
                "kind": c.kind,
                "critical": c.critical,
                "value": number(c.value),
                "threshold": number(c.threshold),
                "unit": c.unit,
                "window": c.window,
                "samples": c.samples,
                "baseline_samples": c.baseline_samples,
                "p_value": number(c.p_value),
                "outcome": c.outcome.value,
                "reason": c.reason,
            }
            for c in verdict.criteria
        ],
    }

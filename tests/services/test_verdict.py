"""The deploy verdict: the pure rules as tables, and the rank test checked by hand.

The Mann-Whitney figures are computed here independently (pair counting for U, the
exact distribution by enumerating every split of the pooled samples, the normal
approximation with tie and continuity corrections written out), so the verdict's p
is not only scipy's word.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from warroom.services.config import ConfigError, parse_config
from warroom.services.health.status import EndpointStatus, HealthSnapshot, ProbeResult, ProbeState
from warroom.services.metrics.sampler import MetricSeries, MetricsSnapshot
from warroom.services.release.verdict import (
    Criterion,
    EndpointRule,
    MetricRule,
    Outcome,
    combine,
    format_value,
    format_window,
    judge,
    judge_baseline,
    judge_endpoint,
    judge_threshold,
    rank_test,
    verdict_to_json,
)

PASS, FAIL, INCONCLUSIVE = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE

# --- threshold -----------------------------------------------------------------------

HIGH = MetricRule(threshold=5.0, window=300.0, min_samples=10)
LOW = MetricRule(threshold=95.0, window=300.0, min_samples=10, direction="lower_is_worse")


@pytest.mark.parametrize(
    ("rule", "values", "elapsed", "outcome", "reason"),
    [
        (HIGH, [], 600, INCONCLUSIVE, "Error rate: no data over 5m"),
        (HIGH, [9.0] * 9, 600, INCONCLUSIVE, "Error rate 9% > 5% over 5m (9 samples, 10 needed)"),
        (HIGH, [9.0] * 10, 60, FAIL, "Error rate 9% > 5% over 1m of 5m so far (10 samples)"),
        (HIGH, [5.0] * 10, 600, FAIL, "Error rate 5% = 5% over 5m (10 samples)"),
        (
            HIGH,
            [1.0] * 10,
            60,
            INCONCLUSIVE,
            "Error rate 1% < 5% over 1m of 5m so far (10 samples)",
        ),
        (HIGH, [1.0] * 10, 300, PASS, "Error rate 1% < 5% over 5m (10 samples)"),
        (LOW, [90.0] * 12, 600, FAIL, "Error rate 90% < 95% over 5m (12 samples)"),
        (LOW, [99.5] * 12, 600, PASS, "Error rate 99.5% > 95% over 5m (12 samples)"),
        (
            MetricRule(threshold=None),
            [1.0] * 12,
            600,
            INCONCLUSIVE,
            "Error rate: no crit threshold to judge it by",
        ),
    ],
)
def test_threshold_rule(
    rule: MetricRule, values: list[float], elapsed: float, outcome: Outcome, reason: str
) -> None:
    criterion = judge_threshold("Error rate", values, elapsed, rule, "%")
    assert (criterion.outcome, criterion.reason) == (outcome, reason)
    assert criterion.samples == len(values)
    assert criterion.threshold == rule.threshold


def test_the_summary_names_the_failing_figure() -> None:
    values = [8.0] * 15 + [9.2] * 15  # mean 8.6
    failing = judge_threshold("Error rate", values, 300, MetricRule(threshold=5, window=300), "%")
    fine = judge_threshold("Latency", [120.0] * 30, 300, MetricRule(threshold=500), "ms")
    verdict = combine([fine, failing])
    assert verdict.outcome is FAIL
    assert verdict.summary() == "Fail: Error rate 8.6% > 5% over 5m (30 samples)"
    assert fine.reason == "Latency 120 ms < 500 ms over 5m (30 samples)"


# --- endpoints -------------------------------------------------------------------------

STRICT = EndpointRule(window=300, min_samples=5)
LENIENT = EndpointRule(window=300, min_samples=5, min_success=90)


@pytest.mark.parametrize(
    ("rule", "oks", "elapsed", "outcome", "value"),
    [
        (STRICT, [], 600, INCONCLUSIVE, None),
        (STRICT, [False] * 4, 600, INCONCLUSIVE, 0.0),
        (STRICT, [True] * 9 + [False], 60, FAIL, 90.0),
        (STRICT, [True] * 10, 60, INCONCLUSIVE, 100.0),
        (STRICT, [True] * 10, 300, PASS, 100.0),
        (LENIENT, [True] * 9 + [False], 300, PASS, 90.0),
        (LENIENT, [True] * 8 + [False] * 2, 300, FAIL, 80.0),
    ],
)
def test_endpoint_rule(
    rule: EndpointRule, oks: list[bool], elapsed: float, outcome: Outcome, value: float | None
) -> None:
    criterion = judge_endpoint("api", oks, elapsed, rule)
    assert (criterion.outcome, criterion.value, criterion.samples) == (outcome, value, len(oks))


def test_endpoint_reason_in_words() -> None:
    criterion = judge_endpoint("api", [True] * 11 + [False], 300, STRICT)
    assert criterion.reason == "api 91.7% < 100% success over 5m (12 probes)"


# --- the overall verdict ------------------------------------------------------------------


def crit(outcome: Outcome, critical: bool = True) -> Criterion:
    return Criterion("m", 1.0, 2.0, 300.0, 10, outcome, f"m {outcome.value}", critical=critical)


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], INCONCLUSIVE),
        ([(PASS, True)], PASS),
        ([(PASS, True), (PASS, True)], PASS),
        ([(PASS, True), (INCONCLUSIVE, True)], INCONCLUSIVE),
        ([(INCONCLUSIVE, True), (FAIL, True)], FAIL),
        ([(PASS, True), (FAIL, False)], PASS),
        ([(PASS, True), (INCONCLUSIVE, False)], PASS),
        ([(FAIL, False)], INCONCLUSIVE),
    ],
)
def test_combine(outcomes: list[tuple[Outcome, bool]], expected: Outcome) -> None:
    verdict = combine([crit(o, c) for o, c in outcomes])
    assert verdict.outcome is expected
    assert verdict.summary().startswith(f"{expected.value}:")


def test_summary_counts_more_failures() -> None:
    verdict = combine([crit(FAIL), crit(PASS), crit(FAIL)])
    assert verdict.summary() == "Fail: m Fail; and 1 more"
    assert combine([crit(PASS), crit(PASS)]).summary() == "Pass: 2 of 2 critical criteria held"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(8.6, "%", "8.6%"), (5.0, "%", "5%"), (120.4, "ms", "120 ms"), (0.0042, "", "0.0042"),
     (None, "ms", "no value"), (12345.6, "B", "12346 B")],
)  # fmt: skip
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(300, "5m"), (90, "1m30s"), (7200, "2h"), (0.5, "500ms"), (0, "0ms")]
)
def test_format_window(seconds: float, text: str) -> None:
    assert format_window(seconds) == text


# --- the rank test, by hand ----------------------------------------------------------------

# Error rate (%) sampled every 20 s: 15 minutes before the deploy, 5 minutes after.
BASELINE = [0.4, 0.5, 0.3, 0.6, 0.5, 0.4, 0.7, 0.5, 0.3, 0.4, 0.6, 0.5, 0.4, 0.5, 0.6]
AFTER = [0.6, 0.9, 1.1, 0.5, 0.8, 1.4, 0.7, 1.0, 0.9, 1.2, 0.6, 0.8, 1.3, 0.9, 1.1]


def u_by_pairs(x: Sequence[float], y: Sequence[float]) -> float:
    """U of x: the pairs where x beats y, ties counting one half."""
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)


def p_normal(x: Sequence[float], y: Sequence[float], greater: bool) -> float:
    """One-sided p by the normal approximation, tie and continuity corrected."""
    n1, n2 = len(x), len(y)
    n = n1 + n2
    u = u_by_pairs(x, y) if greater else u_by_pairs(y, x)
    pooled = [*x, *y]
    ties = sum(t**3 - t for t in (pooled.count(v) for v in set(pooled)))
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u - n1 * n2 / 2 - 0.5) / sigma
    return 0.5 * math.erfc(z / math.sqrt(2))


def p_exact(x: Sequence[float], y: Sequence[float]) -> float:
    """One-sided (greater) p by counting every split of the pooled samples."""
    pooled = [*x, *y]
    observed = u_by_pairs(x, y)
    splits = list(itertools.combinations(range(len(pooled)), len(x)))
    at_least = 0
    for chosen in splits:
        xs = [pooled[i] for i in chosen]
        ys = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        at_least += u_by_pairs(xs, ys) >= observed
    return at_least / len(splits)


def test_rank_test_matches_a_hand_computation_with_ties() -> None:
    test = rank_test(AFTER, BASELINE, "higher_is_worse")
    # Counted on paper: eleven post samples beat all 15; 0.6, 0.5, 0.7, 0.6 give 48.
    assert test.u == u_by_pairs(AFTER, BASELINE) == 213.0
    assert test.p_value == pytest.approx(p_normal(AFTER, BASELINE, greater=True), rel=1e-9)
    assert test.p_value < 0.001


def test_rank_test_exact_for_small_samples_without_ties() -> None:
    after, before = [3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 2.0, 2.5, 8.0, 0.5]
    test = rank_test(after, before, "higher_is_worse")
    assert test.u == 20.0
    assert test.p_value == pytest.approx(p_exact(after, before)) == pytest.approx(19 / 252)


def test_rank_test_lower_is_worse_looks_the_other_way() -> None:
    success_before = [99.0 + b for b in BASELINE]
    success_after = [99.0 - a for a in AFTER]
    test = rank_test(success_after, success_before, "lower_is_worse")
    assert test.p_value == pytest.approx(
        p_normal(success_after, success_before, greater=False), rel=1e-9
    )
    assert test.p_value < 0.001
    # The same drop is no evidence at all that the figure went up.
    assert rank_test(success_after, success_before, "higher_is_worse").p_value > 0.99


def test_baseline_verdict_numbers_against_the_hand_computation() -> None:
    rule = MetricRule(baseline=True, min_samples=10, alpha=0.05, window=300)
    criterion = judge_baseline("Error rate", AFTER, BASELINE, 300, rule, "%")
    assert criterion.outcome is FAIL
    assert criterion.value == 0.9  # the post-deploy median, by sorting AFTER
    assert criterion.threshold == 0.5
    assert (criterion.samples, criterion.baseline_samples) == (15, 15)
    p = p_normal(AFTER, BASELINE, greater=True)
    assert criterion.p_value == pytest.approx(p, rel=1e-9)
    assert criterion.reason == (
        f"Error rate vs baseline: median 0.9% against 0.5% (+80%), p={p:.2g} < 0.05 "
        "over 5m (15 samples after, 15 before)"
    )


@pytest.mark.parametrize(
    ("post", "base", "rule", "elapsed", "outcome"),
    [
        # too few on either side
        (AFTER[:9], BASELINE, MetricRule(baseline=True, min_samples=10), 300, INCONCLUSIVE),
        (AFTER, BASELINE[:9], MetricRule(baseline=True, min_samples=10), 300, INCONCLUSIVE),
        # no change at all: every sample tied, no evidence of a change
        ([0.0] * 12, [0.0] * 12, MetricRule(baseline=True, min_samples=10), 300, PASS),
        # it got better: a one-sided test does not fail it
        (BASELINE, AFTER, MetricRule(baseline=True, min_samples=10), 300, PASS),
        # worse and significant, window not over: fails early
        (AFTER, BASELINE, MetricRule(baseline=True, min_samples=10), 30, FAIL),
        # not worse yet, window not over: wait
        (BASELINE, BASELINE, MetricRule(baseline=True, min_samples=10), 30, INCONCLUSIVE),
        # significant but under the change that matters (+80% < 100%)
        (AFTER, BASELINE, MetricRule(baseline=True, min_samples=10, min_change=100), 300, PASS),
        (AFTER, BASELINE, MetricRule(baseline=True, min_samples=10, min_change=50), 300, FAIL),
        # from a zero baseline any rise is unbounded
        ([1.0] * 12, [0.0] * 12, MetricRule(baseline=True, min_samples=10, min_change=50), 300,
         FAIL),
    ],
)  # fmt: skip
def test_baseline_rule(
    post: list[float], base: list[float], rule: MetricRule, elapsed: float, outcome: Outcome
) -> None:
    assert judge_baseline("Error rate", post, base, elapsed, rule, "%").outcome is outcome


# --- the config, and the whole verdict from snapshots -----------------------------------------

DEPLOY = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)

CONFIG = """
[[endpoint]]
name = "api"
url = "http://127.0.0.1:9/health"

[[metric]]
name = "Error rate"
source = "psutil"
query = "cpu"
unit = "%"
crit = 5
[metric.verdict]
critical = true
window = "5m"
min_samples = 10
baseline = true
baseline_window = "15m"
alpha = 0.05

[[metric]]
name = "Memory"
source = "psutil"
query = "memory"
unit = "%"
[metric.verdict]
critical = false
direction = "higher_is_worse"
baseline = true
min_samples = 10

[actions]
gates = ["api", "Error rate"]
"""


def series(name: str, before: Sequence[float], after: Sequence[float]) -> MetricSeries:
    """A series sampled every 20 s: `before` up to the deploy, `after` from it on."""
    at = DEPLOY.timestamp()
    points = [(at - 20.0 * (len(before) - i), v) for i, v in enumerate(before)]
    points += [(at + 20.0 * (i + 1), v) for i, v in enumerate(after)]
    return MetricSeries(
        name, "%", tuple(points), after[-1] if after else None, None, None, None, 5.0,
        "above", "ok",
    )  # fmt: skip


def endpoint(name: str, states: Sequence[ProbeState]) -> EndpointStatus:
    """An endpoint whose probes, 20 s apart from the deploy on, ended in `states`."""
    history = tuple(
        ProbeResult(state, None, DEPLOY + timedelta(seconds=20.0 * (i + 1)))
        for i, state in enumerate(states)
    )
    return EndpointStatus(
        name, states[-1], None, 200, 10.0, 10.0, 10.0, 100.0, None, None, 0, (), history[-1],
        history,
    )  # fmt: skip


def test_the_config_documents_and_validates_the_verdict_keys() -> None:
    config = parse_config(CONFIG, "w.toml", {})
    table = config.metric[0].verdict
    assert table is not None
    assert (table.window, table.baseline_window, table.min_samples) == (300.0, 900.0, 10)
    assert config.endpoint[0].verdict is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("alpha = 0.05", "alpha = 1.5"),
        ("min_samples = 10\nbaseline", "min_samples = 0\nbaseline"),
        ('window = "5m"', 'window = "0s"'),
        ('window = "5m"', 'window = "soon"'),
        ("critical = true", "critical = true\ntolerance = 3"),
    ],
)
def test_bad_verdict_keys_are_one_line_naming_the_key(change: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(CONFIG.replace(change, message, 1), "w.toml", {})
    text = str(caught.value)
    assert text.startswith("warroom: w.toml: metric[1].verdict.")
    assert "\n" not in text


def test_a_verdict_table_with_nothing_to_judge_is_refused() -> None:
    text = CONFIG.replace("baseline = true\nmin_samples = 10", "min_samples = 10")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.toml", {})
    assert str(caught.value) == (
        "warroom: w.toml: metric[2].verdict: nothing to judge: set the metric's crit or "
        "baseline = true"
    )


def test_judge_from_snapshots() -> None:
    config = parse_config(CONFIG, "w.toml", {})
    now = DEPLOY + timedelta(minutes=5)
    health = HealthSnapshot((endpoint("api", [ProbeState.UP] * 15),), now)
    # 45 samples before the deploy: only the last 15 minutes (45 × 20 s) are baseline.
    metrics = MetricsSnapshot(
        (
            series("Error rate", BASELINE * 3, BASELINE),
            series("Memory", BASELINE, AFTER),
        ),
        now,
    )
    verdict = judge(config, DEPLOY, health, metrics)
    by_name = {c.name: c for c in verdict.criteria}
    assert list(by_name) == [
        "api",
        "Error rate",
        "Error rate vs baseline",
        "Memory vs baseline",
    ]
    assert by_name["api"].outcome is PASS and by_name["api"].samples == 15
    assert by_name["Error rate"].outcome is PASS
    assert by_name["Error rate vs baseline"].baseline_samples == 45
    assert by_name["Error rate vs baseline"].outcome is PASS
    # Memory got worse, but it is report-only: shown failing, the verdict still passes.
    memory = by_name["Memory vs baseline"]
    assert (memory.outcome, memory.critical) == (FAIL, False)
    assert verdict.outcome is PASS


def test_judge_fails_on_a_gate_and_pauses_without_data() -> None:
    config = parse_config(CONFIG, "w.toml", {})
    now = DEPLOY + timedelta(minutes=5)
    down = [ProbeState.UP] * 10 + [ProbeState.DOWN] * 5
    health = HealthSnapshot((endpoint("api", down),), now)
    verdict = judge(config, DEPLOY, health, None, now)
    assert verdict.outcome is FAIL
    assert verdict.summary() == "Fail: api 66.7% < 100% success over 5m (15 probes)"
    quiet = judge(config, DEPLOY, None, None, now)
    assert quiet.outcome is INCONCLUSIVE
    assert all(c.outcome is INCONCLUSIVE for c in quiet.criteria)


def test_judge_looks_only_at_the_window() -> None:
    """Samples older than the window, or after `now`, are not judged."""
    config = parse_config(CONFIG, "w.toml", {})
    after = [50.0] * 14 + [1.0] * 16  # a bad first 5 minutes, a good next 5
    metrics = MetricsSnapshot((series("Error rate", BASELINE * 3, after),), DEPLOY)
    late = judge(config, DEPLOY, None, metrics, DEPLOY + timedelta(minutes=10))
    early = judge(config, DEPLOY, None, metrics, DEPLOY + timedelta(minutes=5))
    assert [c.outcome for c in late.criteria if c.name == "Error rate"] == [PASS]
    assert [c.outcome for c in early.criteria if c.name == "Error rate"] == [FAIL]


def test_verdict_json_has_every_number() -> None:
    verdict = combine([judge_threshold("Error rate", [9.0] * 10, 300, HIGH, "%")])
    document = verdict_to_json(verdict)
    assert document["outcome"] == "Fail"
    criterion = document["criteria"][0]  # type: ignore[index]
    keys = ("name", "value", "threshold", "window", "samples", "outcome")
    assert {k: criterion[k] for k in keys} == {
        "name": "Error rate", "value": 9.0, "threshold": 5.0, "window": 300.0, "samples": 10,
        "outcome": "Fail",
    }  # fmt: skip

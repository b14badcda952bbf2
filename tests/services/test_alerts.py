"""Alerts fire once per transition; health changes are reported for the journal."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Literal

import pytest

from warroom.services.health.alerts import AlertTracker, clear_level
from warroom.services.health.status import EndpointStatus, HealthSnapshot, ProbeState, Reason
from warroom.services.metrics.series import MetricSeries, MetricsSnapshot, threshold_state

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _health(*states: tuple[str, ProbeState]) -> HealthSnapshot:
    return HealthSnapshot(
        endpoints=tuple(
            EndpointStatus(
                name=name,
                state=state,
                reason=Reason.STATUS if state is ProbeState.DOWN else None,
                status_code=503 if state is ProbeState.DOWN else 200,
                latency_ms=10.0,
                p50_ms=10.0,
                p95_ms=10.0,
                uptime_pct=100.0,
                uptime_since_deploy_pct=None,
                last_change=None,
                flaps=0,
                latencies=(),
                last=None,
                history=(),
            )
            for name, state in states
        ),
        at=AT,
    )


def _metrics(state: str, value: float = 9.0) -> MetricsSnapshot:
    series = MetricSeries(
        name="Error rate",
        unit="%",
        points=(),
        current=value,
        minimum=value,
        maximum=value,
        warn=1.0,
        crit=5.0,
        direction="above",
        state=state,  # type: ignore[arg-type]
    )
    return MetricsSnapshot(series=(series,), at=AT)


def test_down_alerts_once_until_it_recovers() -> None:
    tracker = AlertTracker()
    assert tracker.observe_health(_health(("api", ProbeState.UP))) == ([], [])
    changes, alerts = tracker.observe_health(_health(("api", ProbeState.DOWN)))
    # The alert, the journal and the report say what the table says (`state_words`).
    assert [a.text for a in alerts] == ["api DOWN · 503"]
    assert [(c.before, c.after) for c in changes] == [("UP", "DOWN · 503")]
    assert tracker.observe_health(_health(("api", ProbeState.DOWN))) == ([], [])
    changes, alerts = tracker.observe_health(_health(("api", ProbeState.UP)))
    assert alerts == [] and [(c.before, c.after) for c in changes] == [("DOWN · 503", "UP")]
    _, alerts = tracker.observe_health(_health(("api", ProbeState.DOWN)))
    assert len(alerts) == 1


def test_every_endpoint_down_at_once_alerts_each() -> None:
    tracker = AlertTracker()
    names = [f"e{i}" for i in range(5)]
    _, alerts = tracker.observe_health(_health(*[(n, ProbeState.DOWN) for n in names]))
    assert sorted(a.subject for a in alerts) == names


def test_first_state_after_pending_is_not_a_change() -> None:
    tracker = AlertTracker()
    changes, _ = tracker.observe_health(_health(("api", ProbeState.WARN)))
    assert changes == []


def test_metric_crit_alerts_after_min_duration_once() -> None:
    tracker = AlertTracker(min_durations={"Error rate": 60.0})
    assert tracker.observe_metrics(_metrics("crit"), now=0.0) == []
    assert tracker.observe_metrics(_metrics("crit"), now=59.0) == []
    alerts = tracker.observe_metrics(_metrics("crit"), now=60.0)
    assert [a.text for a in alerts] == ["Error rate at 9%, above crit 5%"]
    assert tracker.observe_metrics(_metrics("crit"), now=120.0) == []
    assert tracker.observe_metrics(_metrics("ok", 0.5), now=130.0) == []
    assert tracker.observe_metrics(_metrics("crit"), now=140.0) == []
    assert len(tracker.observe_metrics(_metrics("crit"), now=200.0)) == 1


def test_a_short_crit_spike_does_not_alert() -> None:
    tracker = AlertTracker(min_durations={"Error rate": 30.0})
    tracker.observe_metrics(_metrics("crit"), now=0.0)
    tracker.observe_metrics(_metrics("ok", 0.1), now=10.0)
    assert tracker.observe_metrics(_metrics("crit"), now=35.0) == []


def _series(
    value: float | None,
    *,
    warn: float | None = 1.0,
    crit: float = 5.0,
    direction: Literal["above", "below"] = "above",
) -> MetricsSnapshot:
    """A metric as the sampler gives it: its state follows from its value and thresholds."""
    series = MetricSeries(
        name="Error rate",
        unit="%",
        points=(),
        current=value,
        minimum=value,
        maximum=value,
        warn=warn,
        crit=crit,
        direction=direction,
        state=threshold_state(value, warn, crit, direction),
    )
    return MetricsSnapshot(series=(series,), at=AT)


def test_a_value_hovering_around_crit_alerts_once_per_excursion() -> None:
    tracker = AlertTracker()
    # Five minutes of samples every 5 s swinging either side of crit (5 %), never clear.
    values = [5.6, 4.7, 5.3, 4.2, 5.9, 3.1] * 10
    fired = [
        alert
        for tick, value in enumerate(values)
        for alert in tracker.observe_metrics(_series(value), now=tick * 5.0)
    ]
    assert [a.text for a in fired] == ["Error rate at 5.6%, above crit 5%"]
    # Back under warn (clear): the next excursion alerts again.
    assert tracker.observe_metrics(_series(0.4), now=400.0) == []
    assert len(tracker.observe_metrics(_series(7.0), now=405.0)) == 1


def test_a_missing_sample_is_a_gap_not_a_recovery() -> None:
    tracker = AlertTracker(min_durations={"Error rate": 30.0})
    assert tracker.observe_metrics(_series(9.0), now=0.0) == []
    assert tracker.observe_metrics(_series(None), now=10.0) == []
    # The excursion started at 0 s and the gap did not restart its min_duration.
    assert len(tracker.observe_metrics(_series(9.0), now=30.0)) == 1
    assert tracker.observe_metrics(_series(None), now=40.0) == []
    assert tracker.observe_metrics(_series(9.0), now=80.0) == []


def test_without_a_warn_level_the_clear_level_is_a_tenth_back_from_crit() -> None:
    tracker = AlertTracker()
    success = partial(_series, warn=None, crit=95.0, direction="below")
    assert len(tracker.observe_metrics(success(60.0), now=0.0)) == 1
    assert tracker.observe_metrics(success(96.0), now=5.0) == []  # over crit, not clear
    assert tracker.observe_metrics(success(90.0), now=10.0) == []
    assert tracker.observe_metrics(success(104.6), now=15.0) == []  # clear
    assert len(tracker.observe_metrics(success(90.0), now=20.0)) == 1


@pytest.mark.parametrize(
    ("warn", "crit", "direction", "level"),
    [
        (1.0, 5.0, "above", 1.0),
        (None, 5.0, "above", 4.5),
        (8.0, 5.0, "above", 4.5),  # a warn above crit is no clear level
        (98.0, 95.0, "below", 98.0),
        (None, 95.0, "below", 104.5),
        (None, -10.0, "above", -11.0),
    ],
)
def test_clear_level(
    warn: float | None, crit: float, direction: Literal["above", "below"], level: float
) -> None:
    assert clear_level(warn, crit, direction) == pytest.approx(level)

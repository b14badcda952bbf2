"""Alerts fire once per transition; health changes are reported for the journal."""

from __future__ import annotations

from datetime import UTC, datetime

from services.alerts import AlertTracker
from services.health import EndpointStatus, HealthSnapshot, ProbeState, Reason
from services.metrics import MetricSeries, MetricsSnapshot

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
    assert [a.text for a in alerts] == ["api is DOWN (status)"]
    assert [(c.before, c.after) for c in changes] == [("UP", "DOWN")]
    assert tracker.observe_health(_health(("api", ProbeState.DOWN))) == ([], [])
    changes, alerts = tracker.observe_health(_health(("api", ProbeState.UP)))
    assert alerts == [] and [(c.before, c.after) for c in changes] == [("DOWN", "UP")]
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

"""The incident clock, the ladder, acks, severity, status cadence and the watch window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import EscalationConfig, EscalationLevel
from warroom.services.escalation import ladder as esc

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LADDER = EscalationConfig().levels  # 15 min, 30 min, 60 min


@dataclass(frozen=True)
class Ev:
    """A journal event as the journal hands it over."""

    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


class FakeJournal:
    """An in-memory journal: append-only, times from the test clock."""

    def __init__(self, clock: ManualClock, actor: str = "alice") -> None:
        self.clock = clock
        self.actor = actor
        self.items: list[Ev] = []

    def append(self, kind: str, payload: dict[str, Any]) -> Ev:
        event = Ev(len(self.items) + 1, self.clock.now(), self.actor, kind, dict(payload))
        self.items.append(event)
        return event

    def events(self) -> list[Ev]:
        return list(self.items)


def fire_due(journal: FakeJournal, config: EscalationConfig, started: datetime) -> list[int]:
    """What the screen does every second: journal each due crossing."""
    elapsed = esc.elapsed_seconds(started, journal.clock.now(), journal.events())
    fired = esc.due_crossings(config.levels, elapsed, journal.events())
    for index in fired:
        journal.append(esc.ESCALATION_CROSSED, esc.crossing_payload(config.levels, index, elapsed))
    return fired


# --- level_at ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0.0, None),
        (60.0, None),
        (14 * 60 + 59.999, None),
        (15 * 60, 0),
        (15 * 60 + 0.001, 0),
        (29 * 60 + 59, 0),
        (30 * 60, 1),
        (45 * 60, 1),
        (59 * 60 + 59.9, 1),
        (60 * 60, 2),
        (10 * 3600, 2),
        (-5.0, None),
    ],
)
def test_level_at_default_ladder(elapsed: float, expected: int | None) -> None:
    assert esc.level_at(LADDER, elapsed) == expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [(0.0, 0), (1.0, 0), (299.0, 0), (300.0, 1), (7200.0, 1)],
)
def test_level_at_custom_ladder_with_immediate_level(elapsed: float, expected: int) -> None:
    levels = [
        EscalationLevel(after=0, role="On-call"),
        EscalationLevel(after=300, role="Director", name="Dana", contact="dana@example.com"),
    ]
    assert esc.level_at(levels, elapsed) == expected


def test_level_at_empty_ladder() -> None:
    assert esc.level_at([], 99999.0) is None


@pytest.mark.parametrize(
    ("seconds", "hms", "countdown"),
    [
        (0, "0:00:00", "0:00"),
        (59.2, "0:00:59", "1:00"),
        (13 * 60 + 42, "0:13:42", "13:42"),
        (3600, "1:00:00", "1:00:00"),
        (3 * 3600 + 5, "3:00:05", "3:00:05"),
        (-10, "0:00:00", "0:00"),
    ],
)
def test_formatting(seconds: float, hms: str, countdown: str) -> None:
    assert esc.format_hms(seconds) == hms
    assert esc.format_countdown(seconds) == countdown


# --- the clock -----------------------------------------------------------------


def test_clock_starts_at_configured_time_without_journaling() -> None:
    recorded: list[str] = []
    start = esc.ensure_started(T0, [], T0 + timedelta(hours=1), lambda k, p: recorded.append(k))
    assert start == T0
    assert recorded == []


def test_first_launch_journals_the_start_and_a_restart_keeps_it(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    first = esc.ensure_started(None, journal.events(), clock.now(), journal.append)
    assert first == T0
    assert [e.kind for e in journal.events()] == [esc.INCIDENT_OPENED]
    clock.advance(3600)
    again = esc.ensure_started(None, journal.events(), clock.now(), journal.append)
    assert again == T0
    assert len(journal.events()) == 1


def test_earliest_opening_wins_when_two_instances_open_at_once() -> None:
    events = [
        Ev(
            1,
            T0 + timedelta(seconds=5),
            "a",
            esc.INCIDENT_OPENED,
            {"started": "2026-01-01T00:00:05+00:00"},
        ),
        Ev(
            2,
            T0 + timedelta(seconds=6),
            "b",
            esc.INCIDENT_OPENED,
            {"started": "2026-01-01T00:00:02+00:00"},
        ),
    ]
    assert esc.incident_start(None, events) == T0 + timedelta(seconds=2)


def test_resolution_stops_the_clock() -> None:
    events = [Ev(1, T0 + timedelta(minutes=47), "alice", esc.INCIDENT_RESOLVED)]
    state = esc.compute_state(EscalationConfig(), T0, T0 + timedelta(hours=5), events)
    assert state.resolved
    assert state.elapsed == 47 * 60
    assert state.reached is not None and state.reached.index == 1
    assert state.next is None
    assert state.status_due_in is None
    assert esc.due_crossings(LADDER, state.elapsed, events) == []


# --- firing --------------------------------------------------------------------


def test_each_level_fires_once_as_time_passes(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    fired: list[int] = []
    for _ in range(0, 2 * 3600, 10):
        fired += fire_due(journal, config, T0)
        clock.advance(10)
    assert fired == [0, 1, 2]
    crossed = [e for e in journal.events() if e.kind == esc.ESCALATION_CROSSED]
    assert [e.at - T0 for e in crossed] == [timedelta(minutes=m) for m in (15, 30, 60)]


def test_restart_mid_incident_does_not_fire_twice(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    clock.advance(20 * 60)
    assert fire_due(journal, config, T0) == [0]
    # A restart: a fresh process reads the same journal and computes again.
    restarted = FakeJournal(clock)
    restarted.items = list(journal.items)
    assert fire_due(restarted, config, T0) == []
    clock.advance(11 * 60)
    assert fire_due(restarted, config, T0) == [1]
    assert fire_due(restarted, config, T0) == []


def test_wall_clock_back_an_hour_neither_refires_nor_unfires(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    clock.advance(35 * 60)
    assert fire_due(journal, config, T0) == [0, 1]
    clock.jump_wall(-3600)  # now before the incident start
    assert fire_due(journal, config, T0) == []
    state = esc.compute_state(config, T0, clock.now(), journal.events())
    assert state.elapsed == 0
    assert state.reached is not None and state.reached.role == "Engineering manager"
    assert state.crossed == (0, 1)
    clock.jump_wall(3600)
    assert fire_due(journal, config, T0) == []


def test_wall_clock_forward_an_hour_fires_each_skipped_level_once(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    clock.advance(5 * 60)
    assert fire_due(journal, config, T0) == []
    clock.jump_wall(3600)
    assert fire_due(journal, config, T0) == [0, 1, 2]
    assert fire_due(journal, config, T0) == []
    kinds = [e.payload["level"] for e in journal.events() if e.kind == esc.ESCALATION_CROSSED]
    assert kinds == [0, 1, 2]


def test_crossing_text_names_whom_to_call() -> None:
    levels = [EscalationLevel(after=900, role="Senior engineer", name="Ann", contact="+1-555")]
    assert (
        esc.crossing_text(levels, 0)
        == "Escalate: call Senior engineer (Ann) at +1-555 (0:15:00 elapsed)"
    )


# --- the state -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "reached", "next_role", "remaining", "approaching"),
    [
        (0, None, "Senior engineer", 900, False),
        (13 * 60 - 1, None, "Senior engineer", 121, False),
        (13 * 60, None, "Senior engineer", 120, True),
        (14 * 60 + 59, None, "Senior engineer", 1, True),
        (15 * 60, "Senior engineer", "Engineering manager", 900, False),
        (16 * 60 + 18, "Senior engineer", "Engineering manager", 13 * 60 + 42, False),
        (59 * 60, "Engineering manager", "Incident commander", 60, True),
        (61 * 60, "Incident commander", None, None, False),
    ],
)
def test_state_reached_next_and_approaching(
    elapsed: int,
    reached: str | None,
    next_role: str | None,
    remaining: float | None,
    approaching: bool,
) -> None:
    state = esc.compute_state(EscalationConfig(), T0, T0 + timedelta(seconds=elapsed), [])
    assert (state.reached.role if state.reached else None) == reached
    assert (state.next.level.role if state.next else None) == next_role
    assert (state.next.remaining if state.next else None) == remaining
    assert state.approaching is approaching


def test_acks_cover_the_acked_level_and_those_below(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    clock.advance(16 * 60)
    fire_due(journal, config, T0)
    state = esc.compute_state(config, T0, clock.now(), journal.events())
    assert state.unacked == (0,) and state.reached_unacked
    payload = esc.ack_payload(state)
    assert payload == {"level": 0, "role": "Senior engineer"}
    journal.append(esc.ESCALATION_ACK, payload)
    state = esc.compute_state(config, T0, clock.now(), journal.events())
    assert state.unacked == () and not state.reached_unacked
    assert state.acks == (esc.Ack(0, "alice", T0 + timedelta(minutes=16)),)
    clock.advance(15 * 60)
    fire_due(journal, config, T0)
    state = esc.compute_state(config, T0, clock.now(), journal.events())
    assert state.unacked == (1,)
    journal.append(esc.ESCALATION_ACK, {"level": 1})
    clock.advance(30 * 60)
    fire_due(journal, config, T0)
    state = esc.compute_state(config, T0, clock.now(), journal.events())
    assert state.unacked == (2,)
    assert state.crossed == (0, 1, 2)


def test_nothing_to_ack_before_the_first_level() -> None:
    state = esc.compute_state(EscalationConfig(), T0, T0 + timedelta(minutes=1), [])
    assert esc.ack_payload(state) is None


def test_severity_from_the_journal_else_config() -> None:
    assert esc.current_severity("SEV2", []) == "SEV2"
    events = [
        Ev(1, T0, "a", esc.SEVERITY_CHANGED, {"severity": "SEV1"}),
        Ev(2, T0, "a", esc.SEVERITY_CHANGED, {"severity": "SEV9"}),  # ignored
    ]
    assert esc.current_severity("SEV2", events) == "SEV1"
    state = esc.compute_state(EscalationConfig(), T0, T0, events, default_severity="SEV3")
    assert state.severity == "SEV1"


def test_status_update_due_then_overdue_then_reset_by_sending() -> None:
    config = EscalationConfig(status_every=30 * 60)
    state = esc.compute_state(config, T0, T0 + timedelta(minutes=10), [])
    assert state.status_due_in == 20 * 60 and not state.status_overdue
    state = esc.compute_state(config, T0, T0 + timedelta(minutes=31), [])
    assert state.status_due_in == -60 and state.status_overdue
    events = [Ev(1, T0 + timedelta(minutes=32), "a", esc.STATUS_SENT, {"text": "ok"})]
    state = esc.compute_state(config, T0, T0 + timedelta(minutes=40), events)
    assert state.status_due_in == 22 * 60 and not state.status_overdue
    assert state.last_status_at == T0 + timedelta(minutes=32)


def test_compose_status_prefills_from_live_state() -> None:
    text = esc.compose_status(
        incident="INC-7 Login failures",
        severity="SEV1",
        elapsed=47 * 60 + 12,
        phase="Deploy to production",
        health="3/3 endpoints UP",
        error_trend="falling (2.1% -> 0.4%)",
        version="v1.4.3",
        next_step="",
    )
    assert text.splitlines() == [
        "[SEV1] INC-7 Login failures: status update (0:47:12 elapsed)",
        "Phase: Deploy to production",
        "Health: 3/3 endpoints UP",
        "Error rate: falling (2.1% -> 0.4%)",
        "Hotfix: v1.4.3",
        "Next: n/a",
    ]


# --- the watch window ----------------------------------------------------------


def fire_watch(journal: FakeJournal, length: float) -> list[tuple[str, int]]:
    due = esc.due_watch_events(length, journal.clock.now(), journal.events())
    for item in due:
        journal.append(item.kind, item.payload("3/3 UP"))
    return [(item.kind, item.n) for item in due]


def test_no_watch_before_a_deploy_is_marked() -> None:
    state = esc.compute_state(EscalationConfig(), T0, T0 + timedelta(hours=1), [])
    assert state.watch is None
    assert esc.due_watch_events(7200, T0 + timedelta(hours=3), []) == []


def test_watch_checkpoints_every_30_minutes_then_the_end(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    clock.advance(600)
    journal.append(esc.DEPLOY_MARKED, {"version": "v1.4.3"})
    fired: list[tuple[str, int]] = []
    for _ in range(0, 3 * 3600, 30):
        fired += fire_watch(journal, 7200)
        clock.advance(30)
    assert fired == [
        (esc.WATCH_CHECKPOINT, 1),
        (esc.WATCH_CHECKPOINT, 2),
        (esc.WATCH_CHECKPOINT, 3),
        (esc.WATCH_ENDED, 4),
    ]
    checkpoint = next(e for e in journal.events() if e.kind == esc.WATCH_CHECKPOINT)
    assert checkpoint.payload == {"deploy_seq": 1, "n": 1, "health": "3/3 UP"}
    assert checkpoint.at == T0 + timedelta(minutes=40)


def test_watch_state_counts_down(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    journal.append(esc.DEPLOY_MARKED, {})
    clock.advance(40 * 60)
    fire_watch(journal, 7200)
    state = esc.compute_state(EscalationConfig(watch=7200), T0, clock.now(), journal.events())
    watch = state.watch
    assert watch is not None
    assert watch.remaining == 80 * 60
    assert watch.checkpoints_done == 1
    assert watch.next_checkpoint == 2 and watch.next_checkpoint_in == 20 * 60
    assert not watch.ended
    clock.advance(80 * 60)
    state = esc.compute_state(EscalationConfig(watch=7200), T0, clock.now(), journal.events())
    assert state.watch is not None and state.watch.ended and state.watch.remaining == 0


def test_watch_jumps_fire_once_each(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    journal.append(esc.DEPLOY_MARKED, {})
    clock.jump_wall(65 * 60)
    assert fire_watch(journal, 7200) == [(esc.WATCH_CHECKPOINT, 1), (esc.WATCH_CHECKPOINT, 2)]
    clock.jump_wall(-3600)
    assert fire_watch(journal, 7200) == []
    clock.jump_wall(3600)
    assert fire_watch(journal, 7200) == []


def test_a_new_deploy_restarts_the_watch(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    journal.append(esc.DEPLOY_MARKED, {})
    clock.advance(31 * 60)
    assert fire_watch(journal, 7200) == [(esc.WATCH_CHECKPOINT, 1)]
    journal.append(esc.DEPLOY_MARKED, {"version": "v1.4.4"})
    assert fire_watch(journal, 7200) == []
    clock.advance(30 * 60)
    assert fire_watch(journal, 7200) == [(esc.WATCH_CHECKPOINT, 1)]


def test_resolution_stops_the_watch(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    journal.append(esc.DEPLOY_MARKED, {})
    journal.append(esc.INCIDENT_RESOLVED, {})
    clock.advance(3 * 3600)
    assert fire_watch(journal, 7200) == []


# --- tick ----------------------------------------------------------------------


def test_tick_journals_what_fired_and_shows_it_at_once(clock: ManualClock) -> None:
    journal = FakeJournal(clock)
    config = EscalationConfig()
    clock.advance(10 * 60)
    journal.append(esc.DEPLOY_MARKED, {})
    clock.advance(30 * 60)
    step = esc.tick(config, T0, clock.now(), journal.events(), journal.append, health="2/2 UP")
    assert [level.role for level in step.crossed] == ["Senior engineer", "Engineering manager"]
    assert [(w.kind, w.n) for w in step.watch] == [(esc.WATCH_CHECKPOINT, 1)]
    assert step.state.unacked == (0, 1) and step.state.reached_unacked
    assert step.state.watch is not None and step.state.watch.checkpoints_done == 1
    kinds = [e.kind for e in journal.events()]
    assert kinds == [
        esc.DEPLOY_MARKED,
        esc.ESCALATION_CROSSED,
        esc.ESCALATION_CROSSED,
        esc.WATCH_CHECKPOINT,
    ]
    assert journal.events()[-1].payload["health"] == "2/2 UP"
    again = esc.tick(config, T0, clock.now(), journal.events(), journal.append)
    assert again.crossed == () and again.watch == ()
    assert again.state == step.state


# --- the monotonic incident clock -------------------------------------------------------


def test_the_incident_clock_counts_monotonic_time_from_its_anchor() -> None:
    clock = ManualClock(wall=T0 + timedelta(minutes=20), mono=500.0)
    # A restart: the journal says the incident began 20 minutes before this process.
    steady = esc.IncidentClock.anchor(clock)
    assert steady.elapsed(T0, clock.monotonic()) == 20 * 60
    clock.advance(90)
    clock.jump_wall(3600)  # NTP steps the host clock an hour ahead
    assert steady.elapsed(T0, clock.monotonic()) == 20 * 60 + 90
    assert steady.now(clock.monotonic()) == T0 + timedelta(minutes=21, seconds=30)
    clock.jump_wall(-7200)
    assert steady.elapsed(T0, clock.monotonic()) == 20 * 60 + 90
    assert steady.elapsed(T0 + timedelta(hours=1), clock.monotonic()) == 0.0


def test_a_wall_clock_step_does_not_page_the_next_levels() -> None:
    clock = ManualClock(wall=T0)
    journal = FakeJournal(clock)
    config = EscalationConfig()
    steady = esc.IncidentClock.anchor(clock)

    def step() -> esc.Tick:
        return esc.tick(
            config, T0, clock.now(), journal.events(), journal.append,
            running=steady.elapsed(T0, clock.monotonic()),
        )  # fmt: skip

    clock.advance(16 * 60)
    assert [level.index for level in step().crossed] == [0]
    clock.jump_wall(3600)  # sixteen real minutes in, the host clock jumps an hour
    result = step()
    assert result.crossed == ()
    assert result.state.elapsed == 16 * 60
    assert result.state.next is not None and result.state.next.level.index == 1
    assert result.state.next.remaining == 14 * 60
    clock.advance(14 * 60)
    assert [level.index for level in step().crossed] == [1]
    # The wall clock alone would have paged both levels at the step.
    fresh = FakeJournal(ManualClock(wall=T0 + timedelta(minutes=76)))
    walled = esc.tick(config, T0, fresh.clock.now(), [], fresh.append)
    assert [level.index for level in walled.crossed] == [0, 1, 2]


def test_once_resolved_the_clock_stops_at_the_journaled_resolution() -> None:
    clock = ManualClock(wall=T0)
    journal = FakeJournal(clock)
    steady = esc.IncidentClock.anchor(clock)
    clock.advance(10 * 60)
    journal.append(esc.INCIDENT_RESOLVED, {})
    clock.advance(50 * 60)
    running = steady.elapsed(T0, clock.monotonic())
    state = esc.compute_state(
        EscalationConfig(), T0, clock.now(), journal.events(), running=running
    )
    assert state.resolved and state.elapsed == 10 * 60 and state.reached is None

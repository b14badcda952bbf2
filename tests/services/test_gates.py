"""What the runbook lets run and tick: gates named by phase, strategies, git ticks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warroom.services.clock import SystemClock
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.journal.store import Event
from warroom.services.release.controller import ReleaseController
from warroom.services.release.git_plans import Plan
from warroom.services.runbook.gates import (
    command_refusals,
    item_waits,
    phase_label,
    phase_waits,
)
from warroom.services.runbook.model import RunbookState, builtin_runbook, replay

T0 = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
CHECKS = ("p10.db-backup", "p10.rollback-plan", "p10.monitoring-alerts", "p10.team-standby")


def ev(seq: int, kind: str, **payload: object) -> Event:
    return Event(seq, T0 + timedelta(minutes=seq), "aiko", kind, dict(payload))


def state_of(*events: Event) -> RunbookState:
    return replay(builtin_runbook("en"), list(events))


def done(*item_ids: str) -> list[Event]:
    return [ev(n, "item.done", item=i) for n, i in enumerate(item_ids, start=1)]


def test_no_builtin_phase_waits_for_a_later_one() -> None:
    for lang in ("en", "ja"):
        runbook = builtin_runbook(lang)
        position: dict[str, int] = {}
        for index, phase in enumerate(runbook.phases):
            position[phase.id] = index
            for item in phase.items:
                position[item.id] = index
        for index, phase in enumerate(runbook.phases):
            for item in phase.items:
                for ref in (*phase.requires, *item.requires):
                    assert position[ref] <= index, (phase.id, item.id, ref)


def test_gates_name_phase_numbers_and_titles_not_ids() -> None:
    state = state_of()
    assert phase_label(state, "p08") == "phase 8: Staging deployment and validation"
    assert phase_label(state, "p10") == "phase 9: Pre-deployment checklist"
    waits = phase_waits(state, "p09")
    assert waits[0] == "phase 8: Staging deployment and validation"
    assert (
        waits[1] == "“Database backup completed successfully” (phase 9: Pre-deployment checklist)"
    )
    assert not any("p10." in w or w == "p08" for w in waits)
    japanese = replay(builtin_runbook("ja"), [])
    assert phase_label(japanese, "p08").startswith("フェーズ 8: ")


@pytest.mark.parametrize(
    ("events", "command", "expected"),
    [
        # Nothing chosen, nothing ticked: production waits for its five checks.
        ([], "production", 5),
        # Every check ticked (one N/A counts): production may run.
        ([*done(*CHECKS), ev(9, "item.na", item="p10.channels", reason="solo")], "production", 0),
        # Rolling chosen: production is not its way, even with the checks done.
        (
            [
                *done(*CHECKS, "p10.channels"),
                ev(9, "choice.made", choice="p09.strategy", option="rolling"),
            ],
            "production",
            1,
        ),
        # Blue-Green chosen: rolling is the other strategy's command.
        ([ev(1, "choice.made", choice="p09.strategy", option="blue-green")], "rolling", 7),
        # Blue-Green has no command of its own: production stays its way.
        (
            [
                *done(*CHECKS, "p10.channels"),
                ev(9, "choice.made", choice="p09.strategy", option="blue-green"),
            ],
            "production",
            0,
        ),
        # A command no item performs has nothing to wait for.
        ([], "fix", 0),
        ([], "staging", 0),
    ],
)
def test_command_refusals(events: list[Event], command: str, expected: int) -> None:
    assert len(command_refusals(state_of(*events), command)) == expected


def test_strategy_refusals_say_which_way() -> None:
    rolling = state_of(ev(1, "choice.made", choice="p09.strategy", option="rolling"))
    assert "Strategy is Rolling: deploy with `rolling`, not `production`" in command_refusals(
        rolling, "production"
    )
    green = state_of(ev(1, "choice.made", choice="p09.strategy", option="blue-green"))
    assert "Strategy is Blue-Green: `rolling` is the Rolling way" in command_refusals(
        green, "rolling"
    )


def test_item_waits_names_what_is_open_and_clears_when_done() -> None:
    waits = item_waits(state_of(), "p10.deploy-production")
    assert len(waits) == 5 and waits[0].startswith("waits for “Database backup")
    assert item_waits(state_of(*done(*CHECKS, "p10.channels")), "p10.deploy-production") == ()
    assert item_waits(state_of(), "p01.assess-severity") == ()
    assert item_waits(state_of(), "no.such-item") == ()


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, kind: str, payload: dict[str, Any]) -> bool:
        self.events.append((kind, payload))
        return True


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoTarget]:
    with DemoTarget(tmp_path / "demo", script_pace=0.01, log_interval=5.0) as target:
        target.config_path.chmod(0o600)
        target.root.chmod(0o700)
        yield target


async def test_a_git_action_ticks_the_items_it_performs(demo: DemoTarget) -> None:
    recorder = Recorder()
    runbook = state_of()
    controller = ReleaseController(
        load_config(demo.config_path),
        SystemClock(),
        actor="aiko",
        record=recorder,
        runbook=lambda: runbook,
    )
    plan = await controller.plan("branch")
    assert isinstance(plan, Plan)
    result = await controller.start_git(plan)
    assert result.ok
    kinds = [kind for kind, _ in recorder.events]
    assert kinds == ["release.branch", "item.done"]
    ticked = recorder.events[1][1]
    assert ticked["item"] == "p03.branch-from-tag"
    assert ticked["note"].startswith("by git: ")


async def test_an_override_is_journaled_and_announced(tmp_path: Path) -> None:
    recorder = Recorder()
    told: list[tuple[str, str, dict[str, Any]]] = []
    config = tmp_path / "warroom.toml"
    config.write_text("")
    controller = ReleaseController(
        load_config(config),
        SystemClock(),
        actor="ben",
        record=recorder,
        announce=lambda kind, text, fields: told.append((kind, text, dict(fields))),
    )
    assert await controller.override("run production v1.2.4", ("waits for x",), "SEV1 now")
    assert recorder.events == [
        (
            "override.granted",
            {"what": "run production v1.2.4", "reason": "SEV1 now", "refusals": ["waits for x"]},
        )
    ]
    ((kind, text, fields),) = told
    assert kind == "deploy" and "ben" in text and "SEV1 now" in text
    assert fields["step"] == "override" and fields["reason"] == "SEV1 now"

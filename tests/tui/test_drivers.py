"""Several drivers on one incident, pressing at once: every screen shows the journal."""

from __future__ import annotations

import asyncio
import itertools
import random
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui import fixtures
from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.journal.store import Journal, journal_path
from warroom.services.runbook.model import Runbook, RunbookState, replay
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.dashboard import DashboardScreen

ROUNDS = 30


def _config(tmp_path: Path) -> LoadedConfig:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nid = "INC-9"\nstate_dir = "state"\n')
    return load_config(config)


def _statuses(state: RunbookState | None) -> dict[str, str]:
    assert state is not None
    return {item.item.id: item.status for phase in state.phases for item in phase.items}


async def _ready(app: WarroomApp, pilot: Pilot[int]) -> DashboardScreen:
    screen = fixtures.dashboard(app)
    await fixtures.until(
        pilot, lambda: screen.journal is not None and screen.escalation is not None
    )
    return screen


def _converged(reader: Journal, runbook: Runbook, screens: list[DashboardScreen]) -> bool:
    """Whether every screen shows exactly the journal: its last event and its replay."""
    events = reader.events()
    expected = _statuses(replay(runbook, events))
    last = events[-1].seq if events else 0
    return all(
        bool(s.events) and s.events[-1].seq == last and _statuses(s.runbook_state) == expected
        for s in screens
    )


@pytest.mark.parametrize("drivers", [2, 3])
async def test_drivers_pressing_at_once_all_show_the_journal_s_replay(
    tmp_path: Path, drivers: int
) -> None:
    loaded = _config(tmp_path)
    apps = [build_app(loaded) for _ in range(drivers)]
    for number, app in enumerate(apps, start=1):
        app.runtime.actor = f"driver {number}"
    apps.append(build_app(loaded, read_only=True))  # and the projector, watching
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    pick = random.Random(drivers)
    async with AsyncExitStack() as stack:
        pilots = [await stack.enter_async_context(a.run_test(size=(100, 30))) for a in apps]
        screens = [await _ready(app, pilot) for app, pilot in zip(apps, pilots, strict=True)]
        reader = Journal.open(path, ManualClock(), "reader", read_only=True)
        stack.callback(reader.close)
        runbook = screens[0].runbook
        for round_no in range(ROUNDS):
            # Most rounds everyone presses space on the same item (the hardest case:
            # a tick and an untick racing); some rounds a driver moves first.
            async def press(pilot: Pilot[int]) -> None:
                if pick.random() < 0.3:
                    await pilot.press("j")
                await pilot.press("space")

            await asyncio.gather(*(press(p) for p in pilots[:drivers]))
            try:
                await fixtures.until(
                    pilots[0], lambda: _converged(reader, runbook, screens), timeout=10.0
                )
            except AssertionError:
                expected = _statuses(replay(runbook, reader.events()))
                shown = [_statuses(s.runbook_state) for s in screens]
                diff = [{k: v for k, v in one.items() if expected.get(k) != v} for one in shown]
                raise AssertionError(f"round {round_no}: screens differ: {diff}") from None
        # A driver's press that met a state it already had journals nothing: the same
        # change twice in a row comes only from two people pressing at once.
        for item_id in {e.payload.get("item") for e in reader.events()}:
            mine = [(e.kind, e.actor) for e in reader.events() if e.payload.get("item") == item_id]
            doubled = [a for a, b in itertools.pairwise(mine) if a == b]
            assert not doubled, f"{item_id}: {mine}"

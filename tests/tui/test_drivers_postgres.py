"""Three dashboards on one PostgreSQL journal, no shared files: two driving and a
read-only projector press at once for 30 rounds while the server restarts; every
screen shows the journal's replay after each round and no acknowledged tick is lost.

Skipped, with the reason shown, where PostgreSQL or psycopg is not installed.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.pg_cluster import PgCluster
from tests.services.test_session_postgres import _config
from tests.tui import fixtures
from tests.tui.test_drivers import _ready, _statuses
from warroom.services.clock import ManualClock
from warroom.services.runbook.model import replay
from warroom.tui.app import build_app
from warroom.tui.screens.dashboard import DashboardScreen

REASON = PgCluster.unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

if REASON is None:
    from warroom.services.journal.postgres import PostgresJournal

ROUNDS = 30
RESTART_ROUND = 15


def _converged(reader: PostgresJournal, screens: list[DashboardScreen]) -> bool:
    events = reader.events()
    if not events:
        return False
    expected = _statuses(replay(screens[0].runbook, events))
    return all(
        bool(s.events)
        and s.events[-1].seq == events[-1].seq
        and _statuses(s.runbook_state) == expected
        for s in screens
    )


async def test_three_dashboards_on_postgres_show_the_journal_through_a_restart(
    tmp_path: Path, cluster: PgCluster
) -> None:
    url = cluster.create_database("shared")
    apps = [
        build_app(_config(tmp_path / "alice", url)),
        build_app(_config(tmp_path / "bob", url)),
        build_app(_config(tmp_path / "projector", url), read_only=True),
    ]
    for app, actor in zip(apps, ("alice", "bob", "projector"), strict=True):
        app.runtime.actor = actor
    reader = PostgresJournal.open(url, "INC-5", ManualClock(), "reader", read_only=True)
    acknowledged: set[int] = set()
    async with AsyncExitStack() as stack:
        stack.callback(reader.close)
        pilots: list[Pilot[int]] = [
            await stack.enter_async_context(a.run_test(size=(100, 30))) for a in apps
        ]
        screens = [await _ready(app, pilot) for app, pilot in zip(apps, pilots, strict=True)]
        for round_no in range(ROUNDS):
            if round_no == RESTART_ROUND:
                # The server goes away and comes back between two rounds; the
                # dashboards reconnect on their own.
                await asyncio.to_thread(cluster.stop, True)
                await fixtures.until(
                    pilots[2],
                    lambda: (
                        (screens[2].summary is not None)
                        and "NOT SAVED" in str(screens[2].summary.journal_damage)
                    ),
                    timeout=30,
                )
                await asyncio.to_thread(cluster.start)
            await asyncio.gather(*(p.press("space") for p in pilots[:2]))
            await fixtures.until(pilots[0], lambda: _converged(reader, screens), timeout=30)
            # What the drivers show was read back from the server: acknowledged.
            for screen in screens[:2]:
                acknowledged.update(e.seq for e in screen.events)
        on_server = {e.seq for e in reader.events()}
        assert acknowledged <= on_server

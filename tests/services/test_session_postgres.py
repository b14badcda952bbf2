"""Three incident sessions on one PostgreSQL journal: two driving, one read-only, with
their own state dirs, ticking and unticking at once while the server crashes and
comes back. Every session must end each round showing exactly the journal's replay,
and no change a session was told is saved may be lost.

Skipped, with the reason shown, where PostgreSQL or psycopg is not installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.pg_cluster import PASSWORD, PgCluster
from tests.services.test_session import Watcher, watching
from warroom.services import events as kinds
from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.journal.backend import open_journal
from warroom.services.journal.format import Event
from warroom.services.runbook.model import RunbookState, replay
from warroom.services.session import IncidentSession, SessionState

REASON = PgCluster.unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

if REASON is None:
    from warroom.services.journal.postgres import PostgresJournal

ROUNDS = 30
CRASH_ROUND = 15
ITEM = "p01.assess-severity"


def _config(folder: Path, url: str) -> LoadedConfig:
    """A dashboard's own config and state dir, naming the shared journal."""
    folder.mkdir()
    config = folder / "warroom.toml"
    template = url.replace(PASSWORD, "${env:PGPASSWORD}")
    config.write_text(
        f'[incident]\nid = "INC-5"\nstate_dir = "state"\n[journal]\nurl = "{template}"\n'
    )
    return load_config(config, env={"PGPASSWORD": PASSWORD})


def _session(loaded: LoadedConfig, actor: str, read_only: bool = False) -> IncidentSession:
    clock = ManualClock()
    return IncidentSession(
        loaded,
        clock,
        actor=actor,
        read_only=read_only,
        open_journal=lambda: open_journal(loaded, clock, actor, read_only=read_only),
    )


def _statuses(state: RunbookState) -> dict[str, str]:
    return {item.item.id: item.status for phase in state.phases for item in phase.items}


def _key(event: Event) -> tuple[int, str, str, str]:
    return (event.seq, event.at.isoformat(), event.actor, f"{event.kind} {event.payload}")


async def _converged(watchers: list[Watcher], reader: PostgresJournal) -> bool:
    events = await asyncio.to_thread(reader.events)
    if not events:
        return False
    runbook = watchers[0].session.runbook
    expected = _statuses(replay(runbook, events))
    return all(
        w.latest is not None
        and w.latest.seq == events[-1].seq
        and _statuses(w.latest.runbook) == expected
        for w in watchers
    )


async def _until_converged(watchers: list[Watcher], reader: PostgresJournal, why: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30.0  # generous: two busy cores, and a server restart
    while not await _converged(watchers, reader):
        assert loop.time() < deadline, f"{why}: the sessions never showed the journal"
        await asyncio.sleep(0.02)


def _banner(state: SessionState | None) -> str:
    assert state is not None
    return f"{state.summary.save_error} {state.summary.journal_damage}"


async def test_three_sessions_show_the_journal_through_a_server_crash(
    tmp_path: Path, cluster: PgCluster
) -> None:
    url = cluster.create_database("shared")
    sessions = [
        _session(_config(tmp_path / "alice", url), "alice"),
        _session(_config(tmp_path / "bob", url), "bob"),
        _session(_config(tmp_path / "projector", url), "projector", read_only=True),
    ]
    alice, bob, _ = sessions
    reader = PostgresJournal.open(url, "INC-5", ManualClock(), "reader", read_only=True)
    acknowledged: set[tuple[int, str, str, str]] = set()
    shown: list[str] = []
    try:
        async with watching(*sessions) as watchers:
            for round_no in range(ROUNDS):
                # One ticks while the other unticks the same item, at the same moment.
                presses = [alice.toggle(ITEM, round_no % 2 == 0), bob.toggle(ITEM, True)]
                if round_no == CRASH_ROUND:
                    # The server crashes while the presses are in flight.
                    crash = asyncio.to_thread(cluster.stop, True)
                    await asyncio.gather(*presses, crash)
                    refused = await alice.toggle("p01.hotfix-or-wait", True)
                    assert not refused, "a change was accepted with the server down"
                    # The driver that tried, and the projector that only reads, both
                    # show the banner while the server is down.
                    await watchers[0].until(lambda st: "NOT SAVED" in _banner(st))
                    await watchers[2].until(lambda st: "NOT SAVED" in _banner(st))
                    await asyncio.to_thread(cluster.start)
                else:
                    await asyncio.gather(*presses)
                await _until_converged(watchers, reader, f"round {round_no}")
                # Every event a driver has applied was read back from the server: it
                # is acknowledged, and must still be there at the end.
                for session in (alice, bob):
                    acknowledged.update(_key(e) for e in session.events)
                for w in watchers:
                    assert w.latest is not None
                    shown.append(_banner(w.latest))
                    shown.extend(w.notices)
            final = {_key(e) for e in await asyncio.to_thread(reader.events)}
            assert acknowledged <= final, sorted(acknowledged - final)
            # The outage banner is gone from every screen once the server is back; a
            # driver whose change was refused keeps saying so until its next change
            # is saved (the refused one is never sent behind the user's back).
            for w in watchers:
                await w.until(lambda st: st.summary.journal_damage is None)
            for session, watcher in zip((alice, bob), watchers, strict=False):
                assert await session.note(ITEM, "server back")
                await watcher.until(lambda st: "NOT SAVED" not in _banner(st))
            done = [e for e in await asyncio.to_thread(reader.events) if e.kind == kinds.ITEM_DONE]
            assert {e.actor for e in done} <= {"alice", "bob"}
    finally:
        reader.close()
    assert not any(PASSWORD in text for text in shown)
    assert not any(PASSWORD in str(k) for k in acknowledged)
    for name in ("alice", "bob", "projector"):
        assert not (tmp_path / name / "state").exists()  # nothing was kept locally

"""The incident session without any UI: one path for state, commands, wiring."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from warroom.services import events as kinds
from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.journal.store import Journal, journal_path
from warroom.services.session import IncidentSession, SessionState


def _config(tmp_path: Path, extra: str = "") -> LoadedConfig:
    config = tmp_path / "warroom.toml"
    config.write_text(f'[incident]\nid = "INC-5"\nstate_dir = "state"\n{extra}')
    return load_config(config)


def _session(
    loaded: LoadedConfig,
    actor: str = "alice",
    read_only: bool = False,
    clock: ManualClock | None = None,
) -> IncidentSession:
    clock = clock or ManualClock()
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    return IncidentSession(
        loaded,
        clock,
        actor=actor,
        read_only=read_only,
        open_journal=lambda: Journal.open(path, clock, actor, read_only=read_only),
    )


class Watcher:
    """Consumes a session's stream in a task and keeps the latest state."""

    def __init__(self, session: IncidentSession) -> None:
        self.session = session
        self.latest: SessionState | None = None
        self.notices: list[str] = []
        self.crossed = 0
        self.count = 0
        self._task = asyncio.create_task(self._consume())

    async def _consume(self) -> None:
        async for state in self.session.stream():
            self.latest = state
            self.count += 1
            self.crossed += len(state.crossed)
            self.notices.extend(n.text for n in state.notices)

    async def until(self, predicate: object, timeout: float = 10.0) -> SessionState:
        """Wait until the latest state satisfies `predicate`."""
        assert callable(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.latest is None or not predicate(self.latest):
            assert loop.time() < deadline, "condition not met"
            await asyncio.sleep(0.02)
        return self.latest

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def watching(*sessions: IncidentSession) -> AsyncIterator[list[Watcher]]:
    watchers = [Watcher(s) for s in sessions]
    try:
        await asyncio.gather(
            *(w.until(lambda st: st.journal_open and st.escalation is not None) for w in watchers)
        )
        yield watchers
    finally:
        for w in watchers:
            await w.stop()


def _status(state: SessionState, item_id: str) -> str:
    item = state.runbook.item(item_id)
    assert item is not None
    return item.status


async def test_a_tick_is_shown_only_once_committed_and_by_every_instance(tmp_path: Path) -> None:
    loaded = _config(tmp_path)
    alice, bob = _session(loaded, "alice"), _session(loaded, "bob")
    async with watching(alice, bob) as (wa, wb):
        assert await alice.toggle("p01.assess-severity", True)
        # The command returns once the event is committed and applied.
        assert _status(alice.state(), "p01.assess-severity") == "done"
        state = await wb.until(lambda st: _status(st, "p01.assess-severity") == "done")
        done = [e for e in state.events if e.kind == kinds.ITEM_DONE]
        assert [e.actor for e in done] == ["alice"]
        assert wa.latest is not None


async def test_the_opening_is_journaled_once_by_two_instances_starting_together(
    tmp_path: Path,
) -> None:
    loaded = _config(tmp_path)
    first, second = _session(loaded, "alice"), _session(loaded, "bob")
    async with watching(first, second):
        opened = [e for e in first.events if e.kind == kinds.INCIDENT_OPENED]
        assert len(opened) == 1
        assert opened[0].actor == kinds.SYSTEM_ACTOR


async def test_quick_presses_never_record_the_same_change_twice(tmp_path: Path) -> None:
    loaded = _config(tmp_path)
    session = _session(loaded)
    async with watching(session):
        results = await asyncio.gather(
            *(session.toggle("p01.assess-severity", True) for _ in range(5))
        )
        assert all(results)
        done = [e for e in session.events if e.kind == kinds.ITEM_DONE]
        assert len(done) == 1


async def test_an_older_event_of_another_instance_is_never_dropped(tmp_path: Path) -> None:
    # Another process commits first; this instance's own write (a later seq) must not
    # hide it: both are applied, in sequence order.
    loaded = _config(tmp_path)
    session = _session(loaded, "alice")
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    async with watching(session):
        other = Journal.open(path, ManualClock(), "bob")
        try:
            other.append(kinds.ITEM_DONE, {"item": "p01.hotfix-or-wait"})
            assert await session.toggle("p01.assess-severity", True)
        finally:
            other.close()
        state = session.state()
        assert _status(state, "p01.hotfix-or-wait") == "done"
        assert _status(state, "p01.assess-severity") == "done"
        seqs = [e.seq for e in state.events]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


async def test_a_read_only_session_refuses_and_journals_nothing(tmp_path: Path) -> None:
    loaded = _config(tmp_path)
    driver = _session(loaded, "alice")
    viewer = _session(loaded, "projector", read_only=True)
    async with watching(driver, viewer) as (_, wv):
        before = len(driver.events)
        assert not await viewer.toggle("p01.assess-severity", True)
        await wv.until(lambda st: any("Read-only" in n for n in wv.notices))
        assert len(driver.events) == before
        assert _status(driver.state(), "p01.assess-severity") == "open"


async def test_an_item_that_marks_deploy_marks_it_once(tmp_path: Path) -> None:
    runbook = tmp_path / "mine.toml"
    runbook.write_text(
        'id = "mine"\ntitle_en = "Mine"\n'
        '[[phase]]\nid = "ship"\ntitle_en = "Ship"\n'
        '[[phase.item]]\nid = "ship.go"\ntext_en = "Ship it"\nmarks_deploy = true\n'
        '[[phase.item]]\nid = "ship.check"\ntext_en = "Check it"\n'
    )
    loaded = _config(tmp_path, '[runbook]\npath = "mine.toml"\n')
    session = _session(loaded)
    async with watching(session):
        assert await session.toggle("ship.check", True)
        assert not session.deploy_marked
        assert await session.toggle("ship.go", True)
        assert await session.toggle("ship.go", False)
        assert await session.toggle("ship.go", True)
        marks = [e for e in session.events if e.kind == kinds.DEPLOY_MARKED]
        assert [m.payload for m in marks] == [{"item": "ship.go"}]


async def test_a_runbook_field_that_is_not_a_boolean_is_a_config_error(tmp_path: Path) -> None:
    from warroom.services.config import ConfigError
    from warroom.services.runbook.model import load_runbook_text

    with pytest.raises(ConfigError, match=r"phase\[1\]\.item\[1\]\.marks_deploy"):
        load_runbook_text(
            'id = "x"\ntitle_en = "X"\n[[phase]]\nid = "p"\ntitle_en = "P"\n'
            '[[phase.item]]\nid = "p.i"\ntext_en = "I"\nmarks_deploy = "yes"\n',
            "mine.toml",
            "en",
        )


async def test_a_wall_clock_step_pages_nobody(tmp_path: Path) -> None:
    loaded = _config(tmp_path)
    clock = ManualClock()
    session = _session(loaded, clock=clock)
    async with watching(session) as (watcher,):
        clock.jump_wall(3600)  # NTP, or a DST mistake on the host: an hour forward
        seen = watcher.count
        state = await watcher.until(lambda st: watcher.count >= seen + 2)
        assert state.escalation is not None and state.escalation.elapsed < 60
        assert not [e for e in session.events if e.kind == kinds.ESCALATION_CROSSED]
        clock.advance(16 * 60)  # sixteen real minutes: the first level, and only it
        seen = watcher.count
        await watcher.until(lambda st: watcher.count >= seen + 2)
        crossed = [e for e in session.events if e.kind == kinds.ESCALATION_CROSSED]
        assert [e.payload["level"] for e in crossed] == [crossed[0].payload["level"]]
        assert all(e.actor == kinds.SYSTEM_ACTOR for e in crossed)


async def test_two_quick_deploy_marks_mark_it_once(tmp_path: Path) -> None:
    session = _session(_config(tmp_path))
    async with watching(session) as (watcher,):
        results = await asyncio.gather(session.mark_deploy(), session.mark_deploy())
        assert sorted(results) == [False, True]
        assert [e.kind for e in session.events].count(kinds.DEPLOY_MARKED) == 1
        await watcher.until(lambda st: any("already marked" in n for n in watcher.notices))
        # Confirmed by the user: marked again.
        assert await session.mark_deploy(again=True)
        assert [e.kind for e in session.events].count(kinds.DEPLOY_MARKED) == 2


async def test_a_level_is_acknowledged_once(tmp_path: Path) -> None:
    clock = ManualClock()
    session = _session(_config(tmp_path), clock=clock)
    async with watching(session) as (watcher,):
        clock.advance(16 * 60)
        await watcher.until(lambda st: st.escalation is not None and st.escalation.reached_unacked)
        assert await session.ack()
        assert not await session.ack()
        assert [e.kind for e in session.events].count(kinds.ESCALATION_ACK) == 1


async def test_a_full_disk_pages_only_what_is_on_record(small_disk: Path) -> None:
    # A crossing the journal refused is not on record: it must not page (bell, webhook,
    # toast) each second it stays due; NOT SAVED is said once per problem.
    clock = ManualClock()
    config = small_disk / "warroom.toml"
    config.write_text('[incident]\nid = "INC-5"\nstate_dir = "state"\n')
    session = _session(load_config(config), clock=clock)
    async with watching(session) as (watcher,):
        with (small_disk / "filler").open("wb") as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        for n in range(200):  # until SQLite has no room left either
            if not await session.note("p01.assess-severity", "x" * 4000 + str(n)):
                break
        await watcher.until(lambda st: st.summary.save_error is not None)
        clock.advance(16 * 60)
        seen = watcher.count
        await watcher.until(lambda st: watcher.count >= seen + 4)
        on_record = [e for e in session.events if e.kind == kinds.ESCALATION_CROSSED]
        assert watcher.crossed == len(on_record)
        said = [n for n in watcher.notices if "full" in n]
        assert len(said) == len(set(said)) >= 1


async def test_pressing_a_deploy_item_marks_a_deploy_left_unmarked(tmp_path: Path) -> None:
    # The item is done on record but no deploy mark is (written by an instance whose
    # mark failed, or by an older warroom): pressing it marks the deploy.
    runbook = tmp_path / "mine.toml"
    runbook.write_text(
        'id = "mine"\ntitle_en = "Mine"\n'
        '[[phase]]\nid = "ship"\ntitle_en = "Ship"\n'
        '[[phase.item]]\nid = "ship.go"\ntext_en = "Ship it"\nmarks_deploy = true\n'
    )
    loaded = _config(tmp_path, '[runbook]\npath = "mine.toml"\n')
    session = _session(loaded)
    async with watching(session):
        other = Journal.open(
            journal_path(loaded.state_dir, loaded.config.incident.id), ManualClock(), "bob"
        )
        try:
            other.append(kinds.ITEM_DONE, {"item": "ship.go"})
        finally:
            other.close()
        assert await session.toggle("ship.go", True)
        assert session.deploy_marked
        assert [e.kind for e in session.events].count(kinds.ITEM_DONE) == 1


async def test_two_drivers_crossing_a_level_at_once_journal_and_page_it_once(
    tmp_path: Path,
) -> None:
    loaded = _config(tmp_path)
    clocks = [ManualClock(), ManualClock()]
    first = _session(loaded, "a", clock=clocks[0])
    second = _session(loaded, "b", clock=clocks[1])
    async with watching(first, second) as watchers:
        for clock in clocks:
            clock.advance(16 * 60)
        for watcher in watchers:
            seen = watcher.count
            await watcher.until(lambda st, w=watcher, n=seen: w.count >= n + 3)
        crossed = [e for e in first.events if e.kind == kinds.ESCALATION_CROSSED]
        assert len(crossed) == 1
        assert sum(w.crossed for w in watchers) == 1

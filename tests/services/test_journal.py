"""The incident journal on real SQLite files: durability, sharing, failures, recovery."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.waiting import WAIT, eventually
from warroom.services.clock import ManualClock
from warroom.services.journal.actor import default_actor
from warroom.services.journal.store import (
    JOURNAL_RECOVERED,
    READ_ONLY_MESSAGE,
    SYSTEM_ACTOR,
    Event,
    Journal,
    JournalWriteError,
    journal_path,
)

ROOT = Path(__file__).resolve().parents[2]

TICKER = """
import sys
from pathlib import Path
from warroom.services.clock import SystemClock
from warroom.services.journal.store import Journal
journal = Journal.open(Path(sys.argv[1]), SystemClock(), "ticker")
n = 0
while True:
    n += 1
    event = journal.append("item.done", {"item": f"p01.item-{n}", "pad": "x" * 300})
    print(event.seq, flush=True)
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return journal_path(tmp_path / ".warroom", "INC-1")


def test_append_then_read_back(path: Path, clock: ManualClock) -> None:
    journal = Journal.open(path, clock, "alice")
    first = journal.append("item.done", {"item": "p01.a", "note": "日本語 ok"})
    clock.advance(60)
    second = journal.append("escalation.ack", {"level": 1})
    assert (first.seq, second.seq) == (1, 2)
    journal.close()
    reopened = Journal.open(path, clock, "bob")
    events = reopened.events()
    assert events == [first, second]
    assert events[0].payload == {"item": "p01.a", "note": "日本語 ok"}
    assert events[1].at == clock.now() and events[1].at.tzinfo is not None
    assert reopened.events(after_seq=1) == [second]
    assert path.name == "INC-1.sqlite3"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET actor = 'mallory'")
    conn.close()
    reopened.close()


def test_sigkill_mid_run_loses_no_acknowledged_tick(path: Path, clock: ManualClock) -> None:
    path.parent.mkdir(parents=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", TICKER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged: list[int] = []
    assert proc.stdout is not None
    try:
        while len(acknowledged) < 40:
            line = proc.stdout.readline()
            assert line, "the ticker died early"
            acknowledged.append(int(line))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
    journal = Journal.open(path, clock, "alice")
    seqs = {e.seq for e in journal.events()}
    assert set(acknowledged) <= seqs
    assert journal.recovery is None
    journal.close()


async def test_two_journals_see_each_other(path: Path, clock: ManualClock) -> None:
    # How soon is benchmarks/journal_backends.py's measure; here: the other one sees it.
    driver = Journal.open(path, clock, "driver")
    projector = Journal.open(path, clock, "viewer", read_only=True)
    stream = projector.follow(poll=0.05)
    driver.append("item.done", {"item": "p01.a"})
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [(e.actor, e.kind) for e in batch] == [("driver", "item.done")]
    driver.append("item.note", {"item": "p01.a", "text": "checked"})
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [e.seq for e in batch] == [2]
    await stream.aclose()
    driver.close()
    projector.close()


async def test_following_sees_its_own_appends_and_reads_only_after_a_commit(
    path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal.open(path, clock, "alice")
    reads: list[int] = []
    read = journal.events

    def counted(after_seq: int = 0) -> list[Event]:
        reads.append(after_seq)
        return read(after_seq)

    polls: list[int] = []
    version = journal._version

    def polled() -> tuple[int, ...] | None:
        polls.append(1)
        return version()

    monkeypatch.setattr(journal, "events", counted)
    monkeypatch.setattr(journal, "_version", polled)
    stream = journal.follow(poll=0.02)
    first = asyncio.ensure_future(anext(stream))
    await eventually(lambda: len(polls) >= 15, "fifteen polls of an idle journal")
    assert not first.done()
    assert len(reads) == 1  # the opening read; idle polls read nothing
    journal.append("item.done", {"item": "p01.a"})  # through this same connection
    batch = await asyncio.wait_for(first, timeout=WAIT)
    assert [(e.actor, e.kind) for e in batch] == [("alice", "item.done")]
    other = Journal.open(path, clock, "bob")
    other.append("item.note", {"item": "p01.a", "text": "seen"})
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [e.actor for e in batch] == ["bob"]
    await stream.aclose()
    other.close()
    journal.close()


def test_read_only_mode_refuses_changes(path: Path, clock: ManualClock) -> None:
    Journal.open(path, clock, "a").close()
    viewer = Journal.open(path, clock, "viewer", read_only=True)
    with pytest.raises(JournalWriteError) as info:
        viewer.append("item.done", {"item": "x"})
    assert str(info.value) == READ_ONLY_MESSAGE
    assert viewer.events() == []
    viewer.close()


def test_unwritable_place_gives_a_write_error_not_a_crash(
    tmp_path: Path, clock: ManualClock
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state dir should be")
    journal = Journal.open(blocker / "INC-1.sqlite3", clock, "alice")
    assert journal.write_problem is not None
    with pytest.raises(JournalWriteError) as info:
        journal.append("item.done", {"item": "p01.a"})
    assert str(info.value).startswith("cannot write journal")
    assert "\n" not in str(info.value)
    assert journal.events() == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path: Path, clock: ManualClock) -> None:
    state = tmp_path / "ro"
    state.mkdir()
    state.chmod(0o500)
    try:
        journal = Journal.open(state / "INC-1.sqlite3", clock, "alice")
        with pytest.raises(JournalWriteError, match=r"^cannot write journal "):
            journal.append("item.done", {"item": "p01.a"})
    finally:
        state.chmod(0o700)


def test_disk_full_is_a_write_error_and_nothing_half_written(
    path: Path, clock: ManualClock
) -> None:
    journal = Journal.open(path, clock, "alice")
    journal.append("item.done", {"item": "p01.a"})
    # SQLite's own page limit makes the next growth fail exactly as a full disk does.
    conn = journal._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(JournalWriteError, match=r"^journal INC-1.sqlite3: .*full"):
        for _ in range(50):
            journal.append("item.note", {"item": "p01.a", "text": "x" * 4000})
    saved = journal.events()
    assert all(e.kind in ("item.done", "item.note") for e in saved)
    journal.close()
    again = Journal.open(path, clock, "alice")
    assert again.events() == saved
    again.close()


def _fill(path: Path, clock: ManualClock, count: int) -> list[Event]:
    journal = Journal.open(path, clock, "alice")
    events = [
        journal.append("item.done", {"item": f"p01.i{n}", "pad": "y" * 700}) for n in range(count)
    ]
    journal.close()
    return events


@pytest.mark.parametrize("seed", range(6))
def test_journal_cut_at_a_random_byte_recovers_what_is_readable(
    path: Path, clock: ManualClock, seed: int
) -> None:
    original = _fill(path, clock, 60)
    size = path.stat().st_size
    cut = random.Random(seed).randrange(1, size)
    with path.open("r+b") as handle:
        handle.truncate(cut)
    journal = Journal.open(path, clock, "alice")
    recovered = journal.events()
    by_seq = {e.seq: e for e in original}
    # A cut anywhere is damage: the driver's journal is rebuilt and says what it lost.
    assert journal.recovery is not None and journal.damage == journal.recovery
    assert "recovered" in journal.recovery and "damaged" in journal.recovery
    assert len(list(path.parent.glob("INC-1.sqlite3.damaged-*Z"))) == 1
    *kept, note = recovered
    assert all(by_seq[e.seq] == e for e in kept)
    assert (note.kind, note.actor) == (JOURNAL_RECOVERED, SYSTEM_ACTOR)
    assert note.seq > 60 and note.payload["recovered"] == len(kept)
    lost = {s for a, b in note.payload["lost"] for s in range(a, b + 1)}
    missing = set(by_seq) - {e.seq for e in kept}
    # Every event not kept is named: in a lost range, or after the last seq seen.
    after = note.payload["maybe_lost_after"]
    assert lost <= missing and missing - lost == {s for s in missing if s > after}
    after = journal.append("item.done", {"item": "p02.next"})
    assert after.seq > max((e.seq for e in recovered), default=0)
    journal.close()


@pytest.mark.parametrize("seed", range(4))
def test_leftover_wal_cut_at_a_random_byte_reopens_to_a_committed_prefix(
    path: Path, tmp_path: Path, clock: ManualClock, seed: int
) -> None:
    journal = Journal.open(path, clock, "alice")
    original = [journal.append("item.done", {"item": f"p01.i{n}"}) for n in range(30)]
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    # Copy the files while the journal is still open: what a crash leaves behind.
    shutil.copy(path, crashed / path.name)
    wal = Path(f"{path}-wal")
    assert wal.exists()
    shutil.copy(wal, crashed / wal.name)
    journal.close()
    copy_wal = crashed / wal.name
    cut = random.Random(seed).randrange(0, copy_wal.stat().st_size)
    with copy_wal.open("r+b") as handle:
        handle.truncate(cut)
    reopened = Journal.open(crashed / path.name, clock, "alice")
    events = reopened.events()
    assert events == original[: len(events)]
    assert reopened.recovery is None
    reopened.close()


def test_intact_leftover_wal_keeps_every_event(
    path: Path, tmp_path: Path, clock: ManualClock
) -> None:
    journal = Journal.open(path, clock, "alice")
    original = [journal.append("item.done", {"item": f"p01.i{n}"}) for n in range(10)]
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    shutil.copy(path, crashed / path.name)
    shutil.copy(Path(f"{path}-wal"), crashed / f"{path.name}-wal")
    journal.close()
    reopened = Journal.open(crashed / path.name, clock, "alice")
    assert reopened.events() == original
    reopened.close()


def test_default_actor(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_actor({"WARROOM_ACTOR": "Aiko"}) == "Aiko"
    assert default_actor({"WARROOM_ACTOR": "evil\x1b]0;x\x07"}) == "evil␛]0;x␇"
    assert default_actor({}) != ""


async def test_record_runs_off_the_loop(path: Path, clock: ManualClock) -> None:
    journal = Journal.open(path, clock, "alice")
    event = await journal.record("deploy.started", {"version": "v1.2.4"})
    assert journal.events() == [event]
    journal.close()

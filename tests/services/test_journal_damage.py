"""Damaged, missing and unreadable journals on real files: a reader never writes, damage
is never an empty incident, and a rebuild says what it lost."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.waiting import WAIT
from warroom.services.clock import ManualClock
from warroom.services.journal.store import (
    EVENT_DAMAGED,
    JOURNAL_RECOVERED,
    SYSTEM_ACTOR,
    Event,
    Journal,
    JournalDamaged,
    JournalMissing,
    JournalUnreadable,
    JournalWriteError,
    journal_path,
    read_journal,
    recover_journal,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return journal_path(tmp_path / "state", "INC-7")


def fill(path: Path, clock: ManualClock, count: int = 206) -> list[Event]:
    """A closed journal of `count` events (its WAL checkpointed into the file)."""
    journal = Journal.open(path, clock, "aiko")
    events = []
    for n in range(count):
        clock.advance(1)
        events.append(journal.append("item.note", {"item": f"p01.i{n}", "text": f"note-{n:04d}"}))
    journal.close()
    return events


def snapshot(directory: Path) -> dict[str, str]:
    """Every file in `directory` with a hash of its bytes: what a reader must not change."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(directory.iterdir())
    }


def overwrite(path: Path, marker: bytes, replacement: bytes) -> None:
    """Overwrite the first `marker` inside the file, in place, with same-length bytes."""
    assert len(marker) == len(replacement)
    data = path.read_bytes()
    at = data.index(marker)
    with path.open("r+b") as handle:
        handle.seek(at)
        handle.write(replacement)


def smash_page(path: Path, page: int) -> None:
    """Overwrite the b-tree header of one page in the middle of the file."""
    page_size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as handle:
        handle.seek(page_size * (page - 1))
        handle.write(b"\xee" * 24)


# --- a reader never writes -----------------------------------------------------------


def test_reading_a_missing_journal_creates_nothing(path: Path, clock: ManualClock) -> None:
    path.parent.mkdir()
    with pytest.raises(JournalMissing, match=r"INC-7\.sqlite3: does not exist"):
        read_journal(path)
    viewer = Journal.open(path, clock, "projector", read_only=True)
    assert viewer.missing and viewer.events() == [] and viewer.damage is None
    viewer.close()
    assert list(path.parent.iterdir()) == []


async def test_a_viewer_waits_for_a_missing_journal_and_follows_it_once_created(
    path: Path, clock: ManualClock
) -> None:
    path.parent.mkdir()
    viewer = Journal.open(path, clock, "projector", read_only=True)
    stream = viewer.follow(poll=0.02)
    first = asyncio.ensure_future(anext(stream))
    driver = Journal.open(path, clock, "aiko")
    driver.append("incident.opened", {"started": "now"})
    batch = await asyncio.wait_for(first, timeout=WAIT)
    assert [(e.actor, e.kind) for e in batch] == [("aiko", "incident.opened")]
    driver.append("item.done", {"item": "p01.a"})
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [e.kind for e in batch] == ["item.done"]
    await stream.aclose()
    viewer.close()
    driver.close()


async def test_a_viewer_of_a_closed_journal_sees_a_driver_that_opens_it_later(
    path: Path, clock: ManualClock
) -> None:
    original = fill(path, clock, 5)
    viewer = Journal.open(path, clock, "projector", read_only=True)
    stream = viewer.follow(poll=0.02)
    assert await asyncio.wait_for(anext(stream), timeout=WAIT) == original
    driver = Journal.open(path, clock, "aiko")
    tick = driver.append("item.done", {"item": "p01.a"})
    assert await asyncio.wait_for(anext(stream), timeout=WAIT) == [tick]
    await stream.aclose()
    viewer.close()
    driver.close()


def test_reading_a_sound_journal_changes_no_byte_and_adds_no_file(
    path: Path, clock: ManualClock
) -> None:
    original = fill(path, clock, 20)
    before = snapshot(path.parent)
    assert read_journal(path) == original
    viewer = Journal.open(path, clock, "projector", read_only=True)
    assert viewer.events() == original
    viewer.close()
    assert snapshot(path.parent) == before


def test_a_damaged_file_is_left_as_it_is_by_readers(path: Path, clock: ManualClock) -> None:
    fill(path, clock, 206)
    smash_page(path, 6)
    before = snapshot(path.parent)
    with pytest.raises(JournalDamaged) as info:
        read_journal(path)
    message = str(info.value)
    assert str(path) in message and "integrity check" in message and "\n" not in message
    assert "warroom journal recover" in message
    viewer = Journal.open(path, clock, "projector", read_only=True)
    shown = viewer.events()
    assert viewer.damage is not None and "is damaged" in viewer.damage
    assert 0 < len(shown) < 206 and viewer.recovery is None
    viewer.close()
    assert snapshot(path.parent) == before  # no rebuild, no file moved aside


# --- damaged rows --------------------------------------------------------------------


def test_a_payload_that_is_not_json_is_one_damaged_event_and_the_rest_reads(
    path: Path, clock: ManualClock
) -> None:
    original = fill(path, clock, 206)
    overwrite(path, b'{"item": "p01.i17"', b'#"item": "p01.i17"')
    events = read_journal(path)
    assert len(events) == 206
    bad = [e for e in events if e.damaged]
    assert [(e.seq, e.kind, e.payload["kind"]) for e in bad] == [(18, EVENT_DAMAGED, "item.note")]
    assert bad[0].payload["problem"] == "payload is not JSON"
    assert bad[0].at == original[17].at  # its own time was readable
    assert [e for e in events if not e.damaged] == original[:17] + original[18:]
    driver = Journal.open(path, clock, "aiko")
    assert driver.recovery is None  # a sound file is not rebuilt for one bad row
    assert (
        driver.damage is not None and "event 18 is damaged (payload is not JSON)" in driver.damage
    )
    assert driver.append("item.done", {"item": "p01.x"}).seq == 207
    driver.close()


def test_bytes_that_are_not_utf8_and_a_bad_time_are_named_per_event(
    path: Path, clock: ManualClock
) -> None:
    fill(path, clock, 30)
    overwrite(path, b"note-0005", b"note-\xff\xfe05")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO events (at, actor, kind, payload) VALUES (?, ?, ?, ?)",
            ("yesterday-ish", "mallory", "item.done", '{"item": "p01.i1"}'),
        )
    conn.close()
    events = read_journal(path)
    problems = {e.seq: e.payload["problem"] for e in events if e.damaged}
    assert problems == {6: "payload is not UTF-8", 31: "time 'yesterday-ish' is not a time"}
    assert events[30].at == events[29].at  # a damaged time borrows the one before it


# --- unreadable places ---------------------------------------------------------------


def test_a_directory_in_the_files_place(path: Path, clock: ManualClock) -> None:
    path.mkdir(parents=True)
    with pytest.raises(JournalUnreadable, match="is a directory"):
        read_journal(path)
    driver = Journal.open(path, clock, "aiko")
    assert driver.damage is not None and "is a directory" in driver.damage
    with pytest.raises(JournalWriteError, match="is a directory") as info:
        driver.append("item.done", {"item": "p01.a"})
    assert not str(info.value).startswith("NOT SAVED")
    driver.close()


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(source, view): `view` is a read-only bind mount of `source` (root ignores chmod)."""
    source, view = tmp_path / "src", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(view)], check=False).returncode:
        pytest.skip("cannot bind-mount (needs root and mount(8))")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=False).returncode:
            pytest.skip("cannot remount read-only")
        yield source, view
    finally:
        subprocess.run(["umount", "--lazy", str(view)], check=False)


def test_a_read_only_directory_reads_every_event_and_refuses_writes_clearly(
    read_only_mount: tuple[Path, Path], clock: ManualClock
) -> None:
    source, view = read_only_mount
    original = fill(source / "INC-7.sqlite3", clock, 206)
    assert read_journal(view / "INC-7.sqlite3") == original
    driver = Journal.open(view / "INC-7.sqlite3", clock, "aiko")
    assert driver.events() == original
    with pytest.raises(JournalWriteError) as info:
        driver.append("item.done", {"item": "p01.a"})
    assert str(info.value).startswith("cannot write journal") and "\n" not in str(info.value)
    driver.close()
    # A damaged file there cannot be rebuilt: the driver says so and shows what it can.
    smash_page(source / "INC-7.sqlite3", 6)
    driver = Journal.open(view / "INC-7.sqlite3", clock, "aiko")
    assert driver.write_problem is not None and "cannot write journal" in driver.write_problem
    assert driver.damage is not None and "is damaged (integrity check" in driver.damage
    assert driver.recovery is None and 0 < len(driver.events()) < 206
    driver.close()
    with pytest.raises(JournalWriteError, match="cannot move damaged journal"):
        recover_journal(view / "INC-7.sqlite3", clock)
    assert sorted(p.name for p in source.iterdir()) == ["INC-7.sqlite3"]


def test_a_full_disk_refuses_writes_in_one_line_and_still_reads_everything(
    small_disk: Path, clock: ManualClock
) -> None:
    path = small_disk / "INC-7.sqlite3"
    original = fill(path, clock, 206)
    driver = Journal.open(path, clock, "aiko")
    filler = small_disk / "filler"
    with filler.open("wb") as handle, pytest.raises(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    with pytest.raises(JournalWriteError) as info:
        for n in range(200):
            driver.append("item.note", {"item": "p01.a", "text": "x" * 4000 + str(n)})
    message = str(info.value)
    assert message.startswith("journal INC-7.sqlite3: ") and "full" in message
    assert message.count("journal") == 1 and "\n" not in message
    driver.close()
    events = read_journal(path)
    assert events[:206] == original and all(not e.damaged for e in events)
    # Opened on the full disk: one line saying why nothing can be saved, all still shown.
    again = Journal.open(path, clock, "aiko")
    assert again.events() == events
    with pytest.raises(JournalWriteError) as info:
        again.append("item.done", {"item": "p01.a"})
    assert str(info.value).startswith(("cannot write journal", "journal INC-7.sqlite3: "))
    assert "\n" not in str(info.value)
    again.close()


# --- recovery ------------------------------------------------------------------------


def test_the_driver_rebuilds_a_damaged_journal_and_journals_what_was_lost(
    path: Path, clock: ManualClock
) -> None:
    original = fill(path, clock, 206)
    smash_page(path, 6)
    driver = Journal.open(path, clock, "aiko")
    assert driver.damage is not None and driver.damage == driver.recovery
    events = driver.events()
    *kept, note = events
    assert (note.kind, note.actor) == (JOURNAL_RECOVERED, SYSTEM_ACTOR)
    assert note.payload["recovered"] == len(kept) < 206
    lost = {s for a, b in note.payload["lost"] for s in range(a, b + 1)}
    assert lost and lost == {e.seq for e in original} - {e.seq for e in kept}
    assert kept == [e for e in original if e.seq not in lost]
    assert f"lost seq {lost and min(lost)}-" in driver.damage
    kept_as = path.parent / note.payload["kept_as"]
    assert kept_as.exists() and kept_as.name.startswith("INC-7.sqlite3.damaged-")
    assert driver.append("item.done", {"item": "p01.a"}).seq == note.seq + 1
    driver.close()
    assert read_journal(path)[-2] == note  # the rebuilt file reads as sound


def test_explicit_recovery_names_the_lost_event_and_leaves_a_sound_journal_alone(
    path: Path, clock: ManualClock
) -> None:
    fill(path, clock, 40)
    assert recover_journal(path, clock) is None
    overwrite(path, b'{"item": "p01.i9"', b'#"item": "p01.i9"')
    recovery = recover_journal(path, clock)
    assert recovery is not None
    assert (recovery.recovered, recovery.lost) == (39, [[10, 10]])
    assert "recovered 39 events, lost seq 10;" in recovery.message
    events = read_journal(path)
    assert [e.seq for e in events if e.kind == JOURNAL_RECOVERED] == [recovery.event.seq]
    assert recovery.kept_as.exists()
    with pytest.raises(JournalMissing):
        recover_journal(path.parent / "INC-404.sqlite3", clock)


async def test_a_viewer_follows_the_rebuilt_file(path: Path, clock: ManualClock) -> None:
    fill(path, clock, 206)
    overwrite(path, b'{"item": "p01.i3"', b'#"item": "p01.i3"')
    viewer = Journal.open(path, clock, "projector", read_only=True)
    stream = viewer.follow(poll=0.02)
    first = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert len(first) == 206 and first[3].damaged
    recovery = recover_journal(path, clock)
    assert recovery is not None
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [e.kind for e in batch] == [JOURNAL_RECOVERED]
    driver = Journal.open(path, clock, "aiko")
    driver.append("item.done", {"item": "p01.a"})
    batch = await asyncio.wait_for(anext(stream), timeout=WAIT)
    assert [(e.actor, e.kind) for e in batch] == [("aiko", "item.done")]
    await stream.aclose()
    viewer.close()
    driver.close()


# --- actors and once-only events -----------------------------------------------------


def test_automated_events_carry_the_system_actor(path: Path, clock: ManualClock) -> None:
    journal = Journal.open(path, clock, "aiko")
    tick = journal.append("item.done", {"item": "p01.a"})
    alert = journal.append("alert.raised", {"metric": "cpu"}, actor=SYSTEM_ACTOR)
    assert (tick.actor, alert.actor) == ("aiko", "warroom")
    assert [e.actor for e in journal.events()] == ["aiko", "warroom"]
    journal.close()


ONCE = """
import sys, time
from pathlib import Path
from warroom.services.clock import SystemClock
from warroom.services.journal.store import Journal
path, go = Path(sys.argv[1]), Path(sys.argv[2])
journal = Journal.open(path, SystemClock(), sys.argv[3])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
event = journal.append_once("incident.opened", {"by": sys.argv[3]})
print("appended" if event else "skipped", flush=True)
"""


def test_two_dashboards_started_together_journal_the_opening_once(
    path: Path, tmp_path: Path, clock: ManualClock
) -> None:
    Journal.open(path, clock, "setup").close()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ONCE, str(path), str(go), name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=True,
        )
        for name in ("aiko", "ben")
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        go.touch()
        answers = sorted(proc.communicate(timeout=30)[0].strip() for proc in procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
    assert answers == ["appended", "skipped"]
    assert [e.kind for e in read_journal(path)] == ["incident.opened"]

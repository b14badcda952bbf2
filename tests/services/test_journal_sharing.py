"""A journal shared between processes stays one journal: what one commits, every other
process reads, however the others open and close it, and a first read right after
opening never misses a commit made meanwhile."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from warroom.services.clock import SystemClock
from warroom.services.journal.readers import read_journal
from warroom.services.journal.store import Journal

ROOT = Path(__file__).resolve().parents[2]

PEEK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(",".join(row[0] for row in conn.execute("SELECT kind FROM events ORDER BY seq")))
conn.close()
"""


def kinds_seen_by_another_process(path: Path) -> list[str]:
    """The journal's kinds as a separate process reads them (opening and closing it)."""
    done = subprocess.run(
        [sys.executable, "-c", PEEK, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [kind for kind in done.stdout.strip().split(",") if kind]


def test_a_commit_reaches_other_processes_after_one_of_them_closed_the_journal(
    tmp_path: Path,
) -> None:
    # The projector or `warroom report` opening and closing the journal must not take
    # the driver's next ticks out of everyone else's sight.
    path = tmp_path / "INC-1.sqlite3"
    driver = Journal.open(path, SystemClock(), "alice")
    try:
        driver.append("incident.opened", {})
        assert kinds_seen_by_another_process(path) == ["incident.opened"]
        driver.append("item.done", {"item": "p01.a"})
        assert kinds_seen_by_another_process(path) == ["incident.opened", "item.done"]
        driver.append("item.done", {"item": "p01.b"})
        assert kinds_seen_by_another_process(path) == [
            "incident.opened",
            "item.done",
            "item.done",
        ]
    finally:
        driver.close()


def test_readers_in_the_drivers_process_leave_its_commits_in_sight(tmp_path: Path) -> None:
    path = tmp_path / "INC-1.sqlite3"
    driver = Journal.open(path, SystemClock(), "alice")
    try:
        driver.append("incident.opened", {})
        viewer = Journal.open(path, SystemClock(), "projector", read_only=True)
        assert [e.kind for e in viewer.events()] == ["incident.opened"]
        viewer.close()
        assert [e.kind for e in read_journal(path)] == ["incident.opened"]
        kinds_seen_by_another_process(path)
        driver.append("item.done", {"item": "p01.a"})
        assert kinds_seen_by_another_process(path) == ["incident.opened", "item.done"]
    finally:
        driver.close()


def test_the_first_read_after_opening_includes_a_commit_made_since(tmp_path: Path) -> None:
    path = tmp_path / "INC-1.sqlite3"
    driver = Journal.open(path, SystemClock(), "alice")
    try:
        driver.append("incident.opened", {})
        viewer = Journal.open(path, SystemClock(), "projector", read_only=True)
        try:
            # Committed by another connection between the viewer's opening and its read.
            other = sqlite3.connect(path, isolation_level=None)
            other.execute(
                "INSERT INTO events (at, actor, kind, payload) VALUES (?, ?, ?, ?)",
                ("2026-11-26T04:00:00.000000+00:00", "bob", "item.note", '{"item": "p01.a"}'),
            )
            other.close()
            assert [e.kind for e in viewer.events()] == ["incident.opened", "item.note"]
            assert [e.kind for e in viewer.events(after_seq=1)] == ["item.note"]
        finally:
            viewer.close()
    finally:
        driver.close()


def test_a_drivers_first_read_includes_its_own_appends_since_opening(tmp_path: Path) -> None:
    path = tmp_path / "INC-1.sqlite3"
    first = Journal.open(path, SystemClock(), "alice")
    first.append("incident.opened", {})
    first.close()
    driver = Journal.open(path, SystemClock(), "alice")
    try:
        driver.append("item.done", {"item": "p01.a"})
        assert [e.kind for e in driver.events()] == ["incident.opened", "item.done"]
    finally:
        driver.close()


def test_an_immutable_viewer_reads_a_driver_that_started_after_it(tmp_path: Path) -> None:
    # No driver when the viewer opened (read as immutable); a driver then appends.
    path = tmp_path / "INC-1.sqlite3"
    seed = Journal.open(path, SystemClock(), "alice")
    seed.append("incident.opened", {})
    seed.close()
    viewer = Journal.open(path, SystemClock(), "projector", read_only=True)
    try:
        driver = Journal.open(path, SystemClock(), "alice")
        try:
            driver.append("item.done", {"item": "p01.a"})
            assert [e.kind for e in viewer.events()] == ["incident.opened", "item.done"]
        finally:
            driver.close()
    finally:
        viewer.close()

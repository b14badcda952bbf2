"""The journal on a real PostgreSQL server: a throwaway cluster (initdb in a temp dir,
a free port, password authentication, run as a non-root user), stopped by its owner.

Skipped, with the reason shown, where PostgreSQL or psycopg is not installed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_cluster import PASSWORD, PgCluster
from warroom.services import events as kinds
from warroom.services.clock import ManualClock
from warroom.services.config import ConfigError, load_config
from warroom.services.journal.backend import open_journal
from warroom.services.journal.format import Event, JournalWriteError
from warroom.services.journal.store import Journal, journal_path

REASON = PgCluster.unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

if REASON is None:
    import psycopg

    from warroom.services.journal.postgres import PostgresJournal
    from warroom.services.journal.postgres_url import display_url


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    pg = PgCluster()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


_names = itertools.count()


@pytest.fixture
def url(cluster: PgCluster) -> str:
    """A fresh database of the shared cluster for one test."""
    return cluster.create_database(f"incident_{os.getpid()}_{next(_names)}")


def _open(url: str, actor: str = "alice", read_only: bool = False) -> PostgresJournal:
    return PostgresJournal.open(url, "INC-7", ManualClock(), actor, read_only=read_only)


def test_events_come_back_in_order_with_who_and_when(url: str) -> None:
    journal = _open(url)
    try:
        first = journal.append(kinds.ITEM_DONE, {"item": "p01.a"})
        second = journal.append(kinds.ITEM_NOTE, {"item": "p01.a", "text": "日本語 ok"}, "bob")
        assert [e.seq for e in journal.events()] == [first.seq, second.seq] == [1, 2]
        assert journal.events(after_seq=1) == [second]
        assert second.actor == "bob" and second.payload["text"] == "日本語 ok"
        assert journal.damage is None
    finally:
        journal.close()


def test_update_delete_and_truncate_are_refused_by_the_server(url: str) -> None:
    journal = _open(url)
    journal.append(kinds.ITEM_DONE, {"item": "p01.a"})
    journal.close()
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in (
            "UPDATE events SET actor = 'mallory'",
            "DELETE FROM events",
            "TRUNCATE events",
        ):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(statement)
        rows = conn.execute("SELECT seq, actor FROM events").fetchall()
    assert rows == [(1, "alice")]


def test_concurrent_appends_commit_in_seq_order_and_no_reader_skips_one(url: str) -> None:
    # Four writers append at once while a reader reads "everything after the last seq
    # I saw" as fast as it can: if a seq could commit after a later one, the reader
    # would skip it for good.
    writers = [_open(url, f"w{i}") for i in range(4)]
    writers[0].append_once(kinds.INCIDENT_OPENED, {})
    reader = _open(url, "reader", read_only=True)
    seen: list[Event] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            last = seen[-1].seq if seen else 0
            seen.extend(reader.events(last))
        seen.extend(reader.events(seen[-1].seq if seen else 0))

    def write(journal: PostgresJournal) -> None:
        for n in range(40):
            journal.append(kinds.ITEM_NOTE, {"item": "p01.a", "text": str(n)})

    thread = threading.Thread(target=read)
    thread.start()
    workers = [threading.Thread(target=write, args=(w,)) for w in writers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    thread.join()
    seqs = [e.seq for e in seen]
    assert seqs == list(range(1, 4 * 40 + 2))
    for journal in (*writers, reader):
        journal.close()


def test_an_event_kind_is_appended_once_by_racing_instances(url: str) -> None:
    journals = [_open(url, f"d{i}") for i in range(4)]
    results: list[Event | None] = []
    threads = [
        threading.Thread(target=lambda j=j: results.append(j.append_once(kinds.INCIDENT_OPENED)))
        for j in journals
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
    assert [e.kind for e in journals[0].events()] == [kinds.INCIDENT_OPENED]
    for journal in journals:
        journal.close()


async def test_a_follower_is_woken_by_another_instance_s_commit(url: str) -> None:
    writer, viewer = _open(url, "alice"), _open(url, "viewer", read_only=True)
    batches: list[list[Event]] = []

    async def follow() -> None:
        # A long poll: the event can only arrive in time through the notification.
        async for batch in viewer.follow(poll=30.0):
            batches.append(batch)

    task = asyncio.create_task(follow())
    try:
        for _ in range(400):  # the follower's first (empty) read, then its LISTEN
            if await _listening(url):
                break
            await asyncio.sleep(0.02)
        await asyncio.to_thread(writer.append, kinds.ITEM_DONE, {"item": "p01.a"})
        for _ in range(500):
            if batches:
                break
            await asyncio.sleep(0.02)
        assert [[e.seq for e in b] for b in batches] == [[1]]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        writer.close()
        viewer.close()


async def _listening(url: str) -> bool:
    """Whether a follower has its LISTEN in place (pg_stat_activity shows it)."""

    def look() -> bool:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'warroom follower' AND query LIKE 'LISTEN%%'"
            ).fetchone()
        return row is not None and int(row[0]) > 0

    return await asyncio.to_thread(look)


def test_a_viewer_started_before_the_driver_waits_for_the_journal(url: str) -> None:
    viewer = _open(url, "viewer", read_only=True)
    assert viewer.missing and viewer.events() == [] and viewer.damage is None
    with pytest.raises(JournalWriteError, match="read-only"):
        viewer.append(kinds.ITEM_DONE, {"item": "p01.a"})
    driver = _open(url, "alice")
    driver.append(kinds.ITEM_DONE, {"item": "p01.a"})
    assert [e.actor for e in viewer.events()] == ["alice"]
    assert not viewer.missing
    driver.close()
    viewer.close()


def test_another_incident_s_database_is_refused_not_mixed(url: str) -> None:
    _open(url).close()  # INC-7's journal
    other = PostgresJournal.open(url, "INC-8", ManualClock(), "bob")
    try:
        assert other.damage is not None and "'INC-7'" in other.damage
        with pytest.raises(JournalWriteError, match="INC-7"):
            other.append(kinds.ITEM_DONE, {"item": "p01.a"})
        assert other.events() == []
    finally:
        other.close()


def test_an_unreachable_server_is_named_without_the_password(cluster: PgCluster) -> None:
    url = f"postgresql://warroom:{PASSWORD}@127.0.0.1:1/none"
    journal = _open(url)
    try:
        assert journal.damage is not None
        assert "NOT SAVED" in journal.damage and "127.0.0.1:1" in journal.damage
        with pytest.raises(JournalWriteError) as caught:
            journal.append(kinds.ITEM_DONE, {"item": "p01.a"})
        assert PASSWORD not in str(caught.value) and PASSWORD not in journal.damage
        assert display_url(url) == "postgresql://warroom@127.0.0.1:1/none"
    finally:
        journal.close()


def test_a_wrong_password_is_one_line_without_it(cluster: PgCluster, url: str) -> None:
    wrong = url.replace(PASSWORD, "not-the-password")
    journal = _open(wrong)
    try:
        assert journal.damage is not None and "password" in journal.damage
        assert "not-the-password" not in journal.damage and "\n" not in journal.damage
    finally:
        journal.close()


def test_the_config_s_url_takes_the_password_from_the_environment(
    tmp_path: Path, cluster: PgCluster, url: str
) -> None:
    config = tmp_path / "warroom.toml"
    template = url.replace(PASSWORD, "${env:PGPASSWORD}")
    config.write_text(f'[incident]\nid = "INC-7"\n[journal]\nurl = "{template}"\n')
    loaded = load_config(config, env={"PGPASSWORD": PASSWORD})
    journal = open_journal(loaded, ManualClock(), "alice")
    try:
        event = journal.append(kinds.ITEM_NOTE, {"item": "p01.a", "text": f"pw {PASSWORD}"})
        assert isinstance(journal, PostgresJournal) and journal.damage is None
        assert event.seq == 1
    finally:
        journal.close()
    assert not (tmp_path / ".warroom").exists()  # no SQLite file beside the config


def test_a_journal_url_that_is_not_postgresql_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[journal]\nurl = "mysql://db/x"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "journal.url" in str(caught.value) and "PostgreSQL" in str(caught.value)


def test_appends_fail_while_the_server_is_down_and_resume_after(tmp_path: Path) -> None:
    pg = PgCluster()
    try:
        pg.start()
        url = pg.create_database("restart")
        journal = _open(url)
        journal.append(kinds.ITEM_DONE, {"item": "p01.a"})
        pg.stop(immediate=True)  # like a crash: the restart replays the WAL
        with pytest.raises(JournalWriteError, match="NOT SAVED"):
            journal.append(kinds.ITEM_DONE, {"item": "p01.b"})
        assert journal.damage is not None and "NOT SAVED" in journal.damage
        assert journal.events() == []  # nothing new, nothing invented
        pg.start()
        for _ in range(400):  # the reconnection pause is at most a few seconds
            try:
                journal.append(kinds.ITEM_DONE, {"item": "p01.c"})
                break
            except JournalWriteError:
                threading.Event().wait(0.05)
        items = [e.payload["item"] for e in journal.events()]
        assert items == ["p01.a", "p01.c"]  # the refused one was never kept to send later
        assert journal.damage is None
        journal.close()
    finally:
        pg.close()


def test_journal_copy_moves_a_running_incident_with_nothing_lost(
    tmp_path: Path, cluster: PgCluster, url: str
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nid = "INC-7"\nstate_dir = "state"\n')
    loaded = load_config(config)
    sqlite = Journal.open(journal_path(loaded.state_dir, "INC-7"), ManualClock(), "alice")
    sqlite.append_once(kinds.INCIDENT_OPENED, {})
    sqlite.append(kinds.ITEM_DONE, {"item": "p01.a"})
    sqlite.append(kinds.ITEM_NOTE, {"item": "p01.a", "text": "ok 日本"}, "bob")
    to = url.replace(f":{PASSWORD}", "")  # the password comes from PGPASSWORD
    env = {**os.environ, "PGPASSWORD": PASSWORD}

    def copy(target: str = to) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "warroom", "journal", "copy", "--to", target],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = copy()
    assert first.returncode == 0, first.stderr
    assert "copied 3 events (seq 1-3)" in first.stdout
    # The dashboards keep writing SQLite until they are moved; a second copy brings it.
    sqlite.append(kinds.ITEM_UNDONE, {"item": "p01.a"}, "carol")
    second = copy()
    assert second.returncode == 0 and "copied 1 events (seq 4-4)" in second.stdout
    assert "already holds all 4" in copy().stdout
    moved = _open(url, "reader", read_only=True)
    try:
        assert moved.events() == sqlite.events()
    finally:
        moved.close()
    # A server journal that is not this journal's prefix is refused, nothing copied.
    other = tmp_path / "other"
    other.mkdir()
    (other / "warroom.toml").write_text('[incident]\nid = "INC-7"\nstate_dir = "state"\n')
    stray = Journal.open(other / "state" / "INC-7.sqlite3", ManualClock(), "eve")
    stray.append(kinds.ITEM_DONE, {"item": "p09.z"})
    stray.close()
    refused = subprocess.run(
        [sys.executable, "-m", "warroom", "journal", "copy", "--to", to],
        cwd=other,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "nothing was copied" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1
    bad = copy(to.replace("warroom@", "warroom:wrong-pw@"))
    assert bad.returncode == 1 and "wrong-pw" not in bad.stderr + bad.stdout
    sqlite.close()


def test_report_and_check_read_the_server_journal(
    tmp_path: Path, cluster: PgCluster, url: str
) -> None:
    config = tmp_path / "warroom.toml"
    template = url.replace(PASSWORD, "${env:PGPASSWORD}")
    config.write_text(f'[incident]\nid = "INC-7"\n[journal]\nurl = "{template}"\n')
    env = {**os.environ, "PGPASSWORD": PASSWORD}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "warroom", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    missing = run("journal", "check")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    journal = _open(url, "alice")
    journal.append(kinds.ITEM_DONE, {"item": "p01.assess-severity"})
    journal.close()
    check = run("journal", "check")
    assert check.returncode == 0 and "sound, 1 events" in check.stdout
    report = run("report", "--format", "json")
    assert report.returncode == 0, report.stderr
    assert '"by": "alice"' in report.stdout
    for result in (missing, check, report):
        assert PASSWORD not in result.stdout + result.stderr

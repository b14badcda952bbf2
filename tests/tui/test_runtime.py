"""The runtime closes every journal it opened, even one that finished opening late."""

from __future__ import annotations

from pathlib import Path

from warroom.services.clock import SystemClock
from warroom.services.config import load_config
from warroom.tui.runtime import Runtime

CONFIG = """
[incident]
id = "INC-9"
title = "late open"
state_dir = "state"
"""


def _runtime(tmp_path: Path) -> Runtime:
    (tmp_path / "warroom.toml").write_text(CONFIG, encoding="utf-8")
    return Runtime(load_config(tmp_path / "warroom.toml"), SystemClock())


def _wal_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "state").glob("*-wal"))


def test_closing_the_runtime_closes_its_journal(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    journal = runtime.open_journal()
    journal.append("note", {"text": "kept"})
    assert _wal_files(tmp_path) == ["INC-9.sqlite3-wal"]  # open: its WAL is in use
    runtime.close()
    assert _wal_files(tmp_path) == []  # closed cleanly: checkpointed, WAL removed


def test_a_journal_that_opens_after_the_close_is_closed_as_it_opens(tmp_path: Path) -> None:
    # The app was told to stop while its journal was opening (in a thread): the open
    # finishes after the runtime closed, and must not leave an open journal behind.
    runtime = _runtime(tmp_path)
    runtime.open_journal().append("note", {"text": "first"})
    runtime.close()
    late = runtime.open_journal()
    assert _wal_files(tmp_path) == []
    assert runtime.journals == []
    del late

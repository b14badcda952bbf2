"""`warroom report` and `warroom journal` as users run them, on real damaged files.

Each test runs the real command in a subprocess and reads its exit status, stdout and
stderr: a damaged or unreadable journal is one line and a non-zero exit, never the
report of an empty incident, and a reader leaves every byte as it found it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.services.clock import ManualClock
from warroom.services.journal.store import Journal, journal_path

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[incident]
id = "INC-7"
title = "Login failures"
state_dir = "state"
"""


def warroom(*args: str, cwd: Path, user: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real `warroom` command (as `user` when given), its output captured."""
    command = [sys.executable, "-m", "warroom", *args]
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "WARROOM_ACTOR": "aiko"},
        check=False,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "warroom.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def journal_file(site: Path) -> Path:
    return journal_path(site / "state", "INC-7")


def fill(site: Path, count: int = 206) -> None:
    journal = Journal.open(journal_file(site), ManualClock(), "aiko")
    for n in range(count):
        journal.append("item.note", {"item": "p01.assess-severity", "text": f"note-{n:04d}"})
    journal.close()


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(directory.iterdir())
    }


def smash_page(path: Path, page: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(4096 * (page - 1))
        handle.write(b"\xee" * 24)


def overwrite(path: Path, marker: bytes, replacement: bytes) -> None:
    data = path.read_bytes()
    at = data.index(marker)
    with path.open("r+b") as handle:
        handle.seek(at)
        handle.write(replacement)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warroom: ")
    return lines[0]


def test_report_of_a_damaged_journal_is_an_error_and_touches_nothing(site: Path) -> None:
    fill(site)
    smash_page(journal_file(site), 6)
    before = snapshot(site / "state")
    result = warroom("report", "--format", "json", cwd=site)
    assert result.returncode == 1 and result.stdout == ""
    line = one_line_error(result)
    assert str(journal_file(site)) in line and "damaged (integrity check" in line
    assert "warroom journal recover" in line
    assert snapshot(site / "state") == before  # not moved aside, not rebuilt


def test_report_with_a_directory_in_the_journals_place(site: Path) -> None:
    journal_file(site).mkdir(parents=True)
    result = warroom("report", cwd=site)
    assert result.returncode == 1 and result.stdout == ""
    assert "is a directory" in one_line_error(result)


def test_report_names_a_damaged_event_and_shows_the_rest(site: Path) -> None:
    fill(site)
    overwrite(journal_file(site), b"note-0100", b"note-\xff100")
    result = warroom("report", "--format", "json", cwd=site)
    assert result.returncode == 0
    line = one_line_error(result)
    assert "event 101 is damaged (payload is not UTF-8)" in line and "shows the rest" in line
    report = json.loads(result.stdout)
    assert report["damaged"] == [
        {"seq": 101, "kind": "item.note", "problem": "payload is not UTF-8"}
    ]
    assert len(report["timeline"]) == 206
    notes = report["phases"][0]["items"][0]["notes"]
    assert len(notes) == 205 and notes[-1]["text"] == "note-0205"


def test_report_of_an_incident_never_opened_says_so_and_creates_nothing(site: Path) -> None:
    result = warroom("report", cwd=site)
    assert result.returncode == 0
    assert "does not exist (the incident was never opened)" in one_line_error(result)
    assert "- [ ] " in result.stdout and "No events recorded." in result.stdout
    assert not (site / "state").exists()


def test_journal_check_and_recover(site: Path) -> None:
    fill(site)
    result = warroom("journal", "check", cwd=site)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"warroom: journal {journal_file(site)}: sound, 206 events\n"
    smash_page(journal_file(site), 6)
    result = warroom("journal", "check", cwd=site)
    assert result.returncode == 1 and "damaged" in one_line_error(result)

    result = warroom("journal", "recover", "--config", str(site / "warroom.toml"), cwd=ROOT)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("warroom: journal INC-7.sqlite3 was damaged (integrity check")
    assert "lost seq " in result.stdout and "the damaged file is kept as" in result.stdout
    kept = [p.name for p in (site / "state").iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0] in result.stdout

    result = warroom("report", "--format", "json", cwd=site)
    assert (result.returncode, result.stderr) == (0, "")
    timeline = json.loads(result.stdout)["timeline"]
    assert timeline[-1]["kind"] == "journal.recovered" and timeline[-1]["actor"] == "warroom"
    assert "events recovered, lost seq" in timeline[-1]["summary"]

    result = warroom("journal", "recover", cwd=site)
    assert result.returncode == 0 and "sound, nothing to recover" in result.stdout


@pytest.fixture
def shared_site() -> Iterator[Path]:
    """A site another user can enter (pytest's tmp dirs are private to root)."""
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser(1) to read as the user nobody")
    probe = subprocess.run(
        ["runuser", "-u", "nobody", "--", sys.executable, "-c", "import textual"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode:
        pytest.skip(f"the user nobody cannot run this Python: {probe.stderr.strip()[:120]}")
    directory = Path(tempfile.mkdtemp(prefix="warroom-shared-"))
    directory.chmod(0o755)
    try:
        (directory / "warroom.toml").write_text(CONFIG, encoding="utf-8")
        (directory / "warroom.toml").chmod(0o644)
        yield directory
    finally:
        shutil.rmtree(directory)


def test_report_of_a_journal_the_user_may_not_read(shared_site: Path) -> None:
    fill(shared_site)
    (shared_site / "state").chmod(0o755)
    journal_file(shared_site).chmod(0o600)
    result = warroom("report", cwd=shared_site, user="nobody")
    assert result.returncode == 1 and result.stdout == ""
    assert "Permission denied" in one_line_error(result)
    # Readable but in a directory the user cannot write: every event, nothing created.
    journal_file(shared_site).chmod(0o644)
    before = snapshot(shared_site / "state")
    result = warroom("report", "--format", "json", cwd=shared_site, user="nobody")
    assert (result.returncode, result.stderr) == (0, "")
    assert len(json.loads(result.stdout)["timeline"]) == 206
    assert snapshot(shared_site / "state") == before

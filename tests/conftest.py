"""Fixtures shared by every test level."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_cluster import PgCluster
from warroom.services.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A clock frozen at 2026-01-01T00:00:00Z that moves only when told."""
    return ManualClock()


@pytest.fixture(autouse=True)
def _private_user_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the real user's preferences."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs, so "disk full" is the kernel's ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL server for one test (tests using it skip without one)."""
    pg = PgCluster()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()

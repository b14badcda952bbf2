"""Fixtures shared by every test level."""

from __future__ import annotations

import pytest

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

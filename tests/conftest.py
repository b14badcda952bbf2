"""Fixtures shared by every test level."""

from __future__ import annotations

import pytest

from services.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A clock frozen at 2026-01-01T00:00:00Z that moves only when told."""
    return ManualClock()

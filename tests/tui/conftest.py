"""Fixtures for the dashboard tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.services.demo.target import DemoTarget


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoTarget]:
    """The simulated production service, writing its log a line every ~0.2 s."""
    with DemoTarget(tmp_path / "demo", log_interval=0.2) as target:
        yield target

"""Fixtures shared by the session tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.test_session_verdict import Production


@pytest.fixture
def production() -> Iterator[Production]:
    """A loopback production service the test switches between healthy and failing."""
    server = Production()
    try:
        yield server
    finally:
        server.close()

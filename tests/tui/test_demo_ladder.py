"""The demo's Escalation pane names the people to call and how to reach them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.tui.app import build_app


@pytest.fixture
def late_demo(tmp_path: Path) -> Iterator[DemoTarget]:
    """The demo 16 minutes into its incident: the senior engineer is due already."""
    with DemoTarget(tmp_path / "demo", incident_age=16 * 60, script_pace=0.0) as target:
        yield target


def _screen_text(svg: str) -> str:
    """The characters of a screenshot, tags dropped (spans split text at styles only)."""
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


async def test_the_demo_ladder_says_whom_to_call_now_and_next(late_demo: DemoTarget) -> None:
    app = build_app(load_config(late_demo.config_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = fixtures.dashboard(app)
        await fixtures.until(pilot, lambda: screen.escalation is not None)
        await fixtures.until(pilot, lambda: "Marcus Webb" in _screen_text(app.export_screenshot()))
        shown = _screen_text(app.export_screenshot())
    assert "Call Senior engineer (Aiko Tanaka)" in shown
    assert "@aiko" in shown
    assert "Next: Engineering manager · Marcus Webb @marcus · in" in shown

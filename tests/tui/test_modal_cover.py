"""Dialogs over live graphs: what a dialog shows is its own, never a graph's bars.

Seen in use: the help list showed `R  Resolve  ▃▃` while the graphs ticked beneath it.
The cells were the help list's own scrollbar (its thumb ended in an eighth-block
glyph); these tests read the composed screen, cell by cell, while the graphs under the
dialog take new samples.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.widget import Widget

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.tui.app import build_app
from warroom.widgets.internals import painted_lines
from warroom.widgets.metric_graph import MetricGraph

GRAPH_GLYPHS = frozenset("▁▂▃▄▅▆▇█")
"""The glyphs a metric graph draws its bars with."""


def _on_border(widget: Widget, region: Region, x: int, y: int) -> bool:
    """Whether (x, y) is on `widget`'s border (tall and thick borders are drawn in blocks)."""
    return not region.shrink(widget.styles.border.spacing).contains(x, y)


def stray_glyphs(modal: Screen[object]) -> list[str]:
    """Graph glyphs inside the dialog's box that its borders do not account for."""
    boxes = [child.region for child in modal.children if child.display]
    stray: list[str] = []
    for y, strip in enumerate(painted_lines(modal)):
        x = 0
        for segment in strip:
            for char in segment.text:
                if char in GRAPH_GLYPHS and any(box.contains(x, y) for box in boxes):
                    widget, region = modal.get_widget_at(x, y)
                    if not _on_border(widget, region, x, y):
                        stray.append(f"{char!r} at ({x}, {y}) in {type(widget).__name__}")
                x += cell_len(char)
    return stray


def _new_samples(graphs: list[MetricGraph]) -> Callable[[], bool]:
    """A condition: some graph was given a new series since now."""
    shown = [graph.series for graph in graphs]
    return lambda: any(g.series is not s for g, s in zip(graphs, shown, strict=True))


async def test_help_timeline_and_palette_show_no_graph_bars(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(80, 24)) as pilot:
        dashboard = fixtures.dashboard(app)
        graphs = list(dashboard.query(MetricGraph))
        assert graphs

        def drawn() -> bool:
            # The rows in view are drawn; those scrolled out of the short Metrics pane
            # take their series when they scroll in.
            return any(g.series is not None and len(g.series.points) > 1 for g in graphs)

        await fixtures.until(pilot, drawn, timeout=20)
        for key in ("question_mark", "t", "ctrl+p"):
            await pilot.press(key)
            await fixtures.until(pilot, lambda: app.screen is not dashboard)
            modal = app.screen
            # The graphs beneath take new samples, and repaint, while the dialog is up.
            await fixtures.until(pilot, _new_samples(graphs))
            await pilot.pause()
            assert app.screen is modal
            assert stray_glyphs(modal) == [], f"after {key}"
            await pilot.press("escape")
            await fixtures.until(pilot, lambda: app.screen is dashboard)
    # The whole-cell thumbs were the dashboard's: other apps draw Textual's own again.
    assert ScrollBar.renderer is ScrollBarRender


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=False, timeout=10
    ).stdout


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _moved_on(session: str, clock: str) -> Callable[[], bool]:
    """A condition: the incident clock no longer shows `clock`."""
    return lambda: clock not in _tmux("capture-pane", "-p", "-t", session)


def help_box(screen: str) -> list[str]:
    """The inside of the help's box (between its round corners) in a captured screen."""
    rows = screen.splitlines()
    top = next((y for y, row in enumerate(rows) if "╭─ Keys" in row), None)
    if top is None:
        return []
    left = rows[top].index("╭")
    right = rows[top].index("╮", left)
    inside: list[str] = []
    for row in rows[top + 1 :]:
        if row[left : left + 1] == "╰":
            break
        inside.append(row[left + 1 : right])
    return inside


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_help_over_the_live_demo_in_a_real_terminal(tmp_path: Path) -> None:
    # The terminal gets only the cells that changed, frame after frame: a cell the
    # graphs beneath repaint must not reach the screen through the dialog.
    session = f"warroom-cover-{uuid.uuid4().hex[:8]}"
    warroom = Path(sys.executable).with_name("warroom")
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_ACTOR": "cover"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", f"{warroom} demo"],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=10,
    )
    try:
        screen = ""

        def showing(text: str) -> Callable[[], bool]:
            def check() -> bool:
                nonlocal screen
                screen = _tmux("capture-pane", "-p", "-t", session)
                return text in screen

            return check

        assert _wait(showing("Metrics"), 30), screen
        assert _wait(
            lambda: bool(GRAPH_GLYPHS & set(_tmux("capture-pane", "-p", "-t", session))), 30
        )
        _tmux("send-keys", "-t", session, "?")
        assert _wait(showing("╭─ Keys"), 10), screen
        clock = re.search(r"T\+\S+", screen)
        assert clock is not None, screen
        # Two ticks of the incident clock: the panes beneath took new samples meanwhile.
        for _ in range(2):
            assert _wait(_moved_on(session, clock.group(0)), 10)
            screen = _tmux("capture-pane", "-p", "-t", session)
            clock = re.search(r"T\+\S+", screen)
            assert clock is not None, screen
        inside = help_box(screen)
        assert len(inside) > 10, screen
        assert not GRAPH_GLYPHS & set("".join(inside)), "\n".join(inside)
    finally:
        _tmux("kill-session", "-t", session)

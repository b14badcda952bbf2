"""Width where the text is: the Error log's column, panes with nothing configured, toasts."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Static

from tests.tui import fixtures
from warroom.services.clock import ManualClock
from warroom.services.config import load_config
from warroom.services.logs.lines import LogLine
from warroom.services.sanitize import clean
from warroom.tui.app import build_app
from warroom.widgets.log_view import LogView
from warroom.widgets.metric_graph import MetricGraph
from warroom.widgets.metric_panel import MetricPanel
from warroom.widgets.pinned_error import PinnedError


async def test_at_160_columns_and_wider_the_error_log_has_the_widest_column(
    tmp_path: Path,
) -> None:
    app, before = fixtures.frozen_app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        widths = {pane.id: pane.region.width for pane in screen.query(".pane") if pane.region.area}
        assert widths["log-pane"] > max(w for pid, w in widths.items() if pid != "log-pane")
        # The last line reads in full at the projector size, and so does the pinned error.
        view = screen.query_one(LogView)
        shown = " ".join(view.render_line(y).text for y in range(view.size.height))
        assert "reason=invalid_token" in shown
        pinned = str(screen.query_one(PinnedError).render())
        assert pinned.startswith("last error 5s ago: ERROR auth-api: login failed user=bob")
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert screen.query_one("#log-pane").region.width >= 100


async def test_a_pane_with_nothing_configured_is_one_line_that_says_what_to_add(
    tmp_path: Path,
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('[incident]\nid = "INC-E"\nstate_dir = "state"\n')
    app = build_app(load_config(config), clock=ManualClock(), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = fixtures.dashboard(app)
        for pane_id, section in [
            ("health-pane", "[[endpoint]]"),
            ("metrics-pane", "[[metric]]"),
            ("log-pane", "[[log]]"),
        ]:
            pane = screen.query_one(f"#{pane_id}")
            assert pane.region.height == 1, pane_id
            hint = pane.query_one(".pane-hint", Static)
            assert section in str(hint.render()) and "none configured" in str(hint.render())
        # Their space went to the runbook and escalation column's neighbours: nothing
        # below the three lines is blank pane.
        col_b = screen.query_one("#col-b")
        used = sum(p.region.height for p in col_b.query(".pane"))
        assert used == 3


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_toast_confirming_an_action_never_covers_the_error_log(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app, before = fixtures.frozen_app(tmp_path)
    async with app.run_test(size=size, notifications=True) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        screen.notify("Acknowledged by alice.\nA second line.", timeout=30)
        await fixtures.until(pilot, lambda: any(t.region.area for t in screen.query("Toast")))
        log = screen.query_one("#log-pane").region
        for toast in screen.query("Toast"):
            assert not toast.region.overlaps(log)


LONG_AUTH_ERROR = (
    "auth-api: auth: login failed for user=mallory@example.com "
    "reason=signature_mismatch request_id=02c98c0efa4d"
)


def painted(widget: Widget) -> list[str]:
    """The rows a widget paints where it stands, as a reader sees them."""
    return [
        "".join(segment.text for segment in strip).rstrip()
        for strip in widget.render_lines(widget.region.reset_offset)
    ]


# 80x22: the rows the demo's release bar takes from the panes at 80x24.
@pytest.mark.parametrize("size", [(80, 24), (80, 22)])
async def test_at_80_columns_the_pinned_error_reads_in_full_and_the_error_rate_has_its_trend(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app, before = fixtures.frozen_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        line = LogLine(
            "error.log", clean(f"2026-11-26T04:19:58Z ERROR {LONG_AUTH_ERROR}"), "error", 9
        )
        screen.query_one(LogView).append([line])
        pinned = screen.query_one(PinnedError)
        await fixtures.until(pilot, lambda: pinned.line == line)
        await pilot.pause()
        # Every word of the newest error, wrapped in the log's narrow column.
        shown = " ".join(" ".join(painted(pinned)).split())
        assert shown == f"last error 2s ago: ERROR {LONG_AUTH_ERROR}"
        # The log keeps rows of its own below it.
        assert screen.query_one(LogView).region.height >= 2
        # The Metrics pane is too short for graphs: a row per metric, the error rate's
        # figure with its state, trend arrow and signed change among them.
        panel = screen.query_one(MetricPanel)
        rows = [
            row
            for graph in panel.query(MetricGraph)
            if panel.region.y <= graph.region.y < panel.region.bottom
            for row in painted(graph)
        ]
        assert len(rows) >= 2
        assert any(row.startswith("Error rate 12.4 % ✖ CRIT ↑ +6.75") for row in rows), rows

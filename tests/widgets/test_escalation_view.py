"""The Escalation pane in a small harness app: before and after a threshold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Container
from textual.widgets import Digits

from warroom.services.config import EscalationConfig, EscalationLevel
from warroom.services.escalation import ladder as esc
from warroom.widgets.escalation_view import EscalationView
from warroom.widgets.text_line import TextLine

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Ev:
    seq: int
    at: datetime
    actor: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


def state_at(
    seconds: float, events: list[Ev] | None = None, config: EscalationConfig | None = None
) -> esc.EscalationState:
    return esc.compute_state(
        config or EscalationConfig(), T0, T0 + timedelta(seconds=seconds), events or []
    )


class Harness(App[None]):
    """The pane in a box the size of its place on the dashboard."""

    CSS = "#pane { width: 38; height: 10; }"

    def __init__(self, height: int = 10, state: esc.EscalationState | None = None) -> None:
        super().__init__()
        self.pane_height = height
        self.initial = state

    def compose(self) -> ComposeResult:
        with Container(id="pane"):
            yield EscalationView()

    def on_mount(self) -> None:
        self.query_one("#pane").styles.height = self.pane_height
        self.query_one(EscalationView).state = self.initial


def screen_text(app: App[None]) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def line(app: App[None], name: str) -> str:
    return app.query_one(f"#{name}", TextLine).content


async def test_before_the_clock_starts() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.query_one(Digits).value == "-:--"
        assert "Clock not started" in screen_text(app)


async def test_before_the_first_threshold() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(5 * 60 + 3)
        await pilot.pause()
        # The big digits count down to the next level; the header shows the elapsed time.
        assert app.query_one(Digits).value == "9:57"
        text = screen_text(app)
        assert "No escalation yet" in text
        assert line(app, "next") == "Next: Senior engineer · +1-555-0124 · in 9:57"
        assert "Status update in 24:57" in text
        assert not view.has_class("-approaching")
        assert not view.has_class("-crossed")


async def test_approaching_in_the_last_two_minutes() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(13 * 60 - 1)
        await pilot.pause()
        assert not view.has_class("-approaching")
        view.state = state_at(13 * 60 + 30)
        await pilot.pause()
        assert view.has_class("-approaching")
        assert line(app, "next").endswith("· in 1:30")
        assert app.query_one(Digits).value == "1:30"
        next_line = app.query_one("#next", TextLine)
        assert next_line.styles.color != app.query_one("#status", TextLine).styles.color


async def test_after_the_threshold_shows_whom_to_call_until_acked() -> None:
    levels = [
        EscalationLevel(after=900, role="Senior engineer", name="Ann", contact="+1-555-0124"),
        EscalationLevel(after=1800, role="Engineering manager", contact="+1-555-0125"),
    ]
    config = EscalationConfig(levels=levels)
    crossed = [Ev(1, T0 + timedelta(minutes=15), "sys", esc.ESCALATION_CROSSED, {"level": 0})]
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(16 * 60 + 18, crossed, config)
        await pilot.pause()
        text = screen_text(app)
        assert "Call Senior engineer (Ann)  UNACKED" in text
        assert "+1-555-0124" in text
        assert line(app, "next") == "Next: Engineering manager · +1-555-0125 · in 13:42"
        assert app.query_one(Digits).value == "13:42"
        assert view.has_class("-crossed") and view.has_class("-unacked")
        acked = [
            *crossed,
            Ev(2, T0 + timedelta(minutes=16), "bob", esc.ESCALATION_ACK, {"level": 0}),
        ]
        view.state = state_at(16 * 60 + 20, acked, config)
        await pilot.pause()
        assert not view.has_class("-unacked") and view.has_class("-crossed")
        assert "Call Senior engineer (Ann)  acked" in screen_text(app)


async def test_markup_in_config_text_is_shown_literally() -> None:
    levels = [EscalationLevel(after=60, role="[bold]Boss[/]", name="x[/]", contact="[link='x']c")]
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(EscalationView).state = state_at(120, [], EscalationConfig(levels=levels))
        await pilot.pause()
        assert "Call [bold]Boss[/] (x[/])" in line(app, "reached")
        assert "[link='x']c" in line(app, "contact")


async def test_status_overdue_watch_and_resolved() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        deploy = [Ev(1, T0 + timedelta(minutes=20), "a", esc.DEPLOY_MARKED)]
        view.state = state_at(32 * 60, deploy)
        await pilot.pause()
        text = screen_text(app)
        assert "Status update OVERDUE 2:00" in text
        assert "Watch 1:48:00 left · check 18:00" in text
        assert view.has_class("-overdue") and view.has_class("-watching")
        resolved = [*deploy, Ev(2, T0 + timedelta(minutes=40), "a", esc.INCIDENT_RESOLVED)]
        view.state = state_at(3 * 3600, resolved)
        await pilot.pause()
        assert view.has_class("-resolved") and not view.has_class("-watching")
        assert app.query_one(Digits).value == "-:--"  # nobody comes next
        assert "RESOLVED" in screen_text(app)


async def test_everything_fits_38_by_10() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        deploy = [Ev(1, T0 + timedelta(minutes=20), "a", esc.DEPLOY_MARKED)]
        view.state = state_at(59 * 60, deploy)
        await pilot.pause()
        assert view.size.height <= 10
        shown = [w for w in view.children if w.display]
        assert max(w.region.bottom for w in shown) <= view.region.bottom
        assert not view.has_class("-short")
        assert app.query_one(Digits).region.height == 3


async def test_short_pane_shows_the_clock_as_text() -> None:
    app = Harness(height=6)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(5 * 60 + 3)
        await pilot.pause()
        assert view.has_class("-short")
        assert not app.query_one(Digits).display
        assert "9:57" in screen_text(app)
        view.state = state_at(3723)
        await pilot.pause()
        text = screen_text(app)
        assert "-:--" in text and "1:02:03" not in text
        assert "Top of the ladder" in text


async def test_next_level_names_role_person_and_contact() -> None:
    levels = [
        EscalationLevel(after=900, role="Senior engineer", name="Aiko Tanaka", contact="@aiko"),
        EscalationLevel(after=1800, role="Engineering manager"),
    ]
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(11 * 60 + 22, [], EscalationConfig(levels=levels))
        await pilot.pause()
        assert app.query_one(Digits).value == "3:38"
        assert line(app, "next") == "Next: Senior engineer · Aiko Tanaka @aiko · in 3:38"


SnapCompare = Any  # pytest-textual-snapshot's fixture is untyped


def test_snapshot_before_the_threshold(snap_compare: SnapCompare) -> None:
    assert snap_compare(Harness(state=state_at(13 * 60 + 30)), terminal_size=(80, 24))


def test_snapshot_after_the_threshold_unacked(snap_compare: SnapCompare) -> None:
    crossed = [Ev(1, T0 + timedelta(minutes=15), "sys", esc.ESCALATION_CROSSED, {"level": 0})]
    app = Harness(state=state_at(16 * 60 + 18, crossed))
    assert snap_compare(app, terminal_size=(80, 24))


async def test_the_big_digits_are_labelled_as_the_time_to_the_next_escalation() -> None:
    app = Harness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(5 * 60 + 3)
        await pilot.pause()
        digits = app.query_one(Digits)
        assert digits.display and digits.value == "9:57"
        rows = screen_text(app).splitlines()
        top = digits.region.y
        # The label is the row right above the digits, starting where they start.
        label_row = rows[top - 1]
        assert label_row[digits.region.x :].startswith("Next escalation in")
        assert rows[top + 1][digits.region.x : digits.region.right].strip()  # the digits
        # The next level's line is still whole under them.
        assert "Next: Senior engineer · +1-555-0124 · in 9:57" in " ".join(r.strip() for r in rows)


async def test_a_short_pane_says_the_label_and_the_countdown_on_one_row() -> None:
    app = Harness(height=6)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(EscalationView)
        view.state = state_at(5 * 60 + 3)
        await pilot.pause()
        assert view.has_class("-short")
        assert "Next escalation in 9:57" in screen_text(app)
        assert line(app, "next") == "Next: Senior engineer · +1-555-0124 · in 9:57"
        assert app.query_one("#next").region.bottom <= view.region.bottom
        view.state = state_at(60)  # a countdown wider than the "-:--" it started from
        await pilot.pause()
        assert "Next escalation in 14:00" in screen_text(app)
        view.state = state_at(3723)  # top of the ladder: nothing to count to
        await pilot.pause()
        assert "Next escalation in" not in screen_text(app)


class JapaneseHarness(Harness):
    def compose(self) -> ComposeResult:
        with Container(id="pane"):
            yield EscalationView(lang="ja")


async def test_the_label_is_said_in_the_runbook_language() -> None:
    app = JapaneseHarness(height=6)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(EscalationView).state = state_at(5 * 60 + 3)
        await pilot.pause()
        assert "次のエスカレーションまで 9:57" in screen_text(app)

"""The alert line and the alert list, in a tiny harness app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.widgets import OptionList

from warroom.services.session.alert_log import RaisedAlert
from warroom.widgets.alert_line import AlertLine, AlertListScreen

NOW = datetime(2026, 11, 26, 4, 20, tzinfo=UTC)
ALERTS = (
    RaisedAlert(NOW - timedelta(seconds=8), "auth", "auth is DOWN (status)", active=True),
    RaisedAlert(NOW - timedelta(minutes=3), "Error rate", "Error rate at 12%, above crit 5%"),
    RaisedAlert(NOW - timedelta(days=1), "api", "api is DOWN ([bold]x[/])", active=True),
)


class LineHarness(App[None]):
    def compose(self) -> ComposeResult:
        yield AlertLine()


async def test_the_line_says_the_newest_alert_how_many_hold_and_when() -> None:
    app = LineHarness()
    async with app.run_test(size=(80, 3)) as pilot:
        line = app.query_one(AlertLine)
        assert str(line.render()).strip() == "No alerts"
        assert not line.has_class("-active")
        line.now = NOW
        line.alerts = ALERTS
        await pilot.pause()
        text = str(line.render())
        assert text.startswith(" ⚠ 2 active · 04:19:52 auth is DOWN (status)")
        assert text.rstrip().endswith("A alerts (3)")  # the key, what it lists, how many
        assert len(text) == 80
        assert line.has_class("-active")


class JapaneseLineHarness(App[None]):
    def compose(self) -> ComposeResult:
        yield AlertLine(lang="ja")


async def test_the_key_hint_says_what_a_opens_in_japanese_too() -> None:
    app = JapaneseLineHarness()
    async with app.run_test(size=(80, 3)) as pilot:
        line = app.query_one(AlertLine)
        line.now = NOW
        line.alerts = ALERTS
        await pilot.pause()
        assert str(line.render()).rstrip().endswith("A アラート (3 件)")


async def test_a_cleared_alert_leaves_the_line_calm_but_named() -> None:
    app = LineHarness()
    async with app.run_test(size=(66, 3)) as pilot:
        line = app.query_one(AlertLine)
        line.alerts = (ALERTS[1],)
        line.now = NOW
        await pilot.pause()
        assert "none active · 04:17:00 (cleared) Error rate" in str(line.render())
        assert not line.has_class("-active")


async def test_a_newer_cleared_alert_never_hides_one_that_still_holds() -> None:
    # login smoke recovered after its alert; api health is still DOWN: the line names
    # api health, so it never contradicts the Health table.
    recovered = RaisedAlert(NOW - timedelta(seconds=2), "login", "login smoke DOWN · 500")
    holding = RaisedAlert(NOW - timedelta(seconds=30), "api", "api health DOWN · 503", active=True)
    app = LineHarness()
    async with app.run_test(size=(80, 3)) as pilot:
        line = app.query_one(AlertLine)
        line.now = NOW
        line.alerts = (recovered, holding)
        await pilot.pause()
        text = str(line.render())
        assert text.startswith(" ⚠ 1 active · 04:19:30 api health DOWN · 503")
        assert "login smoke" not in text


async def test_the_list_shows_every_alert_newest_first_as_plain_text() -> None:
    app = LineHarness()
    async with app.run_test(size=(90, 20)) as pilot:
        await app.push_screen(AlertListScreen(ALERTS, NOW))
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert rows[0] == "ACTIVE 04:19:52  auth is DOWN (status)"
        assert rows[1].strip() == "04:17:00  Error rate at 12%, above crit 5%"
        # Another day's alert shows its date; its text is never read as markup.
        assert rows[2] == "ACTIVE 11-25 04:20:00  api is DOWN ([bold]x[/])"
        await pilot.press("escape")
        assert not isinstance(app.screen, AlertListScreen)

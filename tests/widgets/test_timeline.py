"""The timeline screen and the text prompt, in a harness app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App
from textual.widgets import OptionList

from warroom.services.journal.store import Event
from warroom.services.runbook.model import builtin_runbook
from warroom.widgets.prompt import PromptScreen
from warroom.widgets.timeline import TimelineScreen, timeline_rows

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVENTS = [
    Event(1, T0, "aiko", "item.done", {"item": "p01.assess-severity"}),
    Event(2, T0 + timedelta(minutes=1), "ben", "escalation.ack", {"level": 1}),
    Event(3, T0 + timedelta(minutes=2), "[b]eve[/]", "item.note", {"item": "x", "text": "[/]"}),
]


def test_rows_are_newest_first() -> None:
    rows = timeline_rows(EVENTS, builtin_runbook("en"))
    assert [r.seq for r in rows] == [3, 2, 1]
    assert rows[2].summary == "done: Assess the severity and impact of the problem"
    assert rows[1].summary == "escalation.ack: level=1" and rows[1].actor == "ben"
    assert rows[0].time == "01-01 00:02:00"


async def test_timeline_screen_lists_and_closes() -> None:
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(TimelineScreen(EVENTS, builtin_runbook("en")))
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        assert options.option_count == 3
        first = str(options.get_option_at_index(0).prompt)
        assert "[b]eve[/]: note on x: [/]" in first  # markup-looking text stays text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TimelineScreen)


async def test_prompt_returns_text_or_none() -> None:
    app: App[None] = App()
    answers: list[str | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(PromptScreen("Why is it not applicable?", "p01.urgency"), answers.append)
        await pilot.pause()
        await pilot.press("enter")  # empty: refused, still open
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"no SLA", "enter")
        await pilot.pause()
        app.push_screen(PromptScreen("Note"), answers.append)
        await pilot.pause()
        await pilot.press("a", "escape")
        await pilot.pause()
    assert answers == ["no SLA", None]

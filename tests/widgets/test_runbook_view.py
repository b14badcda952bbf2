"""RunbookView in a tiny harness app: what it shows, and what every key asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Footer

from warroom.services.journal.store import Event
from warroom.services.runbook.model import Lang, RunbookState, builtin_runbook, replay
from warroom.widgets.runbook_view import RunbookView

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ev(seq: int, kind: str, **payload: object) -> Event:
    return Event(seq, T0 + timedelta(minutes=seq), "aiko", kind, dict(payload))


def state_of(lang: Lang = "en", events: list[Event] | None = None) -> RunbookState:
    return replay(builtin_runbook(lang), events or [])


class Harness(App[None]):
    """One RunbookView and a Footer; records every message the view posts."""

    def __init__(self, state: RunbookState | None) -> None:
        super().__init__()
        self.initial = state
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield RunbookView()
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(RunbookView)
        view.state = self.initial
        view.focus()

    def on_runbook_view_toggle_requested(self, message: RunbookView.ToggleRequested) -> None:
        self.messages.append(message)

    def on_runbook_view_note_requested(self, message: RunbookView.NoteRequested) -> None:
        self.messages.append(message)

    def on_runbook_view_not_applicable_requested(
        self, message: RunbookView.NotApplicableRequested
    ) -> None:
        self.messages.append(message)

    def on_runbook_view_timeline_requested(self, message: RunbookView.TimelineRequested) -> None:
        self.messages.append(message)

    def on_runbook_view_choice_requested(self, message: RunbookView.ChoiceRequested) -> None:
        self.messages.append(message)


def screen_lines(view: RunbookView) -> list[str]:
    return [
        "".join(segment.text for segment in view.render_line(y))
        for y in range(view.scrollable_content_region.height)
    ]


def view_of(app: Harness) -> RunbookView:
    return app.query_one(RunbookView)


async def test_starts_on_the_first_open_item_and_space_ticks_it() -> None:
    app = Harness(state_of(events=[ev(1, "item.done", item="p01.assess-severity")]))
    async with app.run_test(size=(80, 24)) as pilot:
        view = view_of(app)
        assert view.cursor_key == "item:p01.hotfix-or-wait"
        await pilot.press("space")
        await pilot.press("x")
        await pilot.pause()
        toggles = [m for m in app.messages if isinstance(m, RunbookView.ToggleRequested)]
        assert [(m.item_id, m.done) for m in toggles] == [("p01.hotfix-or-wait", True)] * 2
        # The widget never shows it done by itself: only a new state does.
        assert "[x] done Decide" not in "\n".join(screen_lines(view))
        view.state = state_of(
            events=[
                ev(1, "item.done", item="p01.assess-severity"),
                ev(2, "item.done", item="p01.hotfix-or-wait"),
            ]
        )
        await pilot.pause()
        assert any("[x] done Decide whether" in line for line in screen_lines(view))
        await pilot.press("space")
        await pilot.pause()
        last = app.messages[-1]
        assert isinstance(last, RunbookView.ToggleRequested) and last.done is False


async def test_movement_keys() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        view = view_of(app)
        assert view.cursor_key == "item:p01.assess-severity"
        await pilot.press("down")
        assert view.cursor_key == "item:p01.hotfix-or-wait"
        await pilot.press("j")
        assert view.cursor_key == "item:p01.affected-systems"
        await pilot.press("k", "up")
        assert view.cursor_key == "item:p01.assess-severity"
        await pilot.press("up")
        assert view.cursor_key == "phase:p01"
        await pilot.press("G")
        assert view.cursor_key == "phase:p18"
        await pilot.press("g")
        assert view.cursor_key == "phase:p01"


async def test_expand_and_collapse() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        view = view_of(app)
        await pilot.press("left")
        assert view.cursor_key == "phase:p01" and not view.is_expanded("p01")
        assert not any("Assess the severity" in line for line in screen_lines(view))
        await pilot.press("right")
        assert view.is_expanded("p01")
        await pilot.press("enter")
        assert not view.is_expanded("p01")
        await pilot.press("enter")
        assert view.is_expanded("p01")
        await pilot.press("down", "enter")
        assert not view.is_expanded("p01") and view.cursor_key == "phase:p01"
        await pilot.press("space")
        assert view.is_expanded("p01")


async def test_note_not_applicable_and_timeline_keys() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "s", "t")
        await pilot.pause()
        kinds = [type(m) for m in app.messages]
        assert kinds == [
            RunbookView.NoteRequested,
            RunbookView.NotApplicableRequested,
            RunbookView.TimelineRequested,
        ]
        note = app.messages[0]
        assert isinstance(note, RunbookView.NoteRequested)
        assert note.item_id == "p01.assess-severity"
        app.messages.clear()
        await pilot.press("up", "n", "s")  # on a phase header: nothing to annotate
        await pilot.pause()
        assert app.messages == []


async def open_phase(pilot: Pilot[None], view: RunbookView, phase_id: str) -> None:
    """Move from phase 9 down to `phase_id` (phase 10 has no number key) and expand it."""
    await pilot.press("9")
    for _ in range(20):
        if view.cursor_key == f"phase:{phase_id}":
            break
        await pilot.press("down")
    if not view.is_expanded(phase_id):
        await pilot.press("enter")
    assert view.cursor_key == f"phase:{phase_id}" and view.is_expanded(phase_id)


async def test_number_keys_jump_and_choice_rows() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        view = view_of(app)
        ids = [phase.id for phase in builtin_runbook("en").phases]
        for number in range(1, 10):
            await pilot.press(str(number))
            assert view.cursor_key == f"phase:{ids[number - 1]}"
            assert view.is_expanded(ids[number - 1])
        # Phase 10 (the strategy) waits for phases before it, named by number and title.
        await open_phase(pilot, view, "p09")
        lines = "\n".join(screen_lines(view))
        assert "◇ Strategy: Blue-Green / Rolling (choose)" in lines
        assert "⊘ waits for phase" in lines
        assert "waits for: phase 8: Staging deployment and validation" in lines
        await pilot.press("down", "down")  # the "needs" line is not a row; the choice is
        assert view.cursor_key == "item:p09.bg-deploy-blue"
        await pilot.press("up")
        assert view.cursor_key == "choice:p09.strategy"
        await pilot.press("space", "enter")
        await pilot.pause()
        choices = [m for m in app.messages if isinstance(m, RunbookView.ChoiceRequested)]
        assert len(choices) == 2
        assert choices[0].choice_id == "p09.strategy"
        assert choices[0].options == (("blue-green", "Blue-Green"), ("rolling", "Rolling"))
        assert choices[0].selected is None


async def test_progress_words_notes_reasons_and_orphans() -> None:
    runbook = builtin_runbook("en")
    events = [ev(i, "item.done", item=item.id) for i, item in enumerate(runbook.phases[0].items, 1)]
    events += [
        ev(10, "item.done", item="p02.create-tracking"),
        ev(11, "item.note", item="p02.create-tracking", text="INC-42 in tracker"),
        ev(12, "item.na", item="p02.war-room", reason="already in #ops"),
        ev(13, "item.done", item="p00.old-step"),
        ev(14, "choice.made", choice="p09.strategy", option="rolling"),
    ]
    app = Harness(replay(runbook, events))
    async with app.run_test(size=(80, 40)) as pilot:
        view = view_of(app)
        assert view.cursor_key == "item:p02.notify"
        text = "\n".join(screen_lines(view))
        assert "Overall 11/84" in text  # 5 + 2, and the 4 Blue-Green items
        assert "▸  1. Emergency assessment and triage" in text and "5/5 ✓ done" in text
        assert "▾  2. Incident response setup" in text and "2/5 ▶ NOW" in text
        assert "[x] done Create incident tracking" in text
        assert "note: INC-42 in tracker (aiko)" in text
        assert "[-] n/a Set up a war room" in text and "n/a: already in #ops" in text
        assert "by aiko 00:10" in text
        await open_phase(pilot, view, "p09")
        text = "\n".join(screen_lines(view))
        assert "◆ Strategy: Blue-Green / [Rolling]" in text
        assert "[-] n/a Blue-Green: deploy to the blue environment" in text
        await pilot.press("G")
        text = "\n".join(screen_lines(view))
        assert "! Orphaned (1)" in text and "[x] done p00.old-step" in text
        assert view.cursor_key == "orphan:p00.old-step"
        await pilot.press("space", "n")
        await pilot.pause()
        assert app.messages == []  # orphans are shown, not edited


async def test_commands_show_under_the_item_at_the_cursor() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        view = view_of(app)
        await pilot.press("3", "down")
        assert view.cursor_key == "choice:p03.base"
        await pilot.press("down")
        text = "\n".join(screen_lines(view))
        assert "$ git fetch --tags" in text
        assert "$ git pull origin main" not in text


async def test_japanese_aligns_in_a_narrow_short_pane() -> None:
    app = Harness(state_of("ja"))
    async with app.run_test(size=(38, 12)) as pilot:
        view = view_of(app)
        width = view.scrollable_content_region.width
        lines = screen_lines(view)
        assert all(cell_len(line) == width for line in lines)
        assert lines[0].startswith("全体 0/84")
        phase_line = next(line for line in lines if "0/5 ▶ 現在" in line)
        assert phase_line.rstrip().endswith("0/5 ▶ 現在")
        await pilot.press("G")
        lines = screen_lines(view)
        assert any("18. インシデント後活動" in line for line in lines)
        await pilot.press("g")
        assert any("1. 緊急事態評価" in line for line in screen_lines(view))
        await pilot.press("8", "down", "down", "down")
        assert view.cursor_key == "item:p08.smoke-tests"
        assert any("スモークテストを実行" in line for line in screen_lines(view))


async def test_no_state_yet() -> None:
    app = Harness(None)
    async with app.run_test(size=(40, 10)) as pilot:
        view = view_of(app)
        assert screen_lines(view)[0].startswith("No runbook loaded")
        await pilot.press("space", "n", "s", "j", "k", "g", "G", "enter", "left", "right", "5")
        await pilot.pause()
        assert app.messages == []


async def test_footer_shows_the_main_keys() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(100, 24)):
        shown = {
            binding.key: binding.description
            for (_, binding, _, _) in app.screen.active_bindings.values()
            if binding.show
        }
        assert shown["space"] == "Done"
        assert shown["n"] == "Note"
        assert shown["s"] == "N/A"
        assert shown["t"] == "Timeline"
        assert shown["enter"] == "Expand"
        described = {b.key for (_, b, _, _) in app.screen.active_bindings.values() if b.description}
        assert set("xkjgG19") | {"up", "down", "left", "right", "home", "end"} <= described


def _snapshot_events() -> list[Event]:
    return [
        ev(1, "item.done", item="p01.assess-severity"),
        ev(2, "item.na", item="p01.hotfix-or-wait", reason="SEV1: no question"),
        ev(3, "item.note", item="p01.affected-systems", text="login API"),
    ]


def test_snapshot_english(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(Harness(state_of("en", _snapshot_events())), terminal_size=(80, 24))


def test_snapshot_japanese(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(Harness(state_of("ja", _snapshot_events())), terminal_size=(80, 24))

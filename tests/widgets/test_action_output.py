"""The action output pane follows ActionRun snapshots."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Log, Static

from warroom.services.release.actions import ActionRun
from warroom.widgets.action_output import ActionOutput


class Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.cancels: list[str] = []

    def compose(self) -> ComposeResult:
        yield ActionOutput()

    def on_action_output_cancel_requested(self, message: ActionOutput.CancelRequested) -> None:
        self.cancels.append(message.action)


def run(seq: int, state: str = "running", lines: tuple[str, ...] = (), **kw: object) -> ActionRun:
    return ActionRun(
        run_id=kw.pop("run_id", 1),  # type: ignore[arg-type]
        seq=seq,
        name="deploy",
        argv=("./deploy.sh", "[b]v1.2.4[/]"),
        state=state,  # type: ignore[arg-type]
        new_lines=lines,
        **kw,  # type: ignore[arg-type]
    )


async def test_lines_append_state_shows_and_a_new_run_starts_afresh() -> None:
    app = Harness()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(ActionOutput)
        log = pane.query_one(Log)
        pane.run = run(1, lines=("one",))
        pane.run = run(2, lines=("two [red]x[/]",))
        pane.run = run(2, lines=("two [red]x[/]",))  # a repeated snapshot adds nothing
        await pilot.pause()
        assert list(log.lines) == ["one", "two [red]x[/]"]
        assert pane.has_class("-running")
        assert "./deploy.sh '[b]v1.2.4[/]'" in str(
            pane.query_one("#action-command", Static).render()
        )
        pane.focus()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.cancels == ["deploy"]

        pane.run = run(3, "failed", ("boom",), exit_code=3, duration=4.0)
        await pilot.pause()
        assert list(log.lines) == ["one", "two [red]x[/]", "boom"]
        assert pane.has_class("-failed") and not pane.has_class("-running")
        status = str(pane.query_one("#action-status", Static).render())
        assert status == "deploy  failed (exit 3)  4.0s"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.cancels == ["deploy"]  # nothing to cancel once finished

        pane.run = run(5, lines=("late",), run_id=2, tail=("earlier", "late"))
        await pilot.pause()
        assert list(log.lines) == ["earlier", "late"]


async def test_refusal_is_shown() -> None:
    app = Harness()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(ActionOutput)
        pane.run = run(1, "failed", error="this instance is read-only: it runs no actions")
        await pilot.pause()
        status = str(pane.query_one("#action-status", Static).render())
        assert status == "deploy  refused: this instance is read-only: it runs no actions"

"""The deploy path end to end: the runbook guards the deploy, overrides are on record,
and every step reaches a webhook.

The whole dashboard over the demo (its real repository, deploy scripts and simulated
production), journaling into the real SQLite journal, with a real HTTP server on
127.0.0.1 standing in for the chat webhook.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.session import IncidentSession
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.release import ReleaseScreen
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.timeline import TimelineScreen

ACTOR = "aiko"


class Hooks:
    """A webhook receiver on loopback: every JSON body posted to it, in arrival order."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def steps(self) -> list[str]:
        return [str(body["fields"].get("step", body["event"])) for body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def demo(tmp_path: Path, hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoTarget]:
    """The demo with fast scripts, its config private, telling the loopback webhook."""
    monkeypatch.setenv("WARROOM_ACTOR", ACTOR)
    with DemoTarget(tmp_path / "demo", log_interval=0.5, script_pace=0.01) as target:
        with target.config_path.open("a", encoding="utf-8") as config:
            config.write(f'\n[[notify]]\nurl = "{hooks.url}"\nformat = "json"\n')
        target.config_path.chmod(0o600)
        target.root.chmod(0o700)
        yield target


async def until(pilot: Pilot[int], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    await fixtures.until(pilot, predicate, timeout)


def mode(demo: DemoTarget) -> str:
    """What the simulated production runs now ("broken" before the hotfix is live)."""
    return demo.mode


def session_of(app: WarroomApp) -> IncidentSession:
    return fixtures.dashboard(app).session


def kinds(session: IncidentSession) -> list[str]:
    return [event.kind for event in session.events]


def payloads(session: IncidentSession, kind: str) -> list[dict[str, Any]]:
    return [event.payload for event in session.events if event.kind == kind]


dialog = fixtures.dialog
dialog_text = fixtures.screen_text


async def choose(pilot: Pilot[int], option_id: str) -> None:
    options = pilot.app.screen.query_one("#release-list", OptionList)
    options.focus()
    options.highlighted = options.get_option_index(option_id)
    await pilot.press("enter")


async def give_reason(app: WarroomApp, pilot: Pilot[int], reason: str) -> None:
    await until(pilot, lambda: app.screen.query(Input).first().has_focus)
    await pilot.press(*reason, "enter")


async def open_app(pilot: Pilot[int], app: WarroomApp) -> IncidentSession:
    session = session_of(app)
    await until(pilot, lambda: session.journal is not None)
    return session


async def test_choose_rolling_refused_deploy_override_batches_rollback(
    demo: DemoTarget, hooks: Hooks
) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(160, 50)) as pilot:
        session = await open_app(pilot, app)
        assert await session.choose("p09.strategy", "rolling")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        await until(pilot, lambda: session.release.release is not None)

        # The one-shot production deploy is not the Rolling way: refused, with the reasons.
        await choose(pilot, "cmd:production")
        await dialog(
            pilot,
            ReasonScreen,
            "Strategy is Rolling: deploy with `rolling`, not `production`",
            "waits for “Database backup completed successfully” (phase 9",
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        assert "action.started" not in kinds(session)
        assert mode(demo) == "broken"

        # Rolling batches: the checklist is still open, so each batch is overridden,
        # with a reason typed; a batch after the first also waits for its gates.
        for batch in (1, 2, 3):
            await choose(pilot, "cmd:rolling")
            text = await dialog(pilot, ReasonScreen, "phase 8: Staging deployment and validation")
            if batch > 1:
                assert f"batch {batch}/3:" in text  # the gates between batches
            await pilot.press("enter")  # an empty reason is not an override
            await until(pilot, lambda: "needs a reason" in dialog_text(app))
            await give_reason(app, pilot, f"checklist done on paper, batch {batch}")
            await dialog(pilot, ConfirmScreen, f"Deploy batch {batch}/3")
            await pilot.press("y")
            await until(pilot, lambda b=batch: len(payloads(session, "action.finished")) == b)  # type: ignore[misc]
            await until(pilot, lambda: not session.release.busy)
        assert [p["batch"] for p in payloads(session, "action.finished")] == [1, 2, 3]
        await until(pilot, lambda: "deploy.marked" in kinds(session))
        assert mode(demo) == "fixed"
        overrides = payloads(session, "override.granted")
        assert [o["reason"] for o in overrides] == [
            f"checklist done on paper, batch {n}" for n in (1, 2, 3)
        ]
        assert all(o["what"].startswith("Deploy batch") and o["refusals"] for o in overrides)
        who = {e.actor for e in session.events if e.kind == "override.granted"}
        assert who == {ACTOR}
        state = session.state().runbook
        rolled = state.item("p09.rolling-first-batch")
        assert rolled is not None and rolled.status == "done"

        # The rollback: typed, run, and every figure then says so.
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReleaseScreen))
        info = session.release.release
        assert info is not None and info.previous_version is not None
        previous = info.previous_version
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        await pilot.press(*previous, "enter")
        # A real script runs and is journaled: on a loaded machine that takes a while.
        await until(pilot, lambda: "rollback.finished" in kinds(session), timeout=60)
        (rollback,) = payloads(session, "rollback.finished")
        assert rollback["ok"] is True and rollback["version"] == previous
        assert rollback["from_version"] == "v1.2.4"
        await until(pilot, lambda: "watch.ended" in kinds(session))
        (ended,) = payloads(session, "watch.ended")
        deploy_seq = next(e.seq for e in session.events if e.kind == "deploy.marked")
        assert ended == {"deploy_seq": deploy_seq, "health": "rolled back"}
        assert session.hotfix_line().startswith(f"v1.2.4 rolled back to {previous} at ")
        assert f"Hotfix: v1.2.4 rolled back to {previous} at " in session.status_draft()
        await until(pilot, lambda: session.state().escalation is not None)
        escalation = session.state().escalation
        assert escalation is not None and escalation.watch is not None
        assert escalation.watch.ended
        # No figure compares against the superseded deploy any more.
        await until(pilot, lambda: _no_delta(session))
        bar = fixtures.dashboard(app).query_one("#release-rollback", Static)
        await until(pilot, lambda: f"rolled back to {previous}" in str(bar.render()))
        assert bar.display
        rollback_item = session.state().runbook.item("p14.rollback-script")
        assert rollback_item is not None and rollback_item.status == "open"

        # The override is in the timeline, with who did it.
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        listed = "\n".join(
            str(option.prompt) for option in app.screen.query_one(OptionList).options
        )
        assert "override.granted" in listed and "checklist done on paper, batch 2" in listed
        await pilot.press("escape")

        # Webhooks: the whole path, each with incident, title, versions and actor.
        await until(pilot, lambda: "rollback.succeeded" in hooks.steps())
        steps = hooks.steps()
        for step in ("override", "rolling.started", "rolling.succeeded", "rollback.started"):
            assert step in steps, steps
        assert steps.count("rolling.succeeded") == 3
        assert steps.count("override") == 3
        assert steps.index("rolling.started") < steps.index("rolling.succeeded")
        assert steps.index("rollback.started") < steps.index("rollback.succeeded")
        for body in hooks.bodies:
            fields = body["fields"]
            assert body["incident"] == fields["incident"] == "INC-DEMO"
            assert fields["title"] == "Auth failures after v1.2.3"
            assert fields["actor"] == ACTOR
            assert fields["version"] == "v1.2.4"
        override = next(b for b in hooks.bodies if b["fields"].get("step") == "override")
        assert "checklist done on paper, batch 1" in override["text"]
        assert override["fields"]["reason"] == "checklist done on paper, batch 1"
        done = next(b for b in hooks.bodies if b["fields"].get("step") == "rollback.succeeded")
        assert done["event"] == "rollback" and done["fields"]["previous_version"] == previous


def _no_delta(session: IncidentSession) -> bool:
    metrics = session.state().metrics
    return metrics is not None and all(s.delta_pct is None for s in metrics.series)


async def test_a_gated_item_is_ticked_only_with_a_reason(demo: DemoTarget, hooks: Hooks) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(160, 50)) as pilot:
        session = await open_app(pilot, app)
        target = "p10.deploy-production"  # waits for the five checks above it
        assert session.tick_waits(target)
        assert not await session.toggle(target, True)  # the engine refuses it too
        fixtures.dashboard(app).post_message(_toggle(target))
        await dialog(pilot, ReasonScreen, "Database backup completed successfully")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReasonScreen))
        assert "item.done" not in kinds(session) and "override.granted" not in kinds(session)

        fixtures.dashboard(app).post_message(_toggle(target))
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await give_reason(app, pilot, "backup verified by DBA on call")
        await until(pilot, lambda: "item.done" in kinds(session))
        (override,) = payloads(session, "override.granted")
        assert override["reason"] == "backup verified by DBA on call"
        assert override["what"] == "tick “Execute the production deployment”"
        assert kinds(session).index("override.granted") < kinds(session).index("item.done")
        await until(pilot, lambda: "override" in hooks.steps())


def _toggle(item_id: str) -> Any:
    from warroom.widgets.runbook_view import RunbookView

    return RunbookView.ToggleRequested(item_id, True)


async def test_mark_deploy_again_asks_and_resolve_names_what_is_open(demo: DemoTarget) -> None:
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(160, 50)) as pilot:
        session = await open_app(pilot, app)
        await pilot.press("D")  # the first mark needs no question
        await until(pilot, lambda: kinds(session).count("deploy.marked") == 1)
        await pilot.press("D")
        await dialog(pilot, ConfirmScreen, "already marked", f"by {ACTOR}")
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert kinds(session).count("deploy.marked") == 1

        await until(pilot, lambda: session.state().escalation is not None)
        await pilot.press("R")
        open_items = len(session.state().runbook.open_items())
        await dialog(
            pilot,
            ConfirmScreen,
            f"{open_items} runbook items are still open.",
            "The post-deploy watch window is still running",
        )
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert "incident.resolved" not in kinds(session)

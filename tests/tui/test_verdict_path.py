"""The verdict drives the rolling deploy and the screen, end to end.

The whole dashboard over the demo (its real repository, deploy scripts and simulated
production on loopback), journaling into the real SQLite journal, a real HTTP server on
127.0.0.1 standing in for the chat webhook, and `warroom report` run as a process at
the end. The demo's production is made healthy or broken the way its deploy scripts do
it: by replacing the one-word state file the service watches. The verdict's windows are
seconds long, so each outcome comes within the test's waits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from tests.tui import fixtures
from tests.tui.test_deploy_path import (
    ACTOR,
    Hooks,
    choose,
    give_reason,
    kinds,
    open_app,
    payloads,
    until,
)
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.session import IncidentSession
from warroom.tui.app import WarroomApp, build_app
from warroom.tui.screens.release import ReleaseScreen
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.verdict_line import VerdictLine, VerdictListScreen

WINDOW = 12
"""Seconds of data a verdict judges: long enough for a dialog to open while the first
verdict on a batch is still Inconclusive, short enough to wait for a Pass."""
MIN_SAMPLES = 4

ENDPOINT_VERDICT = f'\n[endpoint.verdict]\nwindow = "{WINDOW}s"\nmin_samples = {MIN_SAMPLES}\n'
METRIC_VERDICT = f'\n[metric.verdict]\nwindow = "{WINDOW}s"\nmin_samples = {MIN_SAMPLES}\n'


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    try:
        yield receiver
    finally:
        receiver.close()


def quick_verdict_config(text: str) -> str:
    """The demo's config, probing and sampling every second, the gates judged over
    `WINDOW` seconds with `MIN_SAMPLES` samples."""
    text = text.replace('interval = "5s"', 'interval = "1s"')
    text = re.sub(r'timeout = "[12]s"', 'timeout = "900ms"', text)  # below the interval
    # A table after `[[endpoint]]`/`[[metric]]` belongs to the entry just above it.
    text, endpoints = re.subn(
        r'(name = "api health"\n(?:[^\[\n][^\n]*\n)*)', rf"\1{ENDPOINT_VERDICT}\n", text
    )
    text, metrics = re.subn(
        r'(name = "Error rate"\n(?:[^\[\n][^\n]*\n)*)', rf"\1{METRIC_VERDICT}\n", text
    )
    assert endpoints == metrics == 1
    return text


@pytest.fixture
def demo(tmp_path: Path, hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoTarget]:
    """The demo with fast scripts and quick verdicts, telling the loopback webhook."""
    monkeypatch.setenv("WARROOM_ACTOR", ACTOR)
    with DemoTarget(tmp_path / "demo", log_interval=0.5, script_pace=0.01) as target:
        text = quick_verdict_config(target.config_path.read_text(encoding="utf-8"))
        text += f'\n[[notify]]\nurl = "{hooks.url}"\nformat = "json"\n'
        target.config_path.write_text(text, encoding="utf-8")
        target.config_path.chmod(0o600)
        target.root.chmod(0o700)
        yield target


def set_production(demo: DemoTarget, mode: str) -> None:
    """Make the simulated production healthy ("fixed") or failing ("broken"), replacing
    its state file the way the demo's deploy scripts do."""
    spare = demo.mode_path.with_suffix(".test")
    spare.write_text(mode + "\n", encoding="utf-8")
    os.replace(spare, demo.mode_path)


def verdicts(session: IncidentSession, deploy_seq: int) -> list[dict[str, Any]]:
    """The `verdict.changed` payloads journaled for one deploy (a batch's end)."""
    return [p for p in payloads(session, "verdict.changed") if p["deploy_seq"] == deploy_seq]


def outcomes(session: IncidentSession, deploy_seq: int) -> list[str]:
    return [p["outcome"] for p in verdicts(session, deploy_seq)]


def batch_end(session: IncidentSession, batch: int) -> int:
    """The seq of the journaled end of rolling batch `batch`."""
    return next(
        e.seq
        for e in session.events
        if e.kind == "action.finished" and e.payload.get("batch") == batch
    )


def criteria(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in payload["criteria"]}


def verdict_line(app: WarroomApp) -> VerdictLine:
    return fixtures.dashboard(app).query_one("#verdict-line", VerdictLine)


def line_text(app: WarroomApp) -> str:
    return str(verdict_line(app).render())


async def refused_dialog(app: WarroomApp, pilot: Any) -> str:
    """The override dialog's words, once it is up and has said what was refused."""
    return await fixtures.dialog(pilot, ReasonScreen, "Refused: ")


async def run_batch(app: WarroomApp, pilot: Any, session: IncidentSession, batch: int) -> None:
    """Confirm the batch dialog (after its override) and wait for the batch's end."""
    await fixtures.dialog(pilot, ConfirmScreen, f"Deploy batch {batch}/3")
    await pilot.press("y")
    await until(pilot, lambda: len(payloads(session, "action.finished")) == batch)
    await until(pilot, lambda: not session.release.busy)


async def test_rolling_batches_wait_on_the_verdict_and_fail_recommends_rollback(
    demo: DemoTarget, hooks: Hooks
) -> None:
    set_production(demo, "fixed")  # healthy before the rollout: its batches can pass
    app = build_app(load_config(demo.config_path))
    async with app.run_test(size=(160, 50)) as pilot:
        session = await open_app(pilot, app)
        assert not verdict_line(app).display  # nothing deployed: nothing to judge
        assert await session.choose("p09.strategy", "rolling")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        await until(pilot, lambda: session.release.release is not None)

        # Batch 1 (the checklist is still open: an override with a reason, as always).
        await choose(pilot, "cmd:rolling")
        text = await refused_dialog(app, pilot)
        assert "phase 8" in text and "verdict" not in text  # nothing deployed yet to judge
        await give_reason(app, pilot, "checklist done on paper")
        await run_batch(app, pilot, session, 1)
        first = batch_end(session, 1)

        # Its first verdict: Inconclusive, too few samples yet; journaled with its numbers.
        await until(pilot, lambda: bool(verdicts(session, first)))
        inconclusive = verdicts(session, first)[0]
        assert inconclusive["outcome"] == "Inconclusive"
        assert inconclusive["batch"] == 1
        judged = criteria(inconclusive)
        assert set(judged) == {"api health", "Error rate"}
        for criterion in judged.values():
            assert criterion["window"] == WINDOW
            assert criterion["outcome"] in ("Inconclusive", "Pass")
        assert min(c["samples"] for c in judged.values()) < MIN_SAMPLES
        assert "too few samples" in inconclusive["headline"]
        assert judged["Error rate"]["threshold"] == 5.0
        actor = next(e.actor for e in session.events if e.kind == "verdict.changed")
        assert actor == "warroom"

        # Batch 2 while Inconclusive: paused, a person decides (with a reason on record).
        await choose(pilot, "cmd:rolling")
        text = await refused_dialog(app, pilot)
        assert "batch 2/3: paused, verdict Inconclusive" in text, text
        assert "decide, or wait" in text
        await give_reason(app, pilot, "traffic looks fine, not waiting")
        await run_batch(app, pilot, session, 2)
        override = payloads(session, "override.granted")[-1]
        assert override["reason"] == "traffic looks fine, not waiting"
        assert any("verdict Inconclusive" in r for r in override["refusals"])
        second = batch_end(session, 2)

        # Batch 2's verdict: Inconclusive, then Pass once its whole window has passed.
        await until(pilot, lambda: "Pass" in outcomes(session, second), timeout=4 * WINDOW)
        assert outcomes(session, second)[0] == "Inconclusive"
        passed = verdicts(session, second)[outcomes(session, second).index("Pass")]
        for criterion in passed["criteria"]:
            assert criterion["outcome"] == "Pass"
            assert criterion["samples"] >= MIN_SAMPLES
        rate = criteria(passed)["Error rate"]
        assert rate["value"] < rate["threshold"] == 5.0
        assert criteria(passed)["api health"]["value"] == 100.0
        dash = fixtures.dashboard(app)
        await until(pilot, lambda: verdict_line(app).has_class("-pass"))
        assert "Verdict on batch 2: Pass · " in line_text(app)

        # Production breaks: the verdict fails, the next batch is refused, rollback urged.
        set_production(demo, "broken")
        await until(pilot, lambda: "Fail" in outcomes(session, second), timeout=4 * WINDOW)
        failed = verdicts(session, second)[-1]
        assert failed["outcome"] == "Fail"
        # Whichever gate failed first decided: its figure is past its threshold.
        bad = [c for c in failed["criteria"] if c["outcome"] == "Fail"]
        assert bad, failed
        for criterion in bad:
            if criterion["name"] == "Error rate":
                assert criterion["value"] >= criterion["threshold"] == 5.0
            else:
                assert criterion["value"] < criterion["threshold"] == 100.0
        await until(pilot, lambda: verdict_line(app).has_class("-fail"))
        assert "Verdict on batch 2: Fail · " in line_text(app)
        assert "→ roll back: ctrl+r" in line_text(app)
        assert not verdict_line(app).has_class("-pass")
        await choose(pilot, "cmd:rolling")
        text = await refused_dialog(app, pilot)
        assert "batch 3/3: refused, verdict Fail" in text and "roll back (ctrl+r)" in text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
        assert len(payloads(session, "action.finished")) == 2  # batch 3 never ran
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dash)

        # V lists every criterion with its numbers.
        await pilot.press("V")
        await until(pilot, lambda: isinstance(app.screen, VerdictListScreen))
        listed = "\n".join(
            str(option.prompt) for option in app.screen.query_one(OptionList).options
        )
        assert "api health" in listed and "Error rate" in listed
        row = r"Fail\s+(Error rate|api health)\s+\S+%\s+vs (5|100)%\s+12s\s+\d+ samples"
        assert re.search(row, listed), listed
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dash)

        # The rollback: nothing is judged any more, and the line goes.
        info = session.release.release
        assert info is not None and info.previous_version is not None
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
        typed = app.screen.query_one("#typed", Input)
        await until(pilot, lambda: typed.has_focus)
        await pilot.press(*info.previous_version)
        await until(pilot, lambda: typed.value == info.previous_version)
        # The button, not enter: a key right after typing reads as a paste's burst.
        await pilot.click("#confirm")
        # A real script runs and is journaled: on a loaded machine that takes a while.
        await until(pilot, lambda: "rollback.finished" in kinds(session), timeout=60)
        await until(pilot, lambda: not verdict_line(app).display)
        assert session.verdict_now() is None

        # Webhooks: each verdict change, with incident, title, versions, verdict, summary.
        await until(pilot, lambda: "rollback.succeeded" in hooks.steps())
        journaled = payloads(session, "verdict.changed")

        def told() -> list[dict[str, Any]]:
            return [b for b in hooks.bodies if b["fields"].get("step") == "verdict.changed"]

        # Sent concurrently: they may arrive in any order, each once.
        await until(pilot, lambda: len(told()) == len(journaled))
        by_change = {(p["deploy_seq"], p["outcome"]): p for p in journaled}
        assert len(by_change) == len(journaled)
        for body in told():
            fields = body["fields"]
            payload = by_change[(fields["deploy_seq"], fields["verdict"])]
            assert body["incident"] == fields["incident"] == "INC-DEMO"
            assert fields["title"] == "Auth failures after v1.2.3"
            assert fields["version"] == "v1.2.4"
            assert fields["summary"] == payload["summary"]
            assert fields["deploy_seq"] == payload["deploy_seq"]
        fail_told = next(b for b in told() if b["fields"]["verdict"] == "Fail")
        assert "Verdict after rolling batch 2: Fail" in fail_told["text"]
        rollout = [
            b["fields"]["verdict"]
            for b in hooks.bodies
            if b["fields"].get("step") == "rolling.verdict"
        ]
        assert "verdict Fail: next batch refused, roll back recommended" in rollout
        assert "verdict Pass: next batch ready" in rollout

    # The report, from the journal, by the command a person runs.
    report = run_report(demo, "json")
    document = json.loads(report)
    timeline = [e for e in document["timeline"] if e["kind"] == "verdict.changed"]
    assert [e["payload"]["outcome"] for e in timeline] == [p["outcome"] for p in journaled]
    assert all(e["actor"] == "warroom" for e in timeline)
    last = timeline[-1]["payload"]
    assert last["outcome"] == "Fail" and last["deploy_seq"] == second
    assert last["criteria"] == failed["criteria"]
    markdown = run_report(demo, "md")
    assert "verdict.changed" in markdown or "Verdict" in markdown


def run_report(demo: DemoTarget, fmt: str) -> str:
    """`warroom report --format FMT` on the demo's journal, as a process."""
    done = subprocess.run(
        [sys.executable, "-m", "warroom", "report", "--config", str(demo.config_path),
         "--format", fmt],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout

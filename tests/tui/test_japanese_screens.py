"""Under `[runbook] lang = "ja"` no English UI word is left on any screen.

A Pilot walk through the dashboard, the projector, the alert and verdict lists, the
resolve and override dialogs, the Release screen and the typed rollback reads every
cell of the terminal and looks for the words of the English side of the UI's table
(`widgets/words.py`). What may stay English is left out first: codes (UP, SEV2,
HTTP, key names) and the untrusted text on screen (names from the config, log lines,
notes, the runbook's commands, git's names, the engine's own sentences).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.tui import fixtures
from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.health.status import Reason
from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.release.git_actions import GIT_ACTIONS, plan_for
from warroom.services.release.git_plans import Refusal
from warroom.services.release.verdict import Criterion, Outcome, Verdict
from warroom.services.runbook.model import Runbook
from warroom.services.session.alert_log import RaisedAlert
from warroom.tui.app import build_app
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.tui.screens.release import ReleaseScreen
from warroom.widgets.alert_line import AlertListScreen
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.guidance import GuidanceScreen
from warroom.widgets.health_detail import HealthDetail
from warroom.widgets.health_table import HealthTable
from warroom.widgets.runbook_view import RunbookView
from warroom.widgets.status_composer import StatusComposer
from warroom.widgets.verdict_line import VerdictListScreen
from warroom.widgets.words import JAPANESE

CODES = frozenset(
    [
        *("esc", "enter", "ctrl", "space", "tab", "shift"),
        *("git", "main", "head", "push", "sigint", "sigterm", "sigkill"),
        *("utc", "http", "ms", "vs", "sev", "error"),
        *("up", "down", "warn", "crit", "stale", "pending", "flapping"),
    ]
)
"""Words that stay as written in Japanese: key names, state codes, git's and the
signals' names, units."""

_WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def _words(texts: Iterable[str]) -> set[str]:
    return {word.lower() for text in texts for word in _WORD.findall(text)}


ENGLISH = _words(re.sub(r"\{\w+\}", " ", english) for english in JAPANESE) - CODES
"""Every word of the English side of the table: none of them may be on screen."""

_TEXT = re.compile(
    r'<text [^>]*?x="([\d.]+)"[^>]*clip-path="url\(#[^)]*-line-(\d+)\)"[^>]*>([^<]*)</text>'
)
_CELL = 12.2
"""Width of a cell in Textual's screenshot, in SVG units."""


def screen_text(app: App[Any]) -> str:
    """Every row of the terminal as the user sees it (from the screenshot, cell by cell)."""
    rows: dict[int, list[str]] = {}
    width = app.size.width
    for x, row_number, text in _TEXT.findall(app.export_screenshot()):
        row = rows.setdefault(int(row_number), [" "] * width)
        column = round(float(x) / _CELL)
        for char in html.unescape(text).replace("\xa0", " "):
            cells = cell_len(char)
            # A wide character fills its second cell too: nothing is drawn there.
            row[column : column + cells] = [char, *[""] * (cells - 1)][: max(0, width - column)]
            column += cells
    return "\n".join("".join(rows[n]).rstrip() for n in sorted(rows))


def english_on(text: str, untrusted: set[str]) -> set[str]:
    """The English UI words in `text`, once the untrusted text's words are left out."""
    # A config section named in a hint ([[endpoint]], [git]) is a code too.
    text = re.sub(r"\[\[?[\w.]+\]\]?", " ", text)
    # A dialog cuts the text behind it mid-word ("verificati|on"): its pieces are untrusted too.
    pieces = {w[:n] for w in untrusted for n in range(2, len(w))}
    pieces |= {w[n:] for w in untrusted for n in range(1, len(w) - 1)}
    return (_words([text]) & ENGLISH) - untrusted - pieces


def _runbook_words(runbook: Runbook) -> set[str]:
    texts: list[str] = []
    for phase in runbook.phases:
        texts.append(phase.title)
        for item in phase.items:
            texts += [item.text, *item.commands]
    return _words(texts)


def _config_words(loaded: LoadedConfig) -> set[str]:
    config = loaded.config
    texts = [config.incident.title, config.incident.id]
    texts += [endpoint.name for endpoint in config.endpoint]
    texts += [f"{metric.name} {metric.unit}" for metric in config.metric]
    texts += [log.name for log in config.log]
    for name, command in config.actions.commands.items():
        texts += [name, command.description, " ".join(command.argv)]
    return _words(texts)


async def _look(pilot: Pilot[Any], where: str, untrusted: set[str], seen: dict[str, str]) -> None:
    await pilot.pause()
    text = screen_text(pilot.app)
    seen[where] = text
    found = english_on(text, untrusted)
    assert not found, f"{where}: English UI words {sorted(found)} on\n{text}"


def _verdict() -> DeployVerdict:
    criterion = Criterion(
        name="Error rate",
        value=9.1,
        threshold=5.0,
        window=300.0,
        samples=30,
        outcome=Outcome.FAIL,
        reason="9.1% > 5%",
    )
    return DeployVerdict(
        verdict=Verdict(Outcome.FAIL, (criterion,)),
        deploy_seq=4,
        since=fixtures.NOW - timedelta(minutes=5),
        batch=None,
        headline="Error rate 9.1% > 5%",
    )


def test_the_english_table_has_words_to_look_for() -> None:
    # The check below can fail: the table's English side holds the UI's words.
    assert {"next", "call", "status", "alerts", "active", "verdict", "cancel"} <= ENGLISH
    assert len(ENGLISH) > 200
    found = english_on("Next: Senior engineer · in 12:55", set())
    assert found == {"next", "senior", "engineer", "in"}
    assert not english_on("次: シニアエンジニア · あと 12:55 · SEV2 UP [[endpoint]]", set())


async def test_no_english_ui_word_on_the_dashboard_projector_lists_and_dialogs(
    tmp_path: Path,
) -> None:
    app, before = fixtures.frozen_app(tmp_path, lang="ja")
    loaded = fixtures.loaded_config(tmp_path, lang="ja")
    seen: dict[str, str] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        verdict = _verdict()
        untrusted = _config_words(loaded) | _runbook_words(screen.runbook)
        untrusted |= _words(line.text for line in fixtures.log_lines())
        untrusted |= _words(
            str(e.payload.get("text", "")) + " " + e.actor for e in fixtures.events()
        )
        untrusted |= _words([verdict.headline, verdict.verdict.summary(), "api health is DOWN"])
        screen.alert_log = (
            RaisedAlert(fixtures.NOW, "api health", "api health is DOWN", active=True),
        )
        screen.verdict = verdict
        await _look(pilot, "dashboard", untrusted, seen)
        assert "次: エンジニアリングマネージャー" in seen["dashboard"]
        assert "シニアエンジニアに連絡" in seen["dashboard"]
        assert "発生中 1 件" in seen["dashboard"] and "判定: 不合格" in seen["dashboard"]

        await pilot.press("p")
        await fixtures.until(pilot, lambda: screen.has_class("-projector"))
        await _look(pilot, "projector", untrusted, seen)
        assert "インシデント経過時間" in seen["projector"] and "投影を終了" in seen["projector"]
        await pilot.press("p")

        await pilot.press("A")
        await fixtures.until(pilot, lambda: isinstance(app.screen, AlertListScreen))
        await _look(pilot, "alert list", untrusted, seen)
        await pilot.press("escape")

        await pilot.press("V")
        await fixtures.until(pilot, lambda: isinstance(app.screen, VerdictListScreen))
        await _look(pilot, "verdict list", untrusted, seen)
        await pilot.press("escape")

        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        screen.query_one(HealthTable).focus()
        await pilot.press("enter")
        await fixtures.until(pilot, lambda: isinstance(app.screen, HealthDetail))
        # Why a probe failed is a code (status, refused, read-timeout), as in the report.
        reasons = _words(reason.value for reason in Reason)
        await _look(pilot, "endpoint detail", untrusted | reasons, seen)
        assert "直近 1 件の結果 (新しい順)" in seen["endpoint detail"]
        await pilot.press("escape")

        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("u")
        await fixtures.until(
            pilot,
            lambda: isinstance(app.screen, StatusComposer) and bool(app.screen.query(TextArea)),
        )
        # The draft is the engine's text, written for the people it goes to.
        untrusted |= _words([app.screen.query_one(TextArea).text])
        await _look(pilot, "status update", untrusted, seen)
        await pilot.press("escape")

        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("b")
        await fixtures.until(pilot, lambda: isinstance(app.screen, GuidanceScreen))
        guidance = screen.runbook.guidance
        untrusted |= _words(f"{g.title} {' '.join(g.lines)}" for g in guidance)
        await _look(pilot, "guidance", untrusted, seen)
        await pilot.press("escape")

        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("R")
        await fixtures.until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await _look(pilot, "resolve", untrusted, seen)
        await pilot.press("n")

        # Ticking an item of a phase still waiting on others asks for an override.
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        state = screen.runbook_state
        assert state is not None
        gated = next(p for p in state.phases if p.gated)
        screen.query_one(RunbookView).post_message(
            RunbookView.ToggleRequested(gated.items[0].item.id, True)
        )
        await fixtures.until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        untrusted |= _words(screen.session.tick_waits(gated.items[0].item.id))
        await _look(pilot, "override", untrusted, seen)
        assert "オーバーライドしますか?" in seen["override"]
        await pilot.press("escape")
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_no_english_ui_word_on_the_release_screen_and_the_typed_rollback(
    tmp_path: Path,
) -> None:
    with DemoTarget(tmp_path / "demo", script_pace=0.01, log_interval=60.0) as demo:
        config = demo.config_path.read_text(encoding="utf-8")
        assert "[runbook]" not in config
        demo.config_path.write_text(config + '\n[runbook]\nlang = "ja"\n', encoding="utf-8")
        loaded = load_config(demo.config_path)
        app = build_app(loaded, clock=ManualClock(wall=fixtures.NOW), live=False)
        seen: dict[str, str] = {}
        async with app.run_test(size=(140, 40)) as pilot:
            await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            untrusted = _config_words(loaded) | _runbook_words(screen.runbook)
            # git's names and the commands the plans will run are git's words.
            untrusted |= _words(
                ["hotfix", "checkout", "switch", "create", "refs", "tags", "origin"]
            )
            await pilot.press("r")
            await fixtures.until(pilot, lambda: isinstance(app.screen, ReleaseScreen))
            release = app.screen
            assert isinstance(release, ReleaseScreen)
            await fixtures.until(pilot, lambda: "git を読み込み中" not in screen_text(app))
            await fixtures.until(pilot, lambda: "本番 v1.2.3" in screen_text(app))
            # The commands shown ("$ …", "git …") are the config's and git's words.
            untrusted |= _words(re.findall(r"(?:\$|git) [^│]*", screen_text(app)))
            # The engine's refusals (git's state, the runbook's gates) are its sentences.
            controller = release.controller
            info = controller.release
            assert info is not None
            for kind, _title in GIT_ACTIONS:
                plan = plan_for(kind, info)
                if isinstance(plan, Refusal):
                    untrusted |= _words([plan.message])
            for name in loaded.config.actions.commands:
                untrusted |= _words(controller.guard(name))
            rolling = controller.rolling
            if rolling is not None:  # the rolling plan's progress is the engine's too
                now = controller.clock.monotonic()
                untrusted |= _words([rolling.progress, rolling.waiting_for(now)])
            await _look(pilot, "release screen", untrusted, seen)
            assert "本番タグからホットフィックスブランチを作成" in seen["release screen"]

            await pilot.press("ctrl+r")
            await fixtures.until(pilot, lambda: isinstance(app.screen, TypedConfirmScreen))
            await _look(pilot, "rollback", untrusted, seen)
            assert "本番を v1.2.2 へロールバック" in seen["rollback"]
            # A wrong version is refused in Japanese too.
            app.screen.query_one(Input).value = "v9"
            await pilot.click("#confirm")
            await fixtures.until(pilot, lambda: "ではありません" in screen_text(app))
            await _look(pilot, "rollback refused", untrusted, seen)
            await pilot.press("escape")
            await fixtures.until(pilot, lambda: isinstance(app.screen, ReleaseScreen))

"""The dashboard's chrome in the runbook's language: `[runbook] lang = "ja"` speaks Japanese.

Pane titles, the key bar, the help screen, the confirm dialogs, the header's words and
the start-up frames all follow the runbook; English stays as it was written.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Static

from tests.tui import fixtures
from warroom.services.session.summary import IncidentSummary
from warroom.tui.app import WarroomApp, make_runtime, start_app
from warroom.tui.runtime import Runtime
from warroom.tui.screens.dashboard import DashboardScreen
from warroom.tui.screens.release import ReleaseScreen
from warroom.tui.starting import StartScreen
from warroom.widgets.action_output import ActionOutput
from warroom.widgets.alert_line import AlertListScreen
from warroom.widgets.choice import ChoiceScreen
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.filter_bar import FilterBar
from warroom.widgets.guidance import GuidanceScreen
from warroom.widgets.health_detail import HealthDetail
from warroom.widgets.health_table import HealthTable
from warroom.widgets.help import HelpScreen
from warroom.widgets.incident_header import IncidentHeader
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.log_view import LogView
from warroom.widgets.pane import Pane
from warroom.widgets.prompt import PromptScreen
from warroom.widgets.runbook_view import RunbookView
from warroom.widgets.status_composer import StatusComposer
from warroom.widgets.timeline import TimelineScreen
from warroom.widgets.words import JAPANESE, STATE_HELP, say

JA_TITLES = ["ランブック", "ヘルス", "メトリクス", "エラーログ", "エスカレーション"]
EN_TITLES = ["Runbook", "Health", "Metrics", "Error log", "Escalation"]


def _frozen_japanese(tmp: Path) -> tuple[WarroomApp, Callable[[Pilot[int]], Awaitable[None]]]:
    """The fixtures' frozen dashboard, its runbook (and so its chrome) in Japanese."""
    return fixtures.frozen_app(tmp, lang="ja")


def _titles(screen: Screen[Any]) -> list[str]:
    """Each pane's name (the log pane's title goes on with the zone of its times)."""
    return [str(pane.border_title).split(" · ")[0] for pane in screen.query(".pane")]


def _key_line(screen: DashboardScreen) -> str:
    return screen.query_one(KeyBar).render().plain


async def test_japanese_runbook_titles_the_panes_and_keys_in_japanese(tmp_path: Path) -> None:
    app, before = _frozen_japanese(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        assert screen.runbook.lang == "ja"
        assert sorted(_titles(screen)) == sorted(JA_TITLES)
        line = _key_line(screen)
        # The runbook has focus: its keys come first, then the dashboard's, and the
        # palette key stays on the right.
        assert " space 完了 n メモ s 対象外" in line
        assert "Done" not in line and "Note" not in line
        assert line.rstrip().endswith("コマンド")
        # Wide characters take two cells: the bar is exactly the terminal's width.
        assert cell_len(line) == 80
        # The log pane's title says the zone of its times, in Japanese too.
        log_pane = screen.query_one("#log-pane", Pane)
        assert str(log_pane.border_title).startswith("エラーログ · 時刻 ")


async def test_english_runbook_keeps_the_english_chrome(tmp_path: Path) -> None:
    app, before = fixtures.frozen_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        assert screen.runbook.lang == "en"
        assert sorted(_titles(screen)) == sorted(EN_TITLES)
        line = _key_line(screen)
        assert " space Done n Note s N/A t Timeline" in line
        assert line.rstrip().endswith("palette")
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line)


async def test_the_header_words_follow_the_runbook(tmp_path: Path) -> None:
    app, before = _frozen_japanese(tmp_path)
    async with app.run_test(size=(100, 24)) as pilot:
        await before(pilot)
        screen = fixtures.dashboard(app)
        screen.summary = IncidentSummary(
            id="INC-2041",
            title="Login failures",
            severity="SEV2",
            elapsed_s=65.0,
            resolved=True,
            read_only=True,
            save_error="disk full",
        )
        await pilot.pause()
        header = screen.query_one(IncidentHeader).render().plain
        assert "未保存: disk full" in header
        assert "読み取り専用" in header and "解決済み" in header
        # The codes stay codes: the severity and the incident clock read as in English.
        assert "SEV2" in header and "T+0:01:05" in header
        assert "RESOLVED" not in header and "READ-ONLY" not in header


async def test_help_lists_every_key_in_japanese_with_the_state_codes_explained(
    tmp_path: Path,
) -> None:
    app, before = _frozen_japanese(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await before(pilot)
        await pilot.press("question_mark")
        await fixtures.until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        sections = dict(help_screen.sections)
        assert list(sections) == [
            "ダッシュボード",
            "ランブック",
            "ヘルス",
            "エラーログ",
            "共通",
            "状態",
        ]
        dashboard_rows = dict(sections["ダッシュボード"])
        assert dashboard_rows["/"] == "ログ絞込" and dashboard_rows["R"] == "解決"
        assert ("1-9", "フェーズへ移動") in sections["ランブック"]
        # UP and DOWN stay codes; what they mean is in Japanese.
        states = dict(sections["状態"])
        assert states["UP"] == "期待どおり応答している"
        assert states["DOWN"] == "チェックに失敗している"
        # No row is left in English (every description has its Japanese word).
        for title, rows in sections.items():
            for key, description in rows:
                assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", description), (title, key)
        await pilot.press("escape")
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_resolve_asks_in_japanese_and_cancel_keeps_it_open(tmp_path: Path) -> None:
    app, before = _frozen_japanese(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await before(pilot)
        await pilot.press("R")
        await fixtures.dialog(pilot, ConfirmScreen, "インシデントを解決しますか?")
        dialog = app.screen
        labels = {str(button.label) for button in dialog.query(Button)}
        assert labels == {"取り消し (n)", "解決 (y)"}
        title = dialog.query_one(".confirm-title", Static)
        assert str(title.render()) == "インシデントを解決しますか?"
        lines = str(dialog.query_one(".confirm-lines", Static).render())
        assert "ランブックの未完了項目が 82 件あります。" in lines
        await pilot.press("n")
        await fixtures.until(pilot, lambda: isinstance(app.screen, DashboardScreen))


def test_snapshot_japanese_80x24(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    app, before = _frozen_japanese(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


# --- the start-up frames -------------------------------------------------------------


async def test_start_frames_take_the_runbook_language_once_the_config_is_read(
    tmp_path: Path,
) -> None:
    loaded = fixtures.loaded_config(tmp_path, lang="ja")
    release = threading.Event()

    def starter() -> Runtime:
        release.wait(10)
        return make_runtime(loaded)

    app = start_app(starter)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StartScreen)
        # Before the config is read, nothing says which language: the frames are English.
        assert "Runbook" in [str(pane.border_title) for pane in screen.query(Pane)]
        # The frames' words, as the config is read (the dashboard replaces them after).
        screen.speak("ja")
        await pilot.pause()
        assert sorted(_titles(screen)) == sorted(JA_TITLES)
        assert "起動中…" in str(screen.query_one("#start-header", Static).render())
        assert "終了" in screen.query_one(KeyBar).render().plain
        release.set()
        # The dashboard's panes mount after it becomes the screen: wait for all five.
        await fixtures.until(
            pilot,
            lambda: (
                isinstance(app.screen, DashboardScreen)
                and sorted(_titles(app.screen)) == sorted(JA_TITLES)
            ),
        )


# --- the table -----------------------------------------------------------------------

_SCREENS: list[type[object]] = [
    DashboardScreen,
    RunbookView,
    HealthTable,
    LogView,
    FilterBar,
    HelpScreen,
    ConfirmScreen,
    TypedConfirmScreen,
    ReasonScreen,
    PromptScreen,
    ChoiceScreen,
    StatusComposer,
    TimelineScreen,
    GuidanceScreen,
    HealthDetail,
    AlertListScreen,
    ActionOutput,
    ReleaseScreen,
    StartScreen,
    WarroomApp,
]


def _descriptions(bindings: list[BindingType]) -> list[str]:
    return [b.description for b in bindings if isinstance(b, Binding) and b.description]


@pytest.mark.parametrize("owner", _SCREENS, ids=lambda owner: owner.__name__)
def test_every_key_description_has_a_japanese_word(owner: type[App[object]]) -> None:
    bindings: list[BindingType] = list(getattr(owner, "BINDINGS", []))
    missing = [d for d in _descriptions(bindings) if d not in JAPANESE]
    assert not missing, f"{owner.__name__}: no Japanese for {missing}"
    tooltips = [b.tooltip for b in bindings if isinstance(b, Binding) and b.tooltip]
    assert not [t for t in tooltips if t not in JAPANESE]


def test_templates_keep_their_fields_in_both_languages() -> None:
    for english, japanese in JAPANESE.items():
        fields = sorted(re.findall(r"\{(\w+)\}", english))
        assert sorted(re.findall(r"\{(\w+)\}", japanese)) == fields, english


def test_state_codes_stay_codes() -> None:
    for code, english, japanese in STATE_HELP:
        assert code == code.upper() and english and japanese
        assert say(code, "ja") == code  # not in the table: a code reads the same


def test_english_is_the_text_as_written() -> None:
    assert say("Runbook", "en") == "Runbook"
    assert say("Runbook", "ja") == "ランブック"
    assert say("a word nobody translated", "ja") == "a word nobody translated"

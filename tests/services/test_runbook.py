"""The runbook model: the built-in hotfix runbook, custom runbooks, and the replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.services.config import ConfigError, IncidentConfig, load_config
from warroom.services.journal.report import build_report
from warroom.services.journal.store import Event
from warroom.services.runbook.model import (
    CHOICE_MADE,
    ITEM_DONE,
    ITEM_NA,
    ITEM_NOTE,
    ITEM_UNDONE,
    Runbook,
    builtin_runbook,
    choose_language,
    load_runbook,
    load_runbook_text,
    replay,
    runbook_for,
)
from warroom.services.runbook.replay import Replayer
from warroom.services.sanitize import clean

T0 = datetime(2026, 1, 1, tzinfo=UTC)

SEED_TITLES_EN = [
    "Emergency assessment and triage",
    "Incident response setup",
    "Branch and environment setup",
    "Rapid development process",
    "Accelerated testing",
    "Rapid code review",
    "Version and tagging",
    "Staging deployment and validation",
    # The seed lists the strategy before the checklist it waits for; the built-in
    # runbook puts the checklist first, so no phase waits for a later one.
    "Pre-deployment checklist",
    "Production deployment strategy",
    "Real-time monitoring",
    "Post-deployment validation",
    "Communication and status updates",
    "Rollback procedures",
    "Post-deployment monitoring period",
    "Documentation and incident report",
    "Merge back to the main branch",
    "Post-incident activities",
]


def ev(seq: int, kind: str, actor: str = "alice", **payload: object) -> Event:
    return Event(seq, T0 + timedelta(minutes=seq), actor, kind, dict(payload))


@pytest.fixture(scope="module")
def en() -> Runbook:
    return builtin_runbook("en")


@pytest.fixture(scope="module")
def ja() -> Runbook:
    return builtin_runbook("ja")


# --- the built-in runbook ----------------------------------------------------------


def test_builtin_has_the_18_seed_steps_in_order(en: Runbook, ja: Runbook) -> None:
    assert [p.title for p in en.phases] == SEED_TITLES_EN
    # Ids keep the seed's numbers (journals name them), so p10 comes before p09.
    seed_ids = [f"p{n:02d}" for n in range(1, 19)]
    seed_ids[8], seed_ids[9] = seed_ids[9], seed_ids[8]
    assert [p.id for p in en.phases] == seed_ids
    assert ja.phases[0].title == "緊急事態評価とトリアージ"
    assert ja.phases[17].title == "インシデント後活動"


def test_code_block_checkboxes_are_items(en: Runbook) -> None:
    testing = [i.text for i in en.phases[4].items]
    assert testing[1:] == [
        "Core functionality works correctly",
        "Hotfix resolves the critical issue",
        "No new issues introduced",
        "Critical user flows remain functional",
    ]
    checks = [i.text for i in en.phases[8].items][:5]
    assert checks == [
        "Database backup completed successfully",
        "Rollback plan documented and ready",
        "Monitoring alerts configured and active",
        "Team members standing by for support",
        "Communication channels established",
    ]


def test_command_groups_carry_their_commands(en: Runbook) -> None:
    item = en.item("p03.branch-from-tag")
    assert item is not None
    assert item.text == "Create the hotfix branch from the production tag"
    assert item.commands.splitlines()[0] == "git fetch --tags"
    assert "git checkout -b {branch}" in item.commands
    curl = en.item("p08.critical-path")
    assert curl is not None and curl.commands.endswith('"password":"testpass"}\'')


def test_japanese_text_is_the_reviewed_wording(ja: Runbook) -> None:
    item = ja.item("p15.watch-window")
    assert item is not None and item.text == "デプロイ後2〜4時間、システムを監視"


def test_both_languages_are_complete(en: Runbook, ja: Runbook) -> None:
    assert en.item_count == ja.item_count
    for pe, pj in zip(en.phases, ja.phases, strict=True):
        assert pe.title != pj.title
        for ie, ij in zip(pe.items, pj.items, strict=True):
            assert ie.id == ij.id and ie.commands == ij.commands
            assert ie.text and ij.text and ie.text != ij.text
            assert not any("\u3040" <= c <= "\u30ff" for c in ie.text), ie.text
    assert [g.id for g in en.guidance] == ["best-practices", "escalation", "important-notes"]
    for ge, gj in zip(en.guidance, ja.guidance, strict=True):
        assert len(ge.lines) == len(gj.lines) > 0
    assert "15 minutes: escalate to the senior engineer" in en.guidance[1].lines


def test_reviewed_japanese_has_no_known_mistranslations(ja: Runbook) -> None:
    texts = [ja.title, ja.summary]
    for phase in ja.phases:
        texts.append(phase.title)
        texts.extend(item.text for item in phase.items)
        if phase.choice is not None:
            texts.append(phase.choice.title)
            texts.extend(option.label for option in phase.choice.options)
    texts.extend(line for guide in ja.guidance for line in [guide.title, *guide.lines])
    whole = "\n".join(texts)
    # Typos and Chinese characters that slipped into the first translation.
    for wrong in ("緒急", "估計", "ワールーム", "任意の問題", "あらゆる本番"):
        assert wrong not in whole
    urgency = ja.item("p01.urgency")
    assert urgency is not None and urgency.text == "時間的な緊急度とビジネスへの影響を見積もり"
    war_room = ja.item("p02.war-room")
    assert war_room is not None and war_room.text.startswith("ウォールーム")
    # Conditions to confirm read as conditions, actions end on their verb.
    backup = ja.item("p10.db-backup")
    assert backup is not None and backup.text.endswith("していること")


def test_builtin_commands_name_versions_by_role(en: Runbook) -> None:
    commands = "\n".join(item.commands for phase in en.phases for item in phase.items)
    for literal in ("v1.2.3", "v1.2.4", "critical-auth-fix"):
        assert literal not in commands
    for name in ("{production_tag}", "{version}", "{previous_version}", "{branch}"):
        assert name in commands
    deploy = en.item("p10.deploy-production")
    assert deploy is not None and deploy.commands == "./deploy-production.sh {version}"


def test_language_choice() -> None:
    assert choose_language("ja", {"LANG": "en_US.UTF-8"}) == "ja"
    assert choose_language("en", {"LANG": "ja_JP.UTF-8"}) == "en"
    assert choose_language(None, {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert choose_language(None, {"LANG": "C"}) == "en"
    assert choose_language(None, {}) == "en"


def test_runbook_for_config(tmp_path: Path) -> None:
    custom = tmp_path / "rb.toml"
    custom.write_text(MINIMAL)
    cfg = tmp_path / "warroom.toml"
    cfg.write_text('[runbook]\npath = "rb.toml"\nlang = "ja"\n')
    runbook = runbook_for(load_config(cfg), env={})
    assert runbook.lang == "ja" and runbook.phases[0].title == "準備"
    cfg.write_text("")
    assert runbook_for(load_config(cfg), env={"LANG": "ja_JP"}).id == "hotfix"


# --- choices and gating ----------------------------------------------------------------


def test_choosing_blue_green_makes_rolling_not_applicable(en: Runbook) -> None:
    state = replay(en, [ev(1, CHOICE_MADE, choice="p09.strategy", option="blue-green")])
    phase = state.phases[9]
    assert phase.choice is not None and phase.choice.selected == "blue-green"
    by_id = {s.item.id: s for s in phase.items}
    assert by_id["p09.rolling-first-batch"].status == "na"
    assert by_id["p09.rolling-first-batch"].reason == "Strategy: Blue-Green"
    assert by_id["p09.bg-deploy-blue"].status == "open"
    assert phase.finished == 3 and phase.total == 7
    switched = replay(
        en,
        [
            ev(1, CHOICE_MADE, choice="p09.strategy", option="blue-green"),
            ev(2, CHOICE_MADE, choice="p09.strategy", option="rolling"),
        ],
    )
    by_id = {s.item.id: s for s in switched.phases[9].items}
    assert by_id["p09.rolling-first-batch"].status == "open"
    assert by_id["p09.bg-switch"].status == "na"


def test_production_deployment_is_gated_by_the_checklist(en: Runbook) -> None:
    state = replay(en, [])
    assert state.phases[9].gated
    assert "p10.db-backup" in state.phases[9].unmet
    deploy = state.item("p10.deploy-production")
    assert deploy is not None and deploy.gated
    checks = ["p10.db-backup", "p10.rollback-plan", "p10.monitoring-alerts"]
    events = [ev(i, ITEM_DONE, item=c) for i, c in enumerate(checks, start=1)]
    events += [
        ev(4, ITEM_NA, item="p10.team-standby", reason="solo"),
        ev(5, ITEM_DONE, item="p10.channels"),
    ]
    after = replay(en, events)
    deploy = after.item("p10.deploy-production")
    assert deploy is not None and not deploy.gated
    assert after.phases[9].unmet == ("p08",)
    staged = [ev(10 + i, ITEM_DONE, item=i_.id) for i, i_ in enumerate(en.phases[7].items)]
    assert not replay(en, events + staged).phases[9].gated


def test_current_phase_is_the_first_incomplete(en: Runbook) -> None:
    assert replay(en, []).current == 0
    events = [ev(i, ITEM_DONE, item=item.id) for i, item in enumerate(en.phases[0].items, 1)]
    state = replay(en, events)
    assert state.current == 1 and state.phases[0].complete
    assert state.finished == 5 and state.total == en.item_count


def test_orphaned_events_are_kept(en: Runbook) -> None:
    events = [
        ev(1, ITEM_DONE, item="p99.gone"),
        ev(2, ITEM_NOTE, item="p99.gone", text="was here"),
        ev(3, CHOICE_MADE, choice="p09.strategy", option="canary"),
        ev(4, "escalation.ack", level=1),
    ]
    state = replay(en, events)
    assert [s.item.id for s in state.orphaned] == ["p99.gone"]
    assert state.orphaned[0].status == "done" and state.orphaned[0].note == "was here"
    assert [e.seq for e in state.orphan_events] == [1, 2, 3]
    assert state.last_seq == 3  # the acknowledgement is not the checklist's


def test_the_checklist_is_the_same_value_while_other_events_come(en: Runbook) -> None:
    # Alerts and acknowledgements come all the time: the screen redraws the checklist
    # only when a checklist event changed it.
    replayer = Replayer(en)
    replayer.feed([ev(1, ITEM_DONE, item=en.phases[0].items[0].id)])
    first = replayer.state()
    replayer.feed([ev(2, "escalation.ack", level=1), ev(3, "alert.raised", subject="x")])
    assert replayer.state() is first
    replayer.feed([ev(4, ITEM_UNDONE, item=en.phases[0].items[0].id)])
    undone = replayer.state()
    assert undone is not first
    assert undone.phases[0].items[0].status == "open" and undone.last_seq == 4


# --- custom runbooks -----------------------------------------------------------------

MINIMAL = """
id = "mini"
title = "Mini"
[[phase]]
id = "prep"
title_en = "Prepare"
title_ja = "準備"
[[phase.item]]
id = "prep.a"
text = "Do A"
commands = "echo a"
[[phase]]
id = "ship"
title = "Ship"
requires = ["prep"]
[[phase.item]]
id = "ship.b"
text = "Do B"
"""


def test_custom_runbook_loads(tmp_path: Path) -> None:
    path = tmp_path / "rb.toml"
    path.write_text(MINIMAL)
    runbook = load_runbook(path, "en")
    assert [p.id for p in runbook.phases] == ["prep", "ship"]
    assert runbook.phases[1].requires == ("prep",)
    assert replay(runbook, []).phases[1].gated
    assert not replay(runbook, [ev(1, ITEM_DONE, item="prep.a")]).phases[1].gated


BAD = [
    ("phase = 3", "warroom: rb.toml: phase: must be an array of tables"),
    ("title = 'x'", "warroom: rb.toml: phase: a runbook needs at least one [[phase]]"),
    ("colour = 1", "warroom: rb.toml: colour: unknown key"),
    ("[[phase]]\ntitle = 'x'", "warroom: rb.toml: phase[1].id: missing required key"),
    (
        "[[phase]]\nid = 'a b'\ntitle = 'x'",
        "warroom: rb.toml: phase[1].id: must be letters, digits, . _ : - (got 'a b')",
    ),
    (
        "[[phase]]\nid = 'a'\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].title: missing required key",
    ),
    (
        "[[phase]]\nid = 'a'\ntitle = 'A'",
        "warroom: rb.toml: phase[1].item: a phase needs at least one [[phase.item]]",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'",
        "warroom: rb.toml: phase[1].item[1].text: missing required key",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\nwhen='now'",
        "warroom: rb.toml: phase[1].item[1].when: unknown key",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\n[[phase.item]]\nid='i'\ntext='u'",
        "warroom: rb.toml: phase[1].item[2].id: duplicate id 'i'",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\nrequires=['zz']\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].requires: no phase or item 'zz'",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\nrequires=['a']\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].requires: 'a' cannot require itself or its own phase",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\noption='x'",
        "warroom: rb.toml: phase[1].item[1].option: the phase has no [phase.choice]",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[phase.choice]\nid='c'\ntitle='C'\n"
        "options=[{id='x', label='X'}]\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].choice.options: a choice needs at least two options",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[phase.choice]\nid='c'\ntitle='C'\n"
        "options=[{id='x', label='X'},{id='y', label='Y'}]\n"
        "[[phase.item]]\nid='i'\ntext='t'\noption='z'",
        "warroom: rb.toml: phase[1].item[1].option: no option 'z' in 'c'",
    ),
    ("[[phase]]\nid='a'\ntitle=''", "warroom: rb.toml: phase[1].title: must be a non-empty string"),
    # A misspelt key is named before the missing one it explains.
    (
        "[[phase]]\nid='a'\ntittle='A'\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].tittle: unknown key",
    ),
    ("phase = [1]", "warroom: rb.toml: phase[1]: must be a table"),
    (
        "[[phase]]\nid='a'\ntitle='A'\nrequires=['x', 2]\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].requires: must be a list of strings",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\nmarks_deploy='yes'",
        "warroom: rb.toml: phase[1].item[1].marks_deploy: must be true or false",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\ncommands=1",
        "warroom: rb.toml: phase[1].item[1].commands: must be a string",
    ),
    (
        "[[phase]]\nid=7\ntitle='A'",
        "warroom: rb.toml: phase[1].id: must be letters, digits, . _ : - (got 7)",
    ),
    (
        "[[phase]]\nid='a'\ntitle_ja=3\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: phase[1].title_ja: must be a non-empty string",
    ),
    (
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'\naction=''",
        "warroom: rb.toml: phase[1].item[1].action: must be the name of an [actions] command",
    ),
    (
        "[[guidance]]\nid='g'\ntitle='G'\nlines=['a', 1]\n"
        "[[phase]]\nid='a'\ntitle='A'\n[[phase.item]]\nid='i'\ntext='t'",
        "warroom: rb.toml: guidance[1].lines: must be a list of strings",
    ),
    ("[[phase]\n", None),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_custom_runbook_errors_are_one_line(text: str, message: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        load_runbook_text(text, "rb.toml", "en")
    text_of_error = str(info.value)
    assert "\n" not in text_of_error
    if message is None:
        assert text_of_error.startswith("warroom: rb.toml: TOML syntax error:")
    else:
        assert text_of_error == message


def test_runbook_and_config_report_a_syntax_error_alike(tmp_path: Path) -> None:
    """One TOML reader: the same mistake reads the same, with its line and column."""
    broken = "[[phase]]\nid = 'a'\nid = 'b'\n"
    runbook = tmp_path / "rb.toml"
    runbook.write_text(broken)
    config = tmp_path / "warroom.toml"
    config.write_text("[incident]\nid = 'a'\nid = 'b'\n")
    with pytest.raises(ConfigError) as from_runbook:
        load_runbook(runbook, "en", "rb.toml")
    with pytest.raises(ConfigError) as from_config:
        load_config(config)
    assert from_runbook.value.problem == from_config.value.problem
    assert from_runbook.value.problem.endswith("(at line 3, column 9)")
    assert str(from_runbook.value).startswith("warroom: rb.toml: TOML syntax error: ")


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"\xff\xfe", "not UTF-8 text (byte 0)"), (None, "is a directory, not a file")],
)
def test_unreadable_custom_runbook(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "rb.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_runbook(path, "en", "rb.toml")
    assert str(info.value) == f"warroom: rb.toml: {problem}"


def test_missing_custom_runbook_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^warroom: runbooks/x.toml: runbook file not found$"):
        load_runbook(tmp_path / "nope.toml", "en", "runbooks/x.toml")


def test_untrusted_runbook_text_is_cleaned() -> None:
    text = "[[phase]]\nid='a'\ntitle='A\\u001b[2J'\n[[phase.item]]\nid='i'\ntext='t'"
    runbook = load_runbook_text(text, "rb.toml", "en")
    assert "\x1b" not in runbook.phases[0].title


# --- the replay, as a property -------------------------------------------------------

_RUNBOOK = builtin_runbook("en")
_IDS = [*[item.id for phase in _RUNBOOK.phases for item in phase.items][:12], "p99.orphan"]

_event_spec = st.tuples(
    st.sampled_from([ITEM_DONE, ITEM_UNDONE, ITEM_NOTE, ITEM_NA]),
    st.sampled_from(_IDS),
    st.sampled_from(["alice", "bob"]),
    st.text(min_size=0, max_size=8),
)


def _events(specs: list[tuple[str, str, str, str]]) -> list[Event]:
    out = []
    for seq, (kind, item, actor, text) in enumerate(specs, start=1):
        payload: dict[str, object] = {"item": item}
        if kind == ITEM_NOTE:
            payload["text"] = text
        if kind == ITEM_NA:
            payload["reason"] = text
        out.append(Event(seq, T0 + timedelta(seconds=seq), actor, kind, payload))
    return out


def _model(specs: list[tuple[str, str, str, str]]) -> dict[str, tuple[str, str, list[str]]]:
    """The obvious reference: last status change wins, notes accumulate."""
    model: dict[str, tuple[str, str, list[str]]] = {}
    for kind, item, actor, text in specs:
        status, by, notes = model.get(item, ("open", "", []))
        if kind == ITEM_DONE:
            status, by = "done", actor
        elif kind == ITEM_UNDONE:
            status, by = "open", actor
        elif kind == ITEM_NA:
            status, by = "na", actor
        elif clean(text).strip():
            notes = [*notes, clean(text)]
        model[item] = (status, by, notes)
    return model


@settings(max_examples=60, deadline=None)
@given(st.lists(_event_spec, max_size=40), st.randoms())
def test_replay_matches_the_model_and_the_report(specs, rnd) -> None:  # type: ignore[no-untyped-def]
    events = _events(specs)
    state = replay(_RUNBOOK, events)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert replay(_RUNBOOK, shuffled) == state
    model = _model(specs)
    report = build_report(IncidentConfig(id="INC-1"), _RUNBOOK, shuffled, T0)
    items = {i["id"]: i for p in report["phases"] for i in p["items"]}
    items.update({i["id"]: i for i in report["orphaned"]})
    for item_id in _IDS:
        status, by, notes = model.get(item_id, ("open", "", []))
        got = state.item(item_id)
        if item_id == "p99.orphan" and item_id not in model:
            assert got is None
            continue
        assert got is not None
        assert (got.status, got.by, [n.text for n in got.notes]) == (status, by, notes)
        assert items[item_id]["state"] == status
        assert items[item_id]["by"] == (by or None)
        assert items[item_id]["note"] == (notes[-1] if notes else None)
    open_ids = {i["id"] for i in report["open_items"]}
    assert open_ids == {s.item.id for _, s in state.open_items()}
    assert [e["seq"] for e in report["timeline"]] == list(range(1, len(events) + 1))


def test_a_successful_action_ticks_the_items_it_performs() -> None:
    runbook = builtin_runbook("en")
    state = replay(
        runbook,
        [
            ev(1, "action.finished", "deployer", name="production", state="succeeded"),
            ev(2, "action.finished", "deployer", name="validate", state="failed"),
        ],
    )
    deployed = state.item("p10.deploy-production")
    assert deployed is not None and deployed.status == "done" and deployed.by == "deployer"
    validated = state.item("p08.critical-path")
    assert validated is not None and validated.status == "open"


def test_an_action_does_not_overrule_not_applicable() -> None:
    runbook = builtin_runbook("en")
    state = replay(
        runbook,
        [
            ev(1, "item.na", "alice", item="p12.auth-login", reason="no test account"),
            ev(2, "action.finished", "bob", name="smoke", state="succeeded"),
        ],
    )
    smoke = state.item("p12.auth-login")
    assert smoke is not None and smoke.status == "na"


def test_a_rollback_does_not_tick_rollback_script_ready() -> None:
    # Rolling back is not what "the rollback script is ready" says: it stays open.
    state = replay(
        builtin_runbook("en"),
        [ev(1, "action.finished", "carol", name="rollback", state="succeeded")],
    )
    rollback = state.item("p14.rollback-script")
    assert rollback is not None and rollback.status == "open"


@settings(max_examples=60, deadline=None)
@given(st.lists(_event_spec, max_size=40), st.lists(st.integers(1, 6), max_size=20))
def test_feeding_in_batches_is_the_whole_replay(
    specs: list[tuple[str, str, str, str]], cuts: list[int]
) -> None:
    # The session feeds each batch as it arrives; the state must be the one a replay
    # of the whole journal gives, after every batch.
    events = _events(specs)
    replayer = Replayer(_RUNBOOK)
    start = 0
    for size in [*cuts, len(events)]:
        batch = events[start : start + size]
        replayer.feed(batch)
        start += len(batch)
        assert replayer.state() == replay(_RUNBOOK, events[:start])

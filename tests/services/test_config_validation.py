"""Hostile and mistaken configs: one line naming file, key path and problem; exit 2.

Each case is checked through the loader and through the real `warroom` command in a
subprocess (`python -m warroom`), since a traceback only shows in the second.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warroom.services.config import ConfigError, load_config
from warroom.tui.theme_names import theme_names

METRIC = "[[metric]]\nname = 'cpu'\nsource = 'psutil'\nquery = 'cpu'\n"

CASES: list[tuple[str, str, str]] = [
    (
        "nested-arrays",
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a: nested more than 32 levels deep",
    ),
    (
        "dotted-tables",
        "[" + ".".join(["t"] * 3000) + "]\nx = 1\n",
        "t.t.t.t.…: nested more than 32 levels deep",
    ),
    (
        "inline-tables",
        "[incident]\nx = " + "{ a = " * 3000 + "1" + " }" * 3000 + "\n",
        "x: nested more than 32 levels deep",
    ),
    ("nan", METRIC + "warn = nan\n", "metric[1].warn: must be a finite number (not nan or inf)"),
    ("inf", METRIC + "crit = 1e400\n", "metric[1].crit: must be a finite number (not nan or inf)"),
    (
        "huge-duration",
        "[escalation]\nstatus_every = '99999999999999999999h'\n",
        "escalation.status_every: duration '99999999999999999999h' is longer than the most"
        " allowed, 366d",
    ),
    (
        "huge-number-duration",
        METRIC + "interval = 1e300\n",
        "metric[1].interval: duration 1e+300 is longer than the most allowed, 366d",
    ),
    (
        "huge-integer",
        METRIC + "pid = 99999999999999999999\n",
        "metric[1].pid: integer out of range (TOML integers are 64-bit)",
    ),
    (
        "duplicate-log",
        "[[log]]\nname = 'app'\npath = 'a.log'\n[[log]]\nname = 'app'\npath = 'b.log'\n",
        "log[2].name: duplicate log name 'app'",
    ),
    (
        "unknown-gate",
        METRIC + "[actions]\ngates = ['cpu', 'api health']\n",
        "actions.gates[2]: no endpoint or metric named 'api health'",
    ),
    ("missing-runbook", "[runbook]\npath = 'nope.toml'\n", "runbook.path: runbook file not found"),
    (
        "bidi-name",
        "[[endpoint]]\nname = \"api\\u202egpj.exe\"\nurl = 'http://127.0.0.1:9/'\n",
        "endpoint[1].name: control character U+202E not allowed",
    ),
    (
        "escape-in-key",
        '[incident]\n"\\u001b[2Jx" = 1\n',
        "incident.␛[2Jx: control character U+001B (ESC) in a key name",
    ),
    (
        "escape-in-url",
        "[[notify]]\nurl = 'http://127.0.0.1:9/\\u001b]0;pwned\\u0007'\n".replace("'", '"'),
        "notify[1].url: control character U+001B (ESC) not allowed",
    ),
    (
        "zero-width-in-argv",
        '[actions.commands.deploy]\nargv = ["./deploy.sh", "v1\\u200d"]\n',
        "actions.commands.deploy.argv[2]: control character U+200D not allowed",
    ),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "warroom.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_loader_gives_one_line(tmp_path: Path, case: str, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, themes=theme_names())
    message = str(caught.value)
    assert message.startswith(f"warroom: {path}: {expected}"), message
    assert "\n" not in message and "\x1b" not in message


def _warroom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warroom", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_validate_command_exits_2_with_one_line(
    tmp_path: Path, case: str, text: str, expected: str
) -> None:
    _write(tmp_path, text)
    result = _warroom("config", "--validate", "--config", "warroom.toml", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"warroom: warroom.toml: {expected}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_unknown_theme_in_the_config(tmp_path: Path) -> None:
    path = _write(tmp_path, "[ui]\ntheme = 'bogus'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, themes=theme_names())
    assert str(caught.value).startswith(f"warroom: {path}: ui.theme: unknown theme 'bogus' (one of")
    assert "warroom-dark" in str(caught.value)
    result = _warroom("config", "--validate", "--config", "warroom.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("warroom: warroom.toml: ui.theme: unknown theme 'bogus'")
    assert result.stderr.count("\n") == 1


def test_every_shipped_theme_is_accepted(tmp_path: Path) -> None:
    for name in sorted(theme_names()):
        path = _write(tmp_path, f"[ui]\ntheme = '{name}'\n")
        assert load_config(path, env={}, themes=theme_names()).config.ui.theme == name


@pytest.mark.parametrize("argv", [["--theme", "bogus"], ["demo", "--theme", "bogus"]])
def test_unknown_theme_on_the_command_line(tmp_path: Path, argv: list[str]) -> None:
    _write(tmp_path, "[incident]\nid = 'INC-1'\n")
    result = _warroom(*argv, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("warroom: --theme: unknown theme 'bogus' (one of")
    assert result.stderr.count("\n") == 1


def test_the_dashboard_refuses_a_missing_runbook_before_it_starts(tmp_path: Path) -> None:
    _write(tmp_path, "[runbook]\npath = 'runbooks/ours.toml'\n")
    result = _warroom(cwd=tmp_path)
    assert result.returncode == 2
    missing = tmp_path / "runbooks" / "ours.toml"
    assert (
        result.stderr == f"warroom: warroom.toml: runbook.path: runbook file not found: {missing}\n"
    )


def test_validate_parses_a_custom_runbook(tmp_path: Path) -> None:
    (tmp_path / "ours.toml").write_text("[[phase]]\nid = 'p1'\n", encoding="utf-8")
    _write(tmp_path, "[runbook]\npath = 'ours.toml'\n")
    result = _warroom("config", "--validate", "--config", "warroom.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("warroom: ours.toml: ")
    assert result.stderr.count("\n") == 1


def test_prose_is_made_visible_not_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[incident]\ntitle = "\\u001b[2J\\u001b[Hdown\\u200d\\u202e"\n'
        '[[escalation.levels]]\nafter = \'15m\'\nrole = "SRE\\u0007"\ncontact = "+1\\u009b555"\n',
    )
    config = load_config(path, env={}).config
    assert config.incident.title == "␛[2J␛[Hdown<U+200D><U+202E>"
    assert config.escalation.levels[0].role == "SRE␇"
    assert config.escalation.levels[0].contact == "+1<U+009B>555"


def test_a_command_may_hold_a_newline_script(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[actions.commands.deploy]\nargv = ["sh", "-c", "echo one\\necho two"]\n',
    )
    argv = load_config(path, env={}).config.actions.commands["deploy"].argv
    assert argv[2] == "echo one\necho two"


def test_an_error_never_quotes_a_secret(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[notify]]\nurl = '${env:HOOK}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"HOOK": "ftp://hooks.example/T0KEN-Secret"})
    assert "T0KEN-Secret" not in str(caught.value)
    assert str(caught.value).startswith(f"warroom: {path}: notify[1].url: must match pattern")


def test_a_control_character_from_the_environment_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "[[endpoint]]\nname = 'api'\nurl = 'http://127.0.0.1:9/${env:TOK}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"TOK": "abc\x1b]0;x\x07def"})
    assert str(caught.value) == (
        f"warroom: {path}: endpoint[1].url: control character U+001B (ESC) not allowed"
        " (in its ${env:} value)"
    )

"""Config errors: each bad file gives exactly one line naming the file, key path and problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warroom.services.config import ConfigError, load_config, parse_config, parse_duration

GOOD = """
[incident]
id = "INC-42"
title = "Auth failures"
severity = "SEV1"
started = 2026-11-26T04:00:00Z

[[endpoint]]
name = "api"
url = "http://127.0.0.1:8080/health"
interval = "5s"
timeout = "500ms"
headers = { Authorization = "Bearer ${env:API_TOKEN}" }
"""

BAD: list[tuple[str, str]] = [
    ("[incident]\nid = 'x'\ncolour = 'red'\n", "incident.colour: unknown key"),
    ("[incidnet]\nid = 'x'\n", "incidnet: unknown key"),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'http://x'\ninterval = '5 sec'\n",
        "endpoint[1].interval: invalid duration '5 sec' (use e.g. 500ms, 5s, 15m, 2h)",
    ),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'http://x'\n"
        "[[endpoint]]\nname = 'b'\nurl = 'http://y'\ntimeout = '6s'\n",
        "endpoint[2].timeout: must be below the interval (6s >= 5s)",
    ),
    (
        "[incident]\nseverity = 'SEV9'\n",
        "incident.severity: must be 'SEV1', 'SEV2', 'SEV3' or 'SEV4' (got 'SEV9')",
    ),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'http://x'\nheaders = { A = '${env:WARROOM_NOPE}' }\n",
        "endpoint[1].headers.A: environment variable WARROOM_NOPE is not set",
    ),
    ("[[endpoint]]\nurl = 'http://x'\n", "endpoint[1].name: missing required key"),
    (
        "[incident]\nstarted = 2026-01-01T00:00:00\n",
        "incident.started: needs a time zone, e.g. 2026-11-26T04:00:00Z",
    ),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'http://x'\nfailure_threshold = 0\n",
        "endpoint[1].failure_threshold: must be greater than or equal to 1 (got 0)",
    ),
    (
        "[[metric]]\nname = 'cpu'\nsource = 'cpu'\n",
        "metric[1].source: must be 'psutil', 'prometheus', 'promql', 'health', 'log', 'json'"
        " or 'ratio' (got 'cpu')",
    ),
    (
        "[[metric]]\nname = 'cpu'\nsource = 'psutil'\n",
        "metric[1].query: required when source = 'psutil'",
    ),
    (
        "[[metric]]\nname = 'cpu'\nsource = 'psutil'\nquery = 'gpu'\n",
        "metric[1].query: must be 'cpu', 'memory', 'load', 'process_cpu' or 'process_rss'"
        " (got 'gpu')",
    ),
    (
        "[[metric]]\nname = 'e'\nsource = 'promql'\nurl = 'http://prom:9090'\n",
        "metric[1].query: required when source = 'promql'",
    ),
    (
        "[[metric]]\nname = 'e'\nsource = 'promql'\nquery = 'up'\n",
        "metric[1].url: required when source = 'promql'",
    ),
    (
        "[[metric]]\nname = 'e'\nsource = 'promql'\nurl = 'prom:9090'\nquery = 'up'\n",
        "metric[1].url: must be the Prometheus server's http(s):// URL (got 'prom:9090')",
    ),
    (
        "[[metric]]\nname = 'e'\nsource = 'promql'\nurl = 'http://prom'\nquery = ' '\n",
        "metric[1].query: must be a PromQL expression",
    ),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'ftp://x'\n",
        "endpoint[1].url: must match pattern '^https?://' (got 'ftp://x')",
    ),
    (
        "[[log]]\nname = 'app'\n",
        "log[1]: needs exactly one of path or command",
    ),
    (
        "[escalation]\nlevels = [{ after = '30m', role = 'a' }, { after = '15m', role = 'b' }]\n",
        "escalation.levels[2].after: must be later than the level before",
    ),
    (
        "[incident]\nid = 'x'\nid = 'y'\n",
        "TOML syntax error: Cannot overwrite a value (at line 3, column 9)",
    ),
    (
        "[incident\n",
        "TOML syntax error: Expected ']' at the end of a table declaration (at line 1, column 10)",
    ),
    (
        "[[metric]]\nname = 'r'\nsource = 'ratio'\nnumerator = 'a'\ndenominator = 'b'\n",
        "metric[1].numerator: no other metric named 'a'",
    ),
    (
        "[[endpoint]]\nname = 'a'\nurl = 'http://x'\nexpect_status = ['2xx']\n",
        "endpoint[1].expect_status[1]: invalid status '2xx' (use 200, or a range such as"
        ' "200-399")',
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_config_gives_one_exact_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "warroom.toml", env={})
    assert str(caught.value) == f"warroom: warroom.toml: {expected}"
    assert "\n" not in str(caught.value)


def test_good_config_parses_with_env_substitution() -> None:
    config = parse_config(GOOD, "warroom.toml", env={"API_TOKEN": "s3cret"})
    assert config.incident.severity == "SEV1"
    assert config.endpoint[0].headers["Authorization"] == "Bearer s3cret"
    assert config.endpoint[0].timeout == 0.5
    assert [level.after for level in config.escalation.levels] == [900, 1800, 3600]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("5s", 5.0), ("15m", 900.0), ("2h", 7200.0), ("1h30m", 5400.0), (3, 3.0)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 sec", "m5", "-1s", "5s5", True])
def test_bad_durations(text: str | bool) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert str(caught.value) == f"warroom: {tmp_path / 'nope.toml'}: file not found"


def test_example_config_is_valid() -> None:
    example = Path(__file__).parents[2] / "examples" / "warroom.toml"
    loaded = load_config(example, env={"API_TOKEN": "t", "SLACK_WEBHOOK_URL": "https://h/x"})
    assert loaded.config.endpoint


def _warroom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warroom", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[incident]\nid = 'INC-1'\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[incident]\nid = 'INC-1'\nsev = 'x'\n")
    ok = _warroom("config", "--validate", "--config", str(good), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    failed = _warroom("config", "--validate", "--config", str(bad), cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr == f"warroom: {bad}: incident.sev: unknown key\n"
    assert "Traceback" not in failed.stderr


def test_dashboard_with_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "warroom.toml").write_text("[[endpoint]]\nname = 1\nurl = 'http://x'\n")
    result = _warroom(cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr == "warroom: warroom.toml: endpoint[1].name: must be a valid string (got 1)\n"
    )

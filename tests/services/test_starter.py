"""`warroom init`'s engine: TOML escaping, the tag survey, the metrics chosen, the text.

The escaping is proven by reading back with tomllib; the survey and the choice of
metrics are pure rules with table tests; the rendered config goes through the real
loader, and the look probes real servers on loopback.
"""

from __future__ import annotations

import http.server
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warroom.services.clock import SystemClock
from warroom.services.config import parse_config
from warroom.services.config.toml_text import comment, toml_key, toml_value
from warroom.services.metrics.prometheus import parse_exposition
from warroom.services.release.survey import TagSurvey, survey_names, survey_tags, tag_pattern
from warroom.services.starter.look import look, probe_urls, version_key
from warroom.services.starter.metrics import suggest_metrics
from warroom.services.starter.plan import (
    EndpointPlan,
    LogPlan,
    StarterPlan,
    endpoint_name,
    unique,
    written_path,
)
from warroom.services.starter.render import render_starter

AWKWARD = [
    'a "quoted" name',
    "C:\\logs\\error.log",
    "back\\slash at the end\\",
    "tab\there",
    "new\nline",
    "bell\x07 del\x7f esc\x1b",
    "ünïcødé ログ 🚀",
    '\'single\' and """triple"""',
    "${env:HOME} stays literal",
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_every_string_round_trips_through_tomllib(text: str) -> None:
    document = f"{toml_key('k')} = {toml_value(text)}\n"
    assert tomllib.loads(document) == {"k": text}


def test_arrays_tables_numbers_and_awkward_keys_round_trip() -> None:
    value = {"status": "~5..", "a.b": 'x"y'}
    items = ["a", "b\\c"]
    document = "\n".join(
        [
            f"t = {toml_value(value)}",
            f"l = {toml_value(items)}",
            f"f = {toml_value(0.95)}",
            f"i = {toml_value(3)}",
            f"b = {toml_value(True)}",
            f"{toml_key('odd key')} = 1",
        ]
    )
    assert tomllib.loads(document) == {
        "t": value,
        "l": items,
        "f": 0.95,
        "i": 3,
        "b": True,
        "odd key": 1,
    }


def test_a_comment_stays_one_line_whatever_it_quotes() -> None:
    line = comment('evil\n[incident]\nid = "X"\r\x1b]0;title\x07')
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    # Still a comment: read back, it adds nothing.
    assert tomllib.loads(line + "\n") == {}


# --- the tag survey ---------------------------------------------------------------------

SURVEYS = [
    # tags, branches -> production, pre-releases, pattern, main
    (["v1.9.0", "v1.10.0", "v2.0.0-rc1"], ["main"], "v1.10.0", ("v2.0.0-rc1",), "v*", "main"),
    (["v1.2.3", "latest", "deploy-2026"], ["master"], "v1.2.3", (), "v*", "master"),
    (["1.0.0", "1.1.0-beta.1"], ["trunk"], "1.0.0", ("1.1.0-beta.1",), "*", "trunk"),
    (["v3.0.0-alpha"], ["main", "dev"], None, ("v3.0.0-alpha",), "v*", "main"),
    ([], [], None, (), "v*", "main"),
]


@pytest.mark.parametrize(("tags", "branches", "prod", "pre", "pattern", "main"), SURVEYS)
def test_the_survey_picks_production_as_the_release_bar_does(
    tags: list[str],
    branches: list[str],
    prod: str | None,
    pre: tuple[str, ...],
    pattern: str,
    main: str,
) -> None:
    survey = survey_names(tags, branches, Path("/repo"))
    assert survey.production == prod
    assert survey.prereleases == pre
    assert survey.pattern == pattern == tag_pattern(tags)
    assert survey.main_branch == main


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_the_survey_finds_the_repository_from_a_subfolder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "first")
    for tag in ("v1.9.0", "v1.10.0", "v2.0.0-rc1"):
        _git(repo, "tag", tag)
    (repo / "deep" / "er").mkdir(parents=True)
    survey = survey_tags(repo / "deep" / "er")
    assert survey.repo_dir == repo
    assert survey.tags == ("v1.9.0", "v1.10.0", "v2.0.0-rc1")
    assert survey.production == "v1.10.0"


def test_no_repository_is_not_an_error(tmp_path: Path) -> None:
    assert survey_tags(tmp_path) == TagSurvey(repo_dir=None)


# --- metrics chosen from a page ---------------------------------------------------------

PAGE = """\
# TYPE http_requests_total counter
http_requests_total{status="200"} 40
http_requests_total{status="503"} 2
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 3
http_request_duration_seconds_bucket{le="+Inf"} 4
http_request_duration_seconds_sum 1.2
http_request_duration_seconds_count 4
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.5e+07
"""


def test_a_page_with_latency_requests_and_status_gets_the_runbook_figures() -> None:
    url = "http://127.0.0.1:1/metrics"
    metrics, others, families = suggest_metrics(url, parse_exposition(PAGE))
    assert [m.name for m in metrics] == ["Response time p95", "Requests/s", "5xx/s", "Error rate"]
    assert dict(metrics[2].keys)["labels"] == {"status": "~5.."}
    assert others == ("process_resident_memory_bytes (gauge)",)
    assert families == 3


def test_a_page_without_known_names_graphs_its_first_counter_as_a_rate() -> None:
    page = "# TYPE jobs_done_total counter\njobs_done_total 7\n# TYPE temp gauge\ntemp 3\n"
    metrics, others, _ = suggest_metrics("http://h/metrics", parse_exposition(page))
    assert [m.name for m in metrics] == ["jobs_done_total/s"]
    assert dict(metrics[0].keys)["rate"] is True
    assert others == ("temp (gauge)",)


# --- names and paths --------------------------------------------------------------------


def test_names_are_short_and_unique() -> None:
    assert endpoint_name("http://127.0.0.1:8080/health") == "127.0.0.1:8080/health"
    assert endpoint_name("https://api.example.com/") == "api.example.com"
    assert unique(["a", "a", "b", "a"]) == ["a", "a (2)", "b", "a (3)"]


def test_paths_inside_the_config_folder_are_relative(tmp_path: Path) -> None:
    assert written_path(tmp_path / "logs" / "e.log", tmp_path) == "logs/e.log"
    assert written_path(tmp_path, tmp_path) == "."
    assert written_path(Path("/var/log/x.log"), tmp_path) == "/var/log/x.log"


@pytest.mark.parametrize(
    "body,key",
    [
        ('{"status": "pass", "version": "1", "releaseId": "1.2.3"}', "releaseId"),
        ('{"version": "v2.0.1"}', "version"),
        ('{"version": "1"}', None),
        ("not json", None),
        ("[1, 2]", None),
    ],
)
def test_a_version_in_the_health_answer_is_found(body: str, key: str | None) -> None:
    assert version_key(body) == key


# --- the rendered config ------------------------------------------------------------------


def test_the_rendered_config_loads_and_keeps_awkward_values(tmp_path: Path) -> None:
    awkward = 'C:\\logs\\"odd" ログ.log'
    plan = StarterPlan(
        written_at=datetime(2026, 12, 1, 15, 40, tzinfo=UTC),
        incident_id="INC-20261201-1540",
        title='Hotfix of "auth\\api"',
        survey=survey_names(["v1.9.0", "v1.10.0", "v2.0.0-rc1"], ["main"], tmp_path),
        repo=".",
        endpoints=(
            EndpointPlan("up", 'http://127.0.0.1:1/h?a="b"', "UP 200 in 3 ms", True, True),
            EndpointPlan("down", "http://127.0.0.1:9/", "unreachable (refused)\n[x]", False),
        ),
        logs=(LogPlan("odd", awkward, awkward, "not there yet", False),),
    )
    text = render_starter(plan)
    config = parse_config(text, "warroom.toml", env={})
    assert config.endpoint[0].url == 'http://127.0.0.1:1/h?a="b"'
    assert config.endpoint[0].health_json and not config.endpoint[1].health_json
    assert config.log[0].path == awkward
    assert config.incident.title == 'Hotfix of "auth\\api"'
    assert config.git is not None and config.git.production is None  # named, not pinned
    assert "# UNREACHABLE when warroom init probed it (refused)" in text
    assert "Production, as the release bar shows it" in text and ": v1.10.0" in text
    assert "Left out as pre-releases: v2.0.0-rc1" in text


def test_a_minimal_config_loads_and_says_what_to_add(tmp_path: Path) -> None:
    plan = StarterPlan(
        written_at=datetime(2026, 12, 1, tzinfo=UTC),
        incident_id="INC-1",
        title="Hotfix",
        survey=TagSurvey(repo_dir=None),
        repo=None,
    )
    assert plan.minimal
    text = render_starter(plan)
    config = parse_config(text, "warroom.toml", env={})
    assert config.endpoint == [] and config.log == [] and config.metric == []
    for section in ("# [[endpoint]]", "# [[log]]", "# [[metric]]", "# [git]"):
        assert section in text


# --- the look, against real servers -------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "pass", "releaseId": "v1.10.0"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/health+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_look_probes_each_url_once_and_says_what_answered(health_url: str) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/health"
    plans = await probe_urls([health_url, dead], SystemClock())
    up, down = plans
    assert up.reachable and up.health_json and up.version_path == "releaseId"
    assert up.finding.startswith("UP 200 in ") and up.finding.endswith(" ms")
    assert not down.reachable and down.finding.startswith("unreachable (refused")


async def test_a_page_that_does_not_answer_is_a_finding_not_a_failure(tmp_path: Path) -> None:
    page = f"http://127.0.0.1:{_closed_port()}/metrics"
    found = await look([], [tmp_path / "missing.log"], page, tmp_path, SystemClock())
    assert found.prometheus is not None and not found.prometheus.reachable
    assert found.prometheus.finding.startswith("unreachable (")
    assert found.logs[0].path == "missing.log" and not found.logs[0].found

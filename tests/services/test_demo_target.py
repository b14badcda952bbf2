"""The demo target: a real service on loopback, real scripts, a real git repository."""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from warroom.services.clock import ManualClock
from warroom.services.config import load_config
from warroom.services.demo.errors import DemoError
from warroom.services.demo.log_writer import log_lines
from warroom.services.demo.target import DemoTarget
from warroom.services.demo.traffic import (
    LATENCY_BUCKETS,
    Mode,
    TrafficCounters,
    health_document,
    traffic_profile,
)
from warroom.services.sanitize import clean


@pytest.fixture
def demo(tmp_path: Path, clock: ManualClock) -> Iterator[DemoTarget]:
    """A running demo target with quick scripts and no artificial slowness."""
    target = DemoTarget(
        tmp_path / "demo", clock, log_interval=0.02, script_pace=0.0, slowness=0.0, seed=7
    )
    with target:
        yield target


def _call(target: DemoTarget, path: str, body: Any = None) -> tuple[int, str, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        target.base_url + path,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def _health(target: DemoTarget) -> dict[str, Any]:
    status, content_type, body = _call(target, "/health")
    assert content_type == "application/health+json"
    doc: dict[str, Any] = json.loads(body)
    assert status == (503 if doc["status"] == "fail" else 200)
    return doc


def _samples(target: DemoTarget) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, content_type, body = _call(target, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return sum(value for (metric, _), value in samples.items() if metric == name)


def _mode(target: DemoTarget) -> str:
    # Read through a function: the property changes under scripts, mypy can't know that.
    return target.mode


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=30, check=False
    )


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


# --- the service ---------------------------------------------------------------------


def test_health_is_health_json_with_checks_and_failing_while_broken(demo: DemoTarget) -> None:
    doc = _health(demo)
    assert doc["status"] in ("warn", "fail")
    assert set(doc["checks"]) == {"auth:login", "db:connections", "cache:hit-ratio"}
    login = doc["checks"]["auth:login"][0]
    assert login["status"] in ("warn", "fail")
    assert {"componentType", "observedValue", "status", "time"} <= set(login)
    assert login["time"] == "2026-01-01T00:00:00Z"
    assert doc["releaseId"] == "1.2.3"


def test_health_alternates_between_warn_and_fail_while_broken(
    demo: DemoTarget, clock: ManualClock
) -> None:
    seen = set()
    for _ in range(12):
        seen.add(_health(demo)["status"])
        clock.advance(5)
    assert seen == {"warn", "fail"}


def test_metrics_parse_and_counters_advance_with_time(demo: DemoTarget, clock: ManualClock) -> None:
    before = _samples(demo)
    clock.advance(10)
    after = _samples(demo)
    served = _total(after, "http_requests_total") - _total(before, "http_requests_total")
    assert 200 <= served <= 700  # about 40 requests a second, with jitter
    assert after[("http_request_duration_seconds_count", ())] >= served
    assert _total(after, "auth_login_attempts_total") > _total(before, "auth_login_attempts_total")
    errors = sum(
        v
        for (m, labels), v in after.items()
        if m == "http_requests_total" and dict(labels)["status"].startswith("5")
    )
    assert errors / _total(after, "http_requests_total") > 0.03
    success = after[("auth_login_success_total", ())] / after[("auth_login_attempts_total", ())]
    assert 0.3 < success < 0.7


def test_idle_service_does_no_work_between_scrapes(demo: DemoTarget) -> None:
    # With the clock frozen, nothing is simulated: the counters only move when time does.
    assert _samples(demo) == _samples(demo)


def test_histogram_buckets_are_cumulative_and_end_at_count(
    demo: DemoTarget, clock: ManualClock
) -> None:
    clock.advance(30)
    samples = _samples(demo)
    name = "http_request_duration_seconds_bucket"
    buckets = [samples[(name, (("le", str(bound)),))] for bound in LATENCY_BUCKETS]
    buckets.append(samples[(name, (("le", "+Inf"),))])
    assert buckets == sorted(buckets)
    assert buckets[-1] == samples[("http_request_duration_seconds_count", ())]


def test_login_fails_intermittently_while_broken(demo: DemoTarget) -> None:
    statuses = {
        _call(demo, "/api/auth/login", {"email": "a@example.com", "password": "x"})[0]
        for _ in range(40)
    }
    assert 200 in statuses
    assert statuses & {401, 500}


def test_login_answers_a_token_when_fixed(demo: DemoTarget) -> None:
    assert _run(demo.bin_dir / "deploy-production.sh", "v1.2.4").returncode == 0
    for _ in range(20):
        status, content_type, body = _call(
            demo, "/api/auth/login", {"email": "a@example.com", "password": "x"}
        )
        assert status == 200
        assert content_type == "application/json"
        assert json.loads(body)["token"].startswith("demo.")


@pytest.mark.parametrize(
    ("body", "status"),
    [(None, 400), ({"email": "a@example.com"}, 400), ({"email": "a", "password": "wrong"}, 401)],
)
def test_login_rejects_bad_requests(demo: DemoTarget, body: Any, status: int) -> None:
    request_body = body if body is not None else []
    assert _call(demo, "/api/auth/login", request_body)[0] == status


def test_unknown_paths_are_404(demo: DemoTarget) -> None:
    assert _call(demo, "/nope")[0] == 404
    assert _call(demo, "/health", {"x": 1})[0] == 404


# --- the scripted incident -------------------------------------------------------------


def test_deploy_fixes_the_service_and_rollback_breaks_it_again(
    demo: DemoTarget, clock: ManualClock
) -> None:
    done = _run(demo.bin_dir / "deploy-production.sh", "v1.2.4")
    assert done.returncode == 0, done.stderr
    assert "v1.2.4" in done.stdout.splitlines()[-1]
    assert _mode(demo) == "fixed"
    doc = _health(demo)
    assert doc["status"] == "pass"
    assert doc["releaseId"] == "1.2.4"
    assert all(check[0]["status"] == "pass" for check in doc["checks"].values())
    before = _samples(demo)
    clock.advance(60)
    after = _samples(demo)
    attempts = after[("auth_login_attempts_total", ())] - before[("auth_login_attempts_total", ())]
    ok = after[("auth_login_success_total", ())] - before[("auth_login_success_total", ())]
    assert ok / attempts > 0.97

    rolled = _run(demo.bin_dir / "rollback.sh", "v1.2.3")
    assert rolled.returncode == 0, rolled.stderr
    assert _mode(demo) == "broken"
    assert _health(demo)["status"] in ("warn", "fail")


def test_smoke_script_fails_while_broken_and_passes_when_fixed(demo: DemoTarget) -> None:
    broken = _run(demo.bin_dir / "smoke.sh")
    assert broken.returncode == 1
    assert "smoke FAILED" in broken.stdout
    _run(demo.bin_dir / "deploy-production.sh", "v1.2.4")
    fixed = _run(demo.bin_dir / "smoke.sh")
    assert fixed.returncode == 0, fixed.stdout
    assert "smoke passed" in fixed.stdout


def test_validate_needs_a_staging_deploy_first(demo: DemoTarget) -> None:
    refused = _run(demo.bin_dir / "validate-hotfix.sh")
    assert refused.returncode == 1
    assert "nothing deployed to staging" in refused.stderr
    assert _run(demo.bin_dir / "deploy-staging.sh", "v1.2.4").returncode == 0
    validated = _run(demo.bin_dir / "validate-hotfix.sh")
    assert validated.returncode == 0
    assert "v1.2.4 validated" in validated.stdout
    assert _mode(demo) == "broken"  # staging never touches production


def test_rolling_deploy_fixes_production_on_the_last_batch(demo: DemoTarget) -> None:
    script = demo.bin_dir / "deploy-rolling.sh"
    assert _run(script, "v1.2.4", "1/3").returncode == 0
    assert _mode(demo) == "broken"
    assert _run(script, "v1.2.4", "3/3").returncode == 0
    assert _mode(demo) == "fixed"


def test_scripts_without_their_version_argument_fail_with_usage(demo: DemoTarget) -> None:
    done = _run(demo.bin_dir / "deploy-production.sh")
    assert done.returncode != 0
    assert "usage: deploy-production.sh VERSION" in done.stderr
    assert _mode(demo) == "broken"


# --- the repository --------------------------------------------------------------------


def test_repo_has_release_tags_and_a_clean_tree(demo: DemoTarget) -> None:
    repo = demo.repo_path
    assert _git(repo, "tag", "--list").split() == ["v1.2.2", "v1.2.3"]
    assert _git(repo, "cat-file", "-t", "v1.2.3") == "tag"  # annotated
    assert _git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert _git(repo, "status", "--porcelain") == ""
    assert int(_git(repo, "rev-list", "--count", "v1.2.3..main")) == 1


def test_hotfix_branch_tag_and_merge_work_without_any_user_git_config(
    demo: DemoTarget, tmp_path: Path
) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    repo = demo.repo_path
    _git(repo, "switch", "-c", "hotfix/critical-auth-fix", "v1.2.3", env=env)
    fixed = subprocess.run(
        [str(demo.bin_dir / "apply-fix.sh")], capture_output=True, text=True, env=env, check=False
    )
    assert fixed.returncode == 0, fixed.stderr
    _git(repo, "tag", "-a", "v1.2.4", "-m", "Release 1.2.4", env=env)
    _git(repo, "switch", "main", env=env)
    _git(repo, "merge", "--no-edit", "hotfix/critical-auth-fix", env=env)
    _git(repo, "branch", "-d", "hotfix/critical-auth-fix", env=env)
    assert "refreshed on rotation" in (repo / "auth" / "keys.py").read_text()
    assert _git(repo, "tag", "--merged", "main").split() == ["v1.2.2", "v1.2.3", "v1.2.4"]
    assert _git(repo, "log", "-1", "--format=%an", "v1.2.4", env=env) == "Demo Engineer"


def test_apply_fix_refuses_outside_a_hotfix_branch(demo: DemoTarget) -> None:
    done = _run(demo.bin_dir / "apply-fix.sh")
    assert done.returncode == 1
    assert "not a hotfix/* branch" in done.stderr
    assert _git(demo.repo_path, "status", "--porcelain") == ""


def test_a_used_folder_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    (tmp_path / "repo").mkdir()
    with pytest.raises(DemoError, match="already exists"):
        DemoTarget(tmp_path, clock).start()


# --- config, log, lifecycle ------------------------------------------------------------


def test_generated_config_validates_and_points_at_the_demo(demo: DemoTarget) -> None:
    loaded = load_config(demo.config_path, env={})
    config = loaded.config
    assert config.incident.id == "INC-DEMO"
    assert config.incident.started == datetime(2025, 12, 31, 23, 56, tzinfo=UTC)
    assert loaded.state_dir.is_relative_to(demo.root)
    headline = {"Response time p95", "Error rate", "Auth success", "CPU", "Memory"}
    assert headline <= {metric.name for metric in config.metric}
    assert all(e.url.startswith(demo.base_url) for e in config.endpoint)
    assert config.git is not None and loaded.resolve(config.git.repo) == demo.repo_path
    assert loaded.resolve(config.log[0].path or "") == demo.log_path
    assert set(config.actions.commands) >= {
        "staging",
        "production",
        "validate",
        "smoke",
        "rollback",
    }
    for command in config.actions.commands.values():
        script = Path(command.argv[0])
        assert script.parent == demo.bin_dir and os.access(script, os.X_OK)


def test_log_grows_with_timestamped_levels(demo: DemoTarget) -> None:
    start = demo.log_path.stat().st_size
    assert start > 0  # a backlog is there from the first frame
    grown = threading.Event()
    for _ in range(100):
        if demo.log_path.stat().st_size > start:
            grown.set()
            break
        grown.wait(0.02)
    assert grown.is_set()
    text = demo.log_path.read_text(encoding="utf-8")
    assert "ERROR auth-api: auth: login failed for user=" in text
    assert "\x1b]0;pwned\x07" in text  # the sanitizer has something to show
    assert "\x1b" not in clean(text)


def test_a_connection_is_kept_alive_across_requests(demo: DemoTarget) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(demo.base_url.rsplit(":", 1)[1]))
    try:
        answers = []
        for method, path, body in (
            ("POST", "/nowhere", b'{"ignored": true}'),  # an unread body would spoil the next
            ("GET", "/health", None),
            ("POST", "/api/auth/login", b'{"email": "a@example.com", "password": "wrong"}'),
            ("GET", "/metrics", None),
        ):
            connection.request(method, path, body=body)
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.version))
        sock = connection.sock
        assert sock is not None  # still the first connection: it was never closed
    finally:
        connection.close()
    assert answers[0][0] == 404
    assert answers[2][0] == 401
    assert all(version == 11 for _, version in answers)


def test_a_flush_writes_a_block_of_lines_in_time_order(tmp_path: Path) -> None:
    target = DemoTarget(tmp_path / "demo", seed=3, hostile_odds=0.0)
    lines = target.log.flush_lines(2.0)
    stamps = [line.split(" ", 1)[0] for line in lines if line[:1].isdigit()]  # not traces
    assert stamps and stamps == sorted(stamps)
    assert len(lines) >= 1
    many = [len(target.log.flush_lines(2.0)) for _ in range(200)]
    assert 2 < sum(many) / len(many) < 12  # about two events a second, some of them bursts


def test_stop_ends_every_thread_quickly(tmp_path: Path, clock: ManualClock) -> None:
    target = DemoTarget(tmp_path, clock, log_interval=0.02, slowness=0.0)
    target.start()
    threads = target.threads
    assert all(thread.is_alive() for thread in threads)
    target.stop()
    assert not any(thread.is_alive() for thread in threads)
    assert not [t for t in threading.enumerate() if t.name.startswith("demo-")]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(target.base_url + "/health", timeout=1)


# --- the pure rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "elapsed", "low", "high"),
    [
        ("broken", 0.0, 0.35, 0.60),
        ("broken", 15.0, 0.59, 0.60),
        ("broken", 45.0, 0.35, 0.36),
        ("fixed", 15.0, 0.0, 0.02),
    ],
)
def test_auth_failure_follows_the_mode(mode: Any, elapsed: float, low: float, high: float) -> None:
    assert low <= traffic_profile(mode, elapsed).auth_failure <= high


def test_latency_p95_is_high_when_broken_and_low_when_fixed() -> None:
    cases: list[tuple[Mode, float, float]] = [("broken", 0.8, 2.0), ("fixed", 0.08, 0.15)]
    for mode, low, high in cases:
        p = traffic_profile(mode, 0.0)
        p95 = p.latency_median * 2.718281828 ** (1.645 * p.latency_sigma)
        assert low < p95 < high, mode


def test_health_document_is_pass_only_when_fixed() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert health_document("fixed", 0.0, now, "1.2.4")["status"] == "pass"
    assert health_document("broken", 15.0, now, "1.2.3")["status"] == "fail"
    assert health_document("broken", 45.0, now, "1.2.3")["status"] == "warn"


def test_counters_never_go_backwards() -> None:
    counters = TrafficCounters(random.Random(1), 0.0)
    last = counters.exposition("1")
    for step in range(1, 50):
        counters.advance(step * 0.3, traffic_profile("broken", step * 0.3))
        now = counters.exposition("1")
        old = {
            s.name + str(s.labels): s.value
            for f in text_string_to_metric_families(last)
            for s in f.samples
        }
        new = {
            s.name + str(s.labels): s.value
            for f in text_string_to_metric_families(now)
            for s in f.samples
        }
        assert all(new[k] >= v for k, v in old.items())
        last = now


def test_log_lines_break_more_when_broken_and_sometimes_turn_hostile() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def error_share(mode: Any) -> float:
        rng = random.Random(3)
        lines = [line for _ in range(400) for line in log_lines(rng, mode, now, 0.0)]
        return sum(" ERROR " in line for line in lines) / len(lines)

    assert error_share("broken") > 0.3 > 0.1 > error_share("fixed")
    rng = random.Random(5)
    hostile = [line for _ in range(400) for line in log_lines(rng, "broken", now, 0.05)]
    assert any("\x1b" in line for line in hostile)
    assert all(
        line.startswith("2026-01-01T00:00:00.000Z ") or not line[:1].isdigit() for line in hostile
    )

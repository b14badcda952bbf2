"""Runbook commands filled with the incident's versions, from a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from warroom.services.runbook.model import builtin_runbook
from warroom.services.runbook.placeholders import (
    CommandValues,
    command_values,
    fill_commands,
    fill_from_release,
)

KNOWN = CommandValues(
    production_tag="v1.9.0", version="v1.9.1", previous_version="v1.8.2", branch="hotfix/v1.9.1"
)

FILL = [
    ("./deploy-production.sh {version}", KNOWN, "./deploy-production.sh v1.9.1"),
    ("git checkout tags/{production_tag}", KNOWN, "git checkout tags/v1.9.0"),
    ('PREVIOUS_VERSION="{previous_version}"', KNOWN, 'PREVIOUS_VERSION="v1.8.2"'),
    ("git push origin {branch} {version}", KNOWN, "git push origin hotfix/v1.9.1 v1.9.1"),
    # Unknown values stay as the placeholder, so the gap is visible.
    ("./deploy.sh {version}", CommandValues(), "./deploy.sh {version}"),
    ("./deploy.sh {version}", None, "./deploy.sh {version}"),
    (
        "{production_tag} -> {version}",
        CommandValues(production_tag="v2.0.0"),
        "v2.0.0 -> {version}",
    ),
    # Doubled braces around a name are the literal placeholder.
    ("echo {{version}} is {version}", KNOWN, "echo {version} is v1.9.1"),
    ('echo "${{branch}}"', KNOWN, 'echo "${branch}"'),
    # Every other brace is text as written.
    ("""-d '{"a":{"b":1}}'""", KNOWN, """-d '{"a":{"b":1}}'"""),
    ("awk '{print $1}' ${HOME}/x {{other}}", KNOWN, "awk '{print $1}' ${HOME}/x {{other}}"),
    ("{Version} {version }", KNOWN, "{Version} {version }"),
    ("", KNOWN, ""),
]


@pytest.mark.parametrize(("text", "values", "expected"), FILL)
def test_fill_commands(text: str, values: CommandValues | None, expected: str) -> None:
    assert fill_commands(text, values) == expected


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    path = tmp_path / "service"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.email", "dev@example.com")
    _git(path, "config", "user.name", "Dev")
    for n, tag in enumerate(("v1.8.2", "v1.9.0"), start=1):
        (path / "app.txt").write_text(f"release {n}\n")
        _git(path, "add", "app.txt")
        _git(path, "commit", "-q", "-m", f"release {tag}")
        _git(path, "tag", tag)
    return path


def test_the_builtin_runbook_filled_from_a_real_repository(repo: Path) -> None:
    from warroom.services.config import GitConfig
    from warroom.services.release.git import read_release_sync as read_release

    runbook = builtin_runbook("en")
    on_main = read_release(GitConfig(repo=str(repo)), repo)
    values = command_values(on_main)
    assert values.production_tag == "v1.9.0" and values.version == "v1.9.1"
    # On main the hotfix branch does not exist yet: the name warroom would create.
    assert values.branch == "hotfix/v1.9.1"
    deploy = runbook.item("p10.deploy-production")
    assert deploy is not None
    assert fill_from_release(deploy.commands, on_main) == "./deploy-production.sh v1.9.1"
    branch = runbook.item("p03.branch-from-tag")
    assert branch is not None
    filled = fill_commands(branch.commands, values)
    assert "git checkout tags/v1.9.0" in filled and "git checkout -b hotfix/v1.9.1" in filled

    _git(repo, "checkout", "-q", "-b", "hotfix/login-bypass")
    on_branch = command_values(read_release(GitConfig(repo=str(repo)), repo))
    assert on_branch.branch == "hotfix/login-bypass"
    cleanup = runbook.item("p17.cleanup")
    assert cleanup is not None
    assert fill_commands(cleanup.commands, on_branch).splitlines() == [
        "git branch -d hotfix/login-bypass",
        "git push origin --delete hotfix/login-bypass",
    ]


def test_no_release_leaves_every_placeholder() -> None:
    rollback = builtin_runbook("en").item("p14.rollback-script")
    assert rollback is not None
    assert 'PREVIOUS_VERSION="{previous_version}"' in fill_from_release(rollback.commands, None)

"""The release read from real temporary git repositories, and git actions run for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.services.version_server import Answer, closed_port_url, version_server
from warroom.services.config import ConfigError, GitConfig, parse_config
from warroom.services.release.git import read_release, read_release_sync
from warroom.services.release.git_plans import (
    Plan,
    Refusal,
    execute,
    plan_branch,
    plan_merge_back,
    plan_tag,
    ref_name_problem,
)
from warroom.services.release.release_info import ReleaseInfo, release_to_json


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fixed identity and no user or system git config."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test Engineer")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip()


def commit(repo: Path, name: str, lines: int = 1, message: str | None = None) -> None:
    (repo / name).write_text("".join(f"line {i}\n" for i in range(lines)))
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message or f"add {name}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with v1.2.3 and v1.10.0-style tags out of lexical order, plus noise tags."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, "a.txt")
    git(path, "tag", "v1.9.0")
    commit(path, "b.txt")
    git(path, "tag", "-a", "v1.10.0", "-m", "release 1.10.0")
    git(path, "tag", "latest")
    git(path, "tag", "v1.11.0-rc.1")
    git(path, "tag", "v2")
    return path


def read(path: Path, **kw: object) -> ReleaseInfo:
    return read_release_sync(GitConfig.model_validate(kw), path)


async def test_production_tag_is_the_highest_version_not_the_last_string(repo: Path) -> None:
    info = await read_release(GitConfig(), repo)
    assert info.error is None
    assert info.production_tag == "v1.10.0"  # not v1.11.0-rc.1: a pre-release is not production
    assert read(repo, prerelease=True).production_tag == "v1.11.0-rc.1"
    git(repo, "tag", "v1.11.0")
    info = await read_release(GitConfig(), repo)
    assert info.production_tag == "v1.11.0"
    assert info.next_version == "v1.11.1"
    assert info.previous_version == "v1.10.0"
    assert info.branch == "main"
    assert not info.is_hotfix_branch
    assert not info.detached
    assert not info.dirty


def test_hotfix_scheme_counts_existing_hotfix_tags(repo: Path) -> None:
    git(repo, "tag", "v1.11.0")
    assert read(repo, scheme="hotfix").next_version == "v1.11.0-hotfix.1"
    commit(repo, "fix.txt")
    git(repo, "tag", "v1.11.0-hotfix.1")
    info = read(repo, scheme="hotfix")
    # The scheme's hotfix tag is its newest release, not a pre-release below v1.11.0.
    assert info.production_tag == "v1.11.0-hotfix.1"
    assert info.next_version == "v1.11.0-hotfix.2"
    assert info.previous_version == "v1.11.0"
    # Under the patch scheme the same tag is a pre-release and production stays put.
    assert read(repo).production_tag == "v1.11.0"


def test_blast_radius_counts_commits_files_and_lines(repo: Path) -> None:
    git(repo, "tag", "v1.11.0")
    commit(repo, "fix.py", lines=30, message="fix login \x1b]0;pwned\x07 crash")
    (repo / "a.txt").write_text("changed\n")
    git(repo, "commit", "-qam", "touch a")
    info = read(repo, max_changed_lines=40)
    assert info.commit_count == 2
    assert [c.subject for c in info.commits_since_tag] == [
        "touch a",
        "fix login ␛]0;pwned␇ crash",
    ]
    assert (info.files_changed, info.lines_added, info.lines_removed) == (2, 31, 1)
    assert not info.too_big
    assert read(repo, max_changed_lines=31).too_big
    as_json = release_to_json(info)
    assert as_json == {
        "production_tag": "v1.11.0",
        "next_version": "v1.11.1",
        "branch": "main",
        "commits_since_tag": 2,
        "files_changed": 2,
        "lines_added": 31,
        "lines_removed": 1,
        "tag_exists": False,
        "merged_to_main": True,
        "previous_version": "v1.10.0",
        "pinned": False,
        "service": {"state": "unchecked", "version": None, "error": None},
    }


def test_no_tags_refuses_every_action(tmp_path: Path) -> None:
    path = tmp_path / "bare-history"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, "a.txt")
    git(path, "tag", "latest")
    info = read(path)
    assert info.error is None
    assert info.production_tag is None and info.next_version is None
    assert info.commit_count == 0
    for plan in (plan_branch(info), plan_tag(info), plan_merge_back(info)):
        assert isinstance(plan, Refusal)
        assert "no version tags" in plan.message


def test_not_a_repository_is_an_error_value(tmp_path: Path) -> None:
    info = read(tmp_path)
    assert info.error is not None and "not a git repository" in info.error
    missing = read(tmp_path / "nope")
    assert missing.error is not None and "no such directory" in missing.error
    assert isinstance(plan_branch(info), Refusal)
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    assert read(empty).error == "git: the repository has no commits yet"


def test_detached_head_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "v1.9.0")
    info = read(repo)
    assert info.detached and info.branch is None
    refusal = plan_branch(info)
    assert isinstance(refusal, Refusal) and "detached" in refusal.message


def test_dirty_tree_is_refused_untracked_files_are_not_dirt(repo: Path) -> None:
    (repo / "scratch.txt").write_text("notes\n")
    assert not read(repo).dirty
    (repo / "a.txt").write_text("edited\n")
    info = read(repo)
    assert info.dirty
    for plan in (plan_branch(info), plan_tag(info)):
        assert isinstance(plan, Refusal) and "uncommitted" in plan.message


async def test_branch_tag_and_merge_back_run_for_real(repo: Path) -> None:
    git(repo, "tag", "v1.11.0")
    commit(repo, "main-only.txt")  # main moved on after the release
    info = read(repo)
    plan = plan_branch(info)
    assert isinstance(plan, Plan)
    assert plan.lines == ("git switch --create hotfix/v1.11.1 refs/tags/v1.11.0",)
    result = await execute(plan)
    assert result.ok, result.message
    info = read(repo)
    assert info.branch == "hotfix/v1.11.1" and info.is_hotfix_branch
    assert info.commit_count == 0
    assert isinstance(plan_tag(info), Refusal)  # nothing to release yet

    commit(repo, "fix.txt", lines=3, message="fix the crash")
    info = read(repo)
    assert info.next_version == "v1.11.1" and info.commit_count == 1
    assert not info.merged_to_main and not info.tag_exists and info.tag_pushed is None
    plan = plan_tag(info)
    assert isinstance(plan, Plan)
    assert plan.lines == ("git tag --annotate v1.11.1 --message 'Hotfix v1.11.1'",)
    assert (await execute(plan)).ok
    assert git(repo, "cat-file", "-t", "v1.11.1") == "tag"  # annotated
    info = read(repo)
    assert info.tag_exists
    assert info.production_tag == "v1.11.0"  # the hotfix is not its own baseline
    assert info.previous_version == "v1.11.0"  # a rollback of v1.11.1 returns here
    assert info.commit_count == 1

    plan = plan_merge_back(info)
    assert isinstance(plan, Plan)
    assert plan.lines == (
        "git switch main",
        "git merge --no-ff --message 'Merge hotfix/v1.11.1 into main' hotfix/v1.11.1",
        "git branch --delete hotfix/v1.11.1",
    )
    assert (await execute(plan)).ok
    info = read(repo)
    assert info.branch == "main"
    assert "hotfix/v1.11.1" not in git(repo, "branch", "--list")
    assert git(repo, "merge-base", "--is-ancestor", "v1.11.1", "main") == ""
    assert info.production_tag == "v1.11.1"
    assert info.next_version == "v1.11.2"
    assert info.previous_version == "v1.11.0"


async def test_execute_refuses_when_head_moved_and_reports_git_failures(repo: Path) -> None:
    info = read(repo)
    plan = plan_branch(info)
    assert isinstance(plan, Plan)
    commit(repo, "sneaky.txt")
    result = await execute(plan)
    assert not result.ok and "changed since the plan" in result.message
    assert result.ran == ()
    info = read(repo)
    plan = plan_branch(info)
    assert isinstance(plan, Plan)
    git(repo, "branch", "hotfix/v1.10.1")  # created behind the plan's back
    result = await execute(plan)
    assert not result.ok
    assert result.message.startswith("git switch --create hotfix/v1.10.1")
    assert "already exists" in result.message
    assert "\n" not in result.message


def test_existing_branch_and_bad_names_are_refused(repo: Path) -> None:
    git(repo, "branch", "hotfix/v1.10.1")
    info = read(repo)
    refusal = plan_branch(info)
    assert isinstance(refusal, Refusal) and "already exists" in refusal.message
    for bad in ("hotfix/a b", "hotfix/x..y", "-rf", "hotfix/\x1b[2J", "a.lock", "hotfix/"):
        refusal = plan_branch(info, bad)
        assert isinstance(refusal, Refusal), bad
        assert "\x1b" not in refusal.message
    assert ref_name_problem("hotfix/v1.2.3-hotfix.1") is None


def test_merge_back_needs_a_hotfix_branch(repo: Path) -> None:
    refusal = plan_merge_back(read(repo))
    assert isinstance(refusal, Refusal) and "not on a hotfix branch" in refusal.message


async def test_push_goes_to_a_bare_remote_only_when_asked(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main", "v1.10.0")
    git(repo, "tag", "v1.11.0")

    quiet = read(repo)
    plan = plan_branch(quiet)
    assert isinstance(plan, Plan) and len(plan.lines) == 1  # push = false: nothing pushed
    assert (await execute(plan)).ok
    commit(repo, "fix.txt")
    info = read(repo, push=True)
    assert info.has_remote and info.tag_pushed is False
    plan = plan_tag(info)
    assert isinstance(plan, Plan)
    assert plan.lines[-1] == "git push origin refs/tags/v1.11.1"
    assert (await execute(plan)).ok
    assert "refs/tags/v1.11.1" in git(remote, "show-ref", "--tags")
    info = read(repo, push=True)
    assert info.tag_exists and info.tag_pushed is True

    git(repo, "tag", "-d", "v1.11.1")
    git(repo, "tag", "v1.11.1", "HEAD~1")
    git(repo, "push", "-q", "origin", ":refs/tags/v1.11.1")
    assert read(repo, push=True).tag_pushed is False

    info = read(repo, push=True)
    plan = plan_merge_back(info)
    assert isinstance(plan, Plan)
    assert plan.lines[-1] == "git push origin main"
    assert (await execute(plan)).ok
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "main")


# --- the production version, told true ---------------------------------------------


@pytest.fixture
def seen(tmp_path: Path) -> Path:
    """Exactly the tags that once made the bar read `v2.0.0-rc1 → v2.0.1`."""
    path = tmp_path / "seen"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for tag in ("v1.9.0", "v1.10.0", "v1.10.1-beta", "v2.0.0-rc1"):
        commit(path, f"{tag}.txt", message=f"work for {tag}")
        git(path, "tag", "-a", tag, "-m", f"release {tag}")
    git(path, "tag", "latest")
    return path


def test_pre_releases_and_non_version_tags_are_not_production(seen: Path) -> None:
    info = read(seen)
    assert info.error is None
    assert (info.production_tag, info.next_version, info.previous_version) == (
        "v1.10.0",
        "v1.10.1",
        "v1.9.0",  # the rollback target is a release too, not v1.10.1-beta
    )
    assert not info.pinned
    assert info.commit_count == 2  # the beta's and the rc's commits are not in production
    plan = plan_branch(info)
    assert isinstance(plan, Plan)
    assert plan.lines == ("git switch --create hotfix/v1.10.1 refs/tags/v1.10.0",)


def test_pre_releases_count_when_asked(seen: Path) -> None:
    info = read(seen, prerelease=True)
    assert (info.production_tag, info.next_version, info.previous_version) == (
        "v2.0.0-rc1",
        "v2.0.1",
        "v1.10.1-beta",
    )


async def test_on_the_hotfix_branch_once_tagged_rollback_returns_to_the_release(
    seen: Path,
) -> None:
    plan = plan_branch(read(seen))
    assert isinstance(plan, Plan) and (await execute(plan)).ok
    commit(seen, "fix.txt", message="fix")
    git(seen, "tag", "-a", "v1.10.1", "-m", "hotfix")
    info = read(seen)
    assert info.branch == "hotfix/v1.10.1" and info.tag_exists
    assert (info.production_tag, info.previous_version) == ("v1.10.0", "v1.10.0")


def test_only_pre_releases_means_no_production_yet(tmp_path: Path) -> None:
    path = tmp_path / "young"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, "a.txt")
    for tag in ("v1.0.0-alpha.2", "v1.0.0-beta", "v1.0.0-rc1", "latest"):
        git(path, "tag", tag)
    info = read(path)
    assert info.error is None
    assert info.production_tag is None and info.next_version is None
    assert info.previous_version is None
    refusal = plan_branch(info)
    assert isinstance(refusal, Refusal) and "no version tags" in refusal.message
    assert read(path, prerelease=True).production_tag == "v1.0.0-rc1"


def test_a_pinned_production_tag_wins(seen: Path) -> None:
    info = read(seen, production="v1.9.0")
    assert info.pinned
    assert (info.production_tag, info.next_version, info.previous_version) == (
        "v1.9.0",
        "v1.9.1",
        None,  # nothing was released before v1.9.0
    )
    assert info.commit_count == 3
    plan = plan_branch(info)
    assert isinstance(plan, Plan)
    assert plan.lines == ("git switch --create hotfix/v1.9.1 refs/tags/v1.9.0",)
    # Pinned to a pre-release on purpose: asked for, so taken.
    assert read(seen, production="v2.0.0-rc1").production_tag == "v2.0.0-rc1"


def test_a_pinned_tag_that_does_not_exist_is_one_line_error(seen: Path) -> None:
    info = read(seen, production="v1.8.0")
    assert info.error == f"git: [git] production = 'v1.8.0': no such tag in {seen}"
    assert info.production_tag is None
    refusal = plan_branch(info)
    assert isinstance(refusal, Refusal) and refusal.message == info.error


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('production = "latest"', "git.production: 'latest' is not a version tag (e.g. v1.2.3)"),
        ('version_path = "build.version"', "git.version_path: needs version_url"),
        ('version_url = "prod.example/version"', "git.version_url: must match pattern"),
        ('prerelease = "maybe"', "git.prerelease: must be a valid boolean"),
    ],
)
def test_bad_keys_are_one_line_config_errors(toml: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[git]\n{toml}\n", "warroom.toml")
    message = str(caught.value)
    assert message.startswith(f"warroom: warroom.toml: {problem}")
    assert "\n" not in message


def test_the_service_agreeing_with_the_tags(seen: Path) -> None:
    body = b'{"build": {"version": "1.10.0", "sha": "5114f85"}}'
    with version_server(Answer(body=body)) as (url, answer):
        info = read(seen, version_url=f"{url}/version", version_path="build.version")
    assert answer.requests == ["/version"]
    assert info.service_state == "agrees"
    assert info.service_version == "1.10.0" and info.service_error is None
    assert release_to_json(info)["service"] == {
        "state": "agrees",
        "version": "1.10.0",
        "error": None,
    }


def test_the_service_disagreeing_with_the_tags(seen: Path) -> None:
    with version_server(Answer(body=b'{"build": {"version": "v1.9.0"}}')) as (url, answer):
        config = {"version_url": f"{url}/version", "version_path": "build.version"}
        info = read(seen, **config)
        assert info.service_state == "differs"
        assert (info.service_version, info.production_tag) == ("v1.9.0", "v1.10.0")
        # The service runs the rc: still not what the tags call production.
        answer.body = b'{"build": {"version": "v2.0.0-rc1"}}'
        assert read(seen, **config).service_state == "differs"
        # The hotfix went out before its tag: the service is ahead of the tags.
        answer.body = b'{"build": {"version": "v1.10.1"}}'
        live = read(seen, **config)
        assert live.service_state == "hotfix_live" and live.service_version == "v1.10.1"
        # Failing, as a health document says with a 503, and still naming its release.
        answer.status = 503
        assert read(seen, **config).service_state == "hotfix_live"
        answer.status, answer.body = 500, b"Internal Server Error"
        down = read(seen, **config)
    assert down.service_state == "unreadable" and down.service_version is None
    assert down.service_error == f"service version: {url}/version: HTTP 500, the answer is not JSON"
    assert down.production_tag == "v1.10.0"  # the tags are still read


def test_an_unreachable_service_does_not_hide_the_tags(seen: Path) -> None:
    info = read(seen, version_url=closed_port_url())
    assert info.error is None and info.production_tag == "v1.10.0"
    assert info.service_state == "unreadable"
    assert info.service_error is not None and "cannot connect" in info.service_error


def test_the_demo_service_reports_what_its_scripts_deployed(tmp_path: Path) -> None:
    from warroom.services.config import load_config
    from warroom.services.demo.target import DemoTarget

    def run(script: Path, *args: str) -> None:
        subprocess.run([str(script), *args], check=True, capture_output=True, timeout=30)

    with DemoTarget(tmp_path / "demo", script_pace=0.0, log_interval=5.0, slowness=0.0) as demo:
        loaded = load_config(demo.config_path)
        git_config = loaded.config.git
        assert git_config is not None and git_config.version_url is not None
        repo = loaded.resolve(git_config.repo)
        info = read_release_sync(git_config, repo)
        assert info.service_error is None, info.service_error
        assert (info.production_tag, info.service_version) == ("v1.2.3", "1.2.3")
        assert info.service_state == "agrees"
        run(demo.bin_dir / "deploy-production.sh", "v1.2.4")  # before the tag exists
        info = read_release_sync(git_config, repo)
        assert (info.service_state, info.service_version) == ("hotfix_live", "1.2.4")
        run(demo.bin_dir / "rollback.sh", "v1.2.2")
        info = read_release_sync(git_config, repo)
        assert (info.service_state, info.service_version) == ("differs", "1.2.2")

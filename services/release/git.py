"""The release as git sees it, and the git steps of a hotfix as plans shown before they run.

`read_release` answers the runbook's questions at a glance: which tag is in
production, what the hotfix will be called, how big the change is, and whether the
tag exists, is pushed and is merged back (a `ReleaseInfo`, in `release_info.py`).
Git actions are two-phase: `plan_*` returns the exact git commands (or a one-line
refusal) for a confirmation dialog, and `execute` runs exactly those commands,
refusing if HEAD moved in between (`git_plans.py`). Every text that comes out of git
is sanitized where it is read, once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.services.background import read_in_thread
from warroom.services.config import GitConfig

# The release controller and the screens read the plans and the release value through
# this module: those names are re-exported here.
from warroom.services.release.git_plans import ActionKind as ActionKind
from warroom.services.release.git_plans import ActionResult as ActionResult
from warroom.services.release.git_plans import Plan as Plan
from warroom.services.release.git_plans import Refusal as Refusal
from warroom.services.release.git_plans import execute as execute
from warroom.services.release.git_plans import plan_branch as plan_branch
from warroom.services.release.git_plans import plan_merge_back as plan_merge_back
from warroom.services.release.git_plans import plan_tag as plan_tag
from warroom.services.release.git_repo import NO_PROMPT, first_line, open_repo, ref_names
from warroom.services.release.release_info import CommitInfo, service_state
from warroom.services.release.release_info import ReleaseInfo as ReleaseInfo
from warroom.services.release.service_version import read_service_version
from warroom.services.release.versions import (
    branch_version,
    is_hotfix_branch,
    next_version,
    previous_release,
    production_tag,
)
from warroom.services.sanitize import clean

if TYPE_CHECKING:
    from git import Repo

# GitPython is imported where it is used, not here: the dashboard draws its first frame
# before anything reads the repository.

MAX_COMMITS = 200
"""Commits listed in the blast radius; the count keeps going past this."""

REMOTE_TIMEOUT = 10.0
"""Seconds allowed for asking the remote about a tag (a network call)."""


async def read_release(git: GitConfig, repo_dir: Path) -> ReleaseInfo:
    """Read the release state without blocking the event loop (nor a quit: a daemon thread)."""
    return await read_in_thread(read_release_sync, git, repo_dir)


def read_release_sync(git: GitConfig, repo_dir: Path) -> ReleaseInfo:
    """Blocking version of `read_release`, for the headless `warroom check`."""
    from git import GitCommandError

    opened = open_repo(repo_dir)
    base = ReleaseInfo(
        repo_dir=repo_dir,
        max_changed_lines=git.max_changed_lines,
        main_branch=git.main_branch,
        remote=git.remote,
        push=git.push,
    )
    if isinstance(opened, str):
        return _replace(base, error=opened)
    with opened as repo:
        try:
            info = _read(repo, git, base)
        except GitCommandError as exc:
            return _replace(base, error=f"git: {first_line(exc)}")
        except ValueError as exc:  # an unborn HEAD (no commits yet)
            return _replace(base, error=f"git: {clean(str(exc), 300)}")
    if info.error is None and git.version_url is not None:
        return _with_service(info, git.version_url, git.version_path)
    return info


def _with_service(info: ReleaseInfo, url: str, path: str | None) -> ReleaseInfo:
    """Add what the service reports it runs, compared with the tags."""
    answer = read_service_version(url, path)
    state = service_state(answer.version, info.production_tag, info.next_version)
    error = f"service version: {answer.url}: {answer.error}" if answer.error else None
    return _replace(info, service_state=state, service_version=answer.version, service_error=error)


def _replace(info: ReleaseInfo, **changes: Any) -> ReleaseInfo:
    return replace(info, **changes)


def _read(repo: Repo, git: GitConfig, base: ReleaseInfo) -> ReleaseInfo:
    if not repo.head.is_valid():
        return _replace(base, error="git: the repository has no commits yet")
    detached = repo.head.is_detached
    branch = None if detached else repo.active_branch.name
    tags = [t.name for t in repo.tags]
    target = branch_version(branch)
    if git.production is not None:
        if git.production not in tags:
            return _replace(
                base,
                error=f"git: [git] production = {clean(git.production)!r}: "
                f"no such tag in {clean(str(base.repo_dir))}",
            )
        prod: str | None = git.production
    else:
        prod = production_tag(
            tags, git.tag_pattern, exclude=target, prerelease=git.prerelease, scheme=git.scheme
        )
    nxt = target or (next_version(prod, git.scheme, tags) if prod else None)
    head = repo.head.commit

    commits: list[CommitInfo] = []
    count = files = added = removed = 0
    if prod is not None:
        rev = f"refs/tags/{prod}..HEAD"
        count = int(repo.git.rev_list("--count", rev))
        for commit in repo.iter_commits(rev, max_count=MAX_COMMITS):
            subject = str(commit.message).split("\n", 1)[0]
            commits.append(CommitInfo(sha=commit.hexsha[:10], subject=clean(subject, 200)))
        files, added, removed = _numstat(repo.git.diff("--numstat", f"refs/tags/{prod}", "HEAD"))

    tag_exists = nxt is not None and nxt in tags
    if tag_exists:
        previous = prod
    else:
        previous = (
            previous_release(
                tags, prod, git.tag_pattern, prerelease=git.prerelease, scheme=git.scheme
            )
            if prod
            else None
        )
    has_remote = git.remote in [r.name for r in repo.remotes]
    tag_pushed: bool | None = None
    if has_remote:
        tag_pushed = _tag_on_remote(repo, git.remote, nxt) if tag_exists and nxt else False
    release_commit = f"refs/tags/{nxt}" if tag_exists else "HEAD"
    merged = _is_ancestor(repo, release_commit, f"refs/heads/{git.main_branch}")
    branch_on_remote = branch is not None and f"refs/remotes/{git.remote}/{branch}" in ref_names(
        repo
    )
    return _replace(
        base,
        production_tag=clean(prod) if prod else None,
        pinned=git.production is not None,
        next_version=clean(nxt) if nxt else None,
        previous_version=clean(previous) if previous else None,
        branch=clean(branch) if branch is not None else None,
        is_hotfix_branch=is_hotfix_branch(branch),
        detached=detached,
        dirty=repo.is_dirty(index=True, working_tree=True, untracked_files=False),
        head_sha=head.hexsha,
        commit_count=count,
        commits_since_tag=tuple(commits),
        files_changed=files,
        lines_added=added,
        lines_removed=removed,
        too_big=added + removed > git.max_changed_lines,
        tag_exists=tag_exists,
        tag_pushed=tag_pushed,
        merged_to_main=merged,
        has_remote=has_remote,
        branch_on_remote=branch_on_remote,
    )


def _numstat(text: str) -> tuple[int, int, int]:
    files = added = removed = 0
    for line in text.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3:
            continue
        files += 1
        # Binary files show "-" for both counts: a file changed, no lines.
        added += int(parts[0]) if parts[0].isdigit() else 0
        removed += int(parts[1]) if parts[1].isdigit() else 0
    return files, added, removed


def _is_ancestor(repo: Repo, commit: str, of: str) -> bool:
    from git import GitCommandError

    try:
        repo.git.merge_base("--is-ancestor", commit, of)
    except GitCommandError:
        return False
    return True


def _tag_on_remote(repo: Repo, remote: str, tag: str) -> bool | None:
    from git import GitCommandError

    try:
        with repo.git.custom_environment(**NO_PROMPT):
            out = repo.git.ls_remote(
                "--tags", remote, f"refs/tags/{tag}", kill_after_timeout=REMOTE_TIMEOUT
            )
    except GitCommandError:
        return None
    return bool(str(out).strip())

"""The release as git sees it, and the git steps of a hotfix as plans shown before they run.

`read_release` answers the runbook's questions at a glance: which tag is in
production, what the hotfix will be called, how big the change is, and whether the
tag exists, is pushed and is merged back. Git actions are two-phase: `plan_*`
returns the exact git commands (or a one-line refusal) for a confirmation dialog,
and `execute` runs exactly those commands, refusing if HEAD moved in between.
Every text that comes out of git is sanitized here, once.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from warroom.services.config import GitConfig
from warroom.services.release.service_version import read_service_version
from warroom.services.release.versions import (
    HOTFIX_PREFIX,
    branch_version,
    is_hotfix_branch,
    next_version,
    previous_release,
    production_tag,
    same_version,
)
from warroom.services.sanitize import clean

if TYPE_CHECKING:
    from git import GitCommandError, Repo

# GitPython is imported where it is used, not here: the dashboard draws its first frame
# before anything reads the repository.

MAX_COMMITS = 200
"""Commits listed in the blast radius; the count keeps going past this."""

REMOTE_TIMEOUT = 10.0
"""Seconds allowed for asking the remote about a tag (a network call)."""

# Git must never stop to ask for a password on a terminal the dashboard owns.
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}


@dataclass(frozen=True)
class CommitInfo:
    """One commit of the blast radius: short sha and sanitized subject."""

    sha: str
    subject: str


ServiceState = Literal["unchecked", "agrees", "hotfix_live", "differs", "unreadable"]
"""How the version the service reports compares with the tags:

- unchecked: no `version_url` configured (or git could not be read);
- agrees: the service runs the production tag;
- hotfix_live: the service already runs the hotfix being prepared;
- differs: the service runs something else (an older release, a pre-release, a sha);
- unreadable: the service could not be asked, or its answer held no version.
"""


@dataclass(frozen=True)
class ReleaseInfo:
    """A snapshot of the release: everything the release bar and the git actions need."""

    repo_dir: Path
    production_tag: str | None = None
    """The highest release tag (pre-releases left out unless asked for), or the pinned one."""
    pinned: bool = False
    """The production tag comes from `[git] production`, not from the tag rule."""
    next_version: str | None = None
    previous_version: str | None = None
    """What a rollback returns to: the production tag once the hotfix is tagged,
    else the release before the production tag."""
    branch: str | None = None
    """The current branch, sanitized; None when HEAD is detached."""
    is_hotfix_branch: bool = False
    detached: bool = False
    dirty: bool = False
    head_sha: str = ""
    commit_count: int = 0
    """Commits on HEAD since the production tag (may exceed the listed ones)."""
    commits_since_tag: tuple[CommitInfo, ...] = ()
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    max_changed_lines: int = 200
    too_big: bool = False
    """Lines added + removed exceed `max_changed_lines`: the change is not minimal."""
    tag_exists: bool = False
    tag_pushed: bool | None = None
    """None when there is no remote (or it could not be asked)."""
    merged_to_main: bool = False
    has_remote: bool = False
    branch_on_remote: bool = False
    main_branch: str = "main"
    remote: str = "origin"
    push: bool = False
    service_state: ServiceState = "unchecked"
    service_version: str | None = None
    """What the service says it runs (sanitized), when `version_url` is set and answered."""
    service_error: str | None = None
    """Why the service's version could not be read, in one line."""
    error: str | None = None
    """Set (and everything else default) when the path is not a usable repository."""


def service_state(reported: str | None, production: str | None, hotfix: str | None) -> ServiceState:
    """Compare what the service reports with the production tag and the hotfix version."""
    if reported is None:
        return "unreadable"
    if same_version(reported, production):
        return "agrees"
    if same_version(reported, hotfix):
        return "hotfix_live"
    return "differs"


def release_to_json(info: ReleaseInfo) -> dict[str, Any]:
    """The `"git"` object of `warroom check --json`."""
    return {
        "production_tag": info.production_tag,
        "next_version": info.next_version,
        "branch": info.branch,
        "commits_since_tag": info.commit_count,
        "files_changed": info.files_changed,
        "lines_added": info.lines_added,
        "lines_removed": info.lines_removed,
        "tag_exists": info.tag_exists,
        "merged_to_main": info.merged_to_main,
        "previous_version": info.previous_version,
        "pinned": info.pinned,
        "service": {
            "state": info.service_state,
            "version": info.service_version,
            "error": info.service_error,
        },
    }


async def read_release(git: GitConfig, repo_dir: Path) -> ReleaseInfo:
    """Read the release state without blocking the event loop."""
    return await asyncio.to_thread(read_release_sync, git, repo_dir)


def _open(repo_dir: Path) -> Repo | str:
    from git import InvalidGitRepositoryError, NoSuchPathError, Repo

    try:
        return Repo(repo_dir)
    except NoSuchPathError:
        return f"git: {clean(str(repo_dir))}: no such directory"
    except InvalidGitRepositoryError:
        return f"git: {clean(str(repo_dir))}: not a git repository"


def _first_line(exc: GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    line = lines[0] if lines else str(exc).splitlines()[0]
    line = line.removeprefix("stderr: ").strip("'").strip()
    return clean(line, 300)


def read_release_sync(git: GitConfig, repo_dir: Path) -> ReleaseInfo:
    """Blocking version of `read_release`, for the headless `warroom check`."""
    from git import GitCommandError

    opened = _open(repo_dir)
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
            return _replace(base, error=f"git: {_first_line(exc)}")
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
    branch_on_remote = branch is not None and f"refs/remotes/{git.remote}/{branch}" in _refs(repo)
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


def _refs(repo: Repo) -> set[str]:
    return {r.path for r in repo.refs}


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
        with repo.git.custom_environment(**_NO_PROMPT):
            out = repo.git.ls_remote(
                "--tags", remote, f"refs/tags/{tag}", kill_after_timeout=REMOTE_TIMEOUT
            )
    except GitCommandError:
        return None
    return bool(str(out).strip())


# --- plans ---------------------------------------------------------------------

ActionKind = Literal["branch", "tag", "merge_back"]


@dataclass(frozen=True)
class Plan:
    """Git commands about to run, exactly as shown to the user before they confirm."""

    kind: ActionKind
    repo_dir: Path
    commands: tuple[tuple[str, ...], ...]
    """Each command's arguments after `git`."""
    expect_head: str
    """HEAD when the plan was made; execution refuses if it moved."""
    summary: str

    @property
    def lines(self) -> tuple[str, ...]:
        """The commands as shell-quoted lines for a confirmation dialog."""
        return tuple(shlex.join(["git", *cmd]) for cmd in self.commands)


@dataclass(frozen=True)
class Refusal:
    """Why a git action cannot be planned, in one line."""

    message: str


@dataclass(frozen=True)
class ActionResult:
    """What happened when a plan ran: journaled as is."""

    kind: ActionKind
    ok: bool
    message: str
    """One line: what was done, or which command failed and git's reason."""
    ran: tuple[str, ...]
    """The command lines that ran (the failing one last when not ok)."""


_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(?:/|$)")


def ref_name_problem(name: str) -> str | None:
    """Why `name` is not a usable branch or tag name (git check-ref-format rules), or None."""
    if not name:
        return "the name is empty"
    if clean(name) != name or _BAD_REF.search(name):
        return f"{clean(name)!r} is not a valid git ref name"
    if name.startswith(("-", "/", ".")) or name.endswith(("/", ".")) or name == "@":
        return f"{clean(name)!r} is not a valid git ref name"
    return None


def _common_refusal(info: ReleaseInfo) -> Refusal | None:
    if info.error:
        return Refusal(info.error)
    if info.dirty:
        return Refusal("the working tree has uncommitted changes; commit or stash them first")
    if info.detached:
        return Refusal("HEAD is detached; check out a branch first")
    if info.production_tag is None or info.next_version is None:
        return Refusal("no version tags match the tag pattern; tag the production release first")
    return None


def plan_branch(info: ReleaseInfo, name: str | None = None) -> Plan | Refusal:
    """Create the hotfix branch from the production tag (default `hotfix/<next version>`)."""
    refusal = _common_refusal(info)
    if refusal:
        return refusal
    assert info.production_tag is not None and info.next_version is not None
    if info.is_hotfix_branch:
        return Refusal(f"already on hotfix branch {info.branch}")
    branch = name if name is not None else f"{HOTFIX_PREFIX}{info.next_version}"
    problem = ref_name_problem(branch)
    if problem:
        return Refusal(problem)
    if _branch_exists(info.repo_dir, branch):
        return Refusal(f"branch {branch} already exists")
    commands: list[tuple[str, ...]] = [
        ("switch", "--create", branch, f"refs/tags/{info.production_tag}")
    ]
    if info.push and info.has_remote:
        commands.append(("push", "--set-upstream", info.remote, branch))
    return Plan(
        kind="branch",
        repo_dir=info.repo_dir,
        commands=tuple(commands),
        expect_head=info.head_sha,
        summary=f"create branch {branch} from {info.production_tag}",
    )


def plan_tag(info: ReleaseInfo, message: str | None = None) -> Plan | Refusal:
    """Create the annotated tag of the next version on HEAD."""
    refusal = _common_refusal(info)
    if refusal:
        return refusal
    tag = info.next_version
    assert tag is not None
    if info.tag_exists:
        return Refusal(f"tag {tag} already exists")
    if info.commit_count == 0:
        return Refusal(f"HEAD has no commits since {info.production_tag}; nothing to release")
    text = clean(message, 500) if message else f"Hotfix {tag}"
    commands: list[tuple[str, ...]] = [("tag", "--annotate", tag, "--message", text)]
    if info.push and info.has_remote:
        commands.append(("push", info.remote, f"refs/tags/{tag}"))
    return Plan(
        kind="tag",
        repo_dir=info.repo_dir,
        commands=tuple(commands),
        expect_head=info.head_sha,
        summary=f"tag {tag} on {info.branch}",
    )


def plan_merge_back(info: ReleaseInfo) -> Plan | Refusal:
    """Merge the hotfix branch back to main and delete it."""
    refusal = _common_refusal(info)
    if refusal:
        return refusal
    branch = info.branch
    if branch is None or not info.is_hotfix_branch:
        return Refusal(f"not on a hotfix branch (on {branch}); switch to the hotfix branch first")
    if not _branch_exists(info.repo_dir, info.main_branch):
        return Refusal(f"branch {info.main_branch} does not exist")
    main = info.main_branch
    commands: list[tuple[str, ...]] = [
        ("switch", main),
        ("merge", "--no-ff", "--message", f"Merge {branch} into {main}", branch),
        ("branch", "--delete", branch),
    ]
    if info.push and info.has_remote:
        commands.append(("push", info.remote, main))
        if info.branch_on_remote:
            commands.append(("push", info.remote, "--delete", branch))
    return Plan(
        kind="merge_back",
        repo_dir=info.repo_dir,
        commands=tuple(commands),
        expect_head=info.head_sha,
        summary=f"merge {branch} into {main} and delete it",
    )


def _branch_exists(repo_dir: Path, branch: str) -> bool:
    opened = _open(repo_dir)
    if isinstance(opened, str):
        return False
    with opened as repo:
        return f"refs/heads/{branch}" in _refs(repo)


async def execute(plan: Plan) -> ActionResult:
    """Run a confirmed plan without blocking the event loop."""
    return await asyncio.to_thread(execute_sync, plan)


def execute_sync(plan: Plan) -> ActionResult:
    """Run the plan's commands in order, stopping at the first that fails."""
    from git import GitCommandError

    opened = _open(plan.repo_dir)
    if isinstance(opened, str):
        return ActionResult(plan.kind, False, opened, ())
    ran: list[str] = []
    with opened as repo:
        if repo.head.commit.hexsha != plan.expect_head:
            return ActionResult(
                plan.kind,
                False,
                "the repository changed since the plan was shown; review it again",
                (),
            )
        for cmd, line in zip(plan.commands, plan.lines, strict=True):
            ran.append(line)
            try:
                repo.git.execute(["git", *cmd], env=_NO_PROMPT)
            except GitCommandError as exc:
                return ActionResult(
                    plan.kind, False, f"{clean(line, 300)} failed: {_first_line(exc)}", tuple(ran)
                )
    return ActionResult(plan.kind, True, f"done: {plan.summary}", tuple(ran))

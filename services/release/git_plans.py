"""The git steps of a hotfix as plans: shown exactly before they run, run exactly as shown.

`plan_*` returns the git commands (or a one-line refusal) for a confirmation dialog,
and `execute` runs exactly those commands, refusing if HEAD moved in between.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from warroom.services.release.git_repo import NO_PROMPT, first_line, open_repo, ref_names
from warroom.services.release.release_info import ReleaseInfo
from warroom.services.release.versions import HOTFIX_PREFIX
from warroom.services.sanitize import clean

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
    opened = open_repo(repo_dir)
    if isinstance(opened, str):
        return False
    with opened as repo:
        return f"refs/heads/{branch}" in ref_names(repo)


async def execute(plan: Plan) -> ActionResult:
    """Run a confirmed plan without blocking the event loop."""
    return await asyncio.to_thread(execute_sync, plan)


def execute_sync(plan: Plan) -> ActionResult:
    """Run the plan's commands in order, stopping at the first that fails."""
    from git import GitCommandError

    opened = open_repo(plan.repo_dir)
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
                repo.git.execute(["git", *cmd], env=NO_PROMPT)
            except GitCommandError as exc:
                return ActionResult(
                    plan.kind, False, f"{clean(line, 300)} failed: {first_line(exc)}", tuple(ran)
                )
    return ActionResult(plan.kind, True, f"done: {plan.summary}", tuple(ran))

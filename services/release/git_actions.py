"""The git actions of a hotfix, run for the release controller and journaled.

Each action (branch from the production tag, tag the next version, merge back) is
planned afresh from the repository, confirmed by a person, run in a task of its own,
journaled, and ticks the runbook items it performs.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from warroom.services import events as kinds
from warroom.services.config import LoadedConfig
from warroom.services.release.actions import ActionRun
from warroom.services.release.controller_hooks import Record, RunbookNow
from warroom.services.release.git import (
    ActionKind,
    ActionResult,
    Plan,
    Refusal,
    ReleaseInfo,
    execute,
    plan_branch,
    plan_merge_back,
    plan_tag,
    read_release,
)
from warroom.services.sanitize import clean

GIT_EVENTS: dict[ActionKind, str] = {
    "branch": "release.branch",
    "tag": "release.tag",
    "merge_back": "release.merge",
}
"""The journal event of each git action."""

GIT_ACTIONS: tuple[tuple[ActionKind, str], ...] = (
    ("branch", "Create the hotfix branch from the production tag"),
    ("tag", "Tag the next version"),
    ("merge_back", "Merge back to main and delete the branch"),
)

GIT_TITLES: dict[str, tuple[ActionKind, str]] = {kind: (kind, t) for kind, t in GIT_ACTIONS}
"""Each git action and its title, by the option id the Release screen gives it."""

REFRESH_EVERY = 10.0
"""Seconds between re-reads of the git state while the screen is open."""

GIT_ITEMS: dict[ActionKind, tuple[str, ...]] = {
    "branch": ("p03.branch-from-tag",),
    "tag": ("p07.tag-push",),
    "merge_back": ("p17.merge", "p17.cleanup"),
}
"""The runbook items each git action performs (those the runbook has and are open)."""


class GitActions:
    """The release controller's git actions: plan one, run a confirmed plan, journal it.

    A mixin of `ReleaseController`, which owns the state named below.
    """

    release: ReleaseInfo | None
    run: ActionRun | None
    message: str
    _record: Record
    _runbook: RunbookNow | None
    _display_ids: itertools.count[int]
    _task: asyncio.Task[Any] | None
    _changed: Callable[[], None]
    loaded: LoadedConfig

    @property
    def repo_dir(self) -> Path | None:
        """The repository of `[git]`, resolved beside the config; None without `[git]`."""
        git = self.loaded.config.git
        return None if git is None else self.loaded.resolve(git.repo)

    async def refresh_release(self) -> ReleaseInfo | None:
        """Re-read the git state (in a thread) and tell the subscribers."""
        git = self.loaded.config.git
        repo = self.repo_dir
        if git is None or repo is None:
            return None
        self.release = await read_release(git, repo)
        self._changed()
        return self.release

    async def plan(self, kind: ActionKind) -> Plan | Refusal:
        """Read the git state afresh and plan one git action (both in a thread)."""
        info = await self.refresh_release()
        if info is None:
            return Refusal("no [git] section is configured")
        return await asyncio.to_thread(plan_for, kind, info)

    def start_git(self, plan: Plan) -> asyncio.Task[ActionResult]:
        """Run a confirmed git plan, journal it and re-read the state, in a task of its own."""
        task = asyncio.create_task(self._git(plan))
        self._task = task
        return task

    async def _git(self, plan: Plan) -> ActionResult:
        version = self.release.next_version if self.release is not None else None
        result = await execute(plan)
        lines = [f"$ {clean(line)}" for line in result.ran] + [result.message]
        self.run = ActionRun(
            run_id=next(self._display_ids),
            seq=1,
            name=f"git {plan.kind.replace('_', ' ')}",
            argv=(),
            state="succeeded" if result.ok else "failed",
            exit_code=0 if result.ok else 1,
            new_lines=tuple(lines),
            tail=tuple(lines),
            lines_total=len(lines),
        )
        self.message = result.message
        self._changed()
        payload: dict[str, Any] = {
            "ok": result.ok,
            "summary": plan.summary,
            "message": result.message,
            "commands": list(result.ran),
            "version": version,
        }
        await self._record(GIT_EVENTS[plan.kind], payload)
        if result.ok:
            await self._tick_git_items(plan.kind, clean(plan.summary, 200))
        await self.refresh_release()
        return result

    async def _tick_git_items(self, kind: ActionKind, summary: str) -> None:
        """The git action did what these items say: tick the open ones, noting how."""
        state = self._runbook() if self._runbook is not None else None
        if state is None:
            return
        for item_id in GIT_ITEMS[kind]:
            item = state.item(item_id)
            if item is not None and item.status == "open":
                await self._record(kinds.ITEM_DONE, {"item": item_id, "note": f"by git: {summary}"})


def plan_for(kind: ActionKind, info: ReleaseInfo) -> Plan | Refusal:
    """The plan (or refusal) of one git action; blocking (it may look at branches)."""
    if kind == "branch":
        return plan_branch(info)
    if kind == "tag":
        return plan_tag(info)
    return plan_merge_back(info)

"""The release as one value: what the release bar, the git actions and `check` read.

`ReleaseInfo` is built by `git.read_release`; it says which tag is in production,
what the hotfix will be called, how big the change is, and how the version the
service reports compares with the tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from warroom.services.release.versions import same_version


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

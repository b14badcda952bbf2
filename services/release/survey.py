"""A first look at a repository's release tags, for `warroom init` to write `[git]` from.

The tag that would be production is chosen by the same rule as the release bar
(`versions.production_tag`: the highest release, pre-releases left out), so what
init says is what the dashboard will show. Tag names come out of git and are
sanitized here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warroom.services.release.versions import (
    is_release,
    parse_version,
    production_tag,
    version_tags,
)
from warroom.services.sanitize import clean


@dataclass(frozen=True)
class TagSurvey:
    """What init found in git: the repository, its version tags and the production pick."""

    repo_dir: Path | None
    """The work tree's top folder; None when no repository was found."""
    tags: tuple[str, ...] = ()
    """Every tag matching `pattern` that names a version, lowest first."""
    other_tags: int = 0
    """Tags that are not versions (`latest`, `deploy-2026`), counted, never chosen."""
    pattern: str = "v*"
    production: str | None = None
    prereleases: tuple[str, ...] = ()
    """Version tags left out of the production pick because they are pre-releases."""
    main_branch: str = "main"
    error: str | None = None
    """Why the repository could not be read, in one line (no repository is not an error)."""


def tag_pattern(tags: list[str]) -> str:
    """`v*` when the versions are written `v1.2.3` (or there are none), `*` when `1.2.3`."""
    versions = [v for v in (parse_version(t) for t in tags) if v is not None]
    if not versions or any(v.prefix == "v" for v in versions):
        return "v*"
    return "*"


def survey_names(tags: list[str], branches: list[str], repo_dir: Path) -> TagSurvey:
    """The survey of a repository with these tag and branch names (a pure function)."""
    pattern = tag_pattern(tags)
    found = version_tags(tags, pattern)
    names = tuple(clean(v.tag, 200) for v in found)
    pre = tuple(clean(v.tag, 200) for v in found if not is_release(v))
    chosen = production_tag(tags, pattern)
    main = next(
        (b for b in ("main", "master") if b in branches), branches[0] if branches else "main"
    )
    return TagSurvey(
        repo_dir=repo_dir,
        tags=names,
        other_tags=len(tags) - len(found),
        pattern=pattern,
        production=clean(chosen, 200) if chosen is not None else None,
        prereleases=pre,
        main_branch=clean(main, 200),
    )


def survey_tags(start: Path) -> TagSurvey:
    """Find the repository holding `start` and survey its tags (blocking: git runs)."""
    from git import GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

    try:
        repo = Repo(start, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return TagSurvey(repo_dir=None)
    with repo:
        top = Path(repo.working_tree_dir or start)
        try:
            tags = [t.name for t in repo.tags]
            branches = [h.name for h in repo.heads]
        except (GitCommandError, ValueError, OSError) as exc:
            return TagSurvey(repo_dir=top, error=f"git: {clean(str(exc), 300)}")
    return survey_names(tags, branches, top)

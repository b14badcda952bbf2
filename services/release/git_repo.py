"""Opening a repository and talking to git safely: no prompts, one clean line per error.

GitPython is imported where it is used, not at module load: the dashboard draws its
first frame before anything reads the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from warroom.services.sanitize import clean

if TYPE_CHECKING:
    from git import GitCommandError, Repo

# Git must never stop to ask for a password on a terminal the dashboard owns.
NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}
"""The environment every git command that may reach a remote runs with."""


def open_repo(repo_dir: Path) -> Repo | str:
    """The repository at `repo_dir`, or one line saying why it is not one."""
    from git import InvalidGitRepositoryError, NoSuchPathError, Repo

    try:
        return Repo(repo_dir)
    except NoSuchPathError:
        return f"git: {clean(str(repo_dir))}: no such directory"
    except InvalidGitRepositoryError:
        return f"git: {clean(str(repo_dir))}: not a git repository"


def first_line(exc: GitCommandError) -> str:
    """Git's reason for a failed command, as one sanitized line."""
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    line = lines[0] if lines else str(exc).splitlines()[0]
    line = line.removeprefix("stderr: ").strip("'").strip()
    return clean(line, 300)


def ref_names(repo: Repo) -> set[str]:
    """Every ref's full name (`refs/heads/main`, `refs/remotes/origin/x`)."""
    return {r.path for r in repo.refs}

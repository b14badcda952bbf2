"""Runbook commands in the incident's own versions: `{version}` becomes v1.9.1.

A runbook is written once and used in every incident, so its commands name the
versions by role, not by number. The rules, also in the README:

- `{production_tag}`, `{version}` (the hotfix version), `{previous_version}` (what a
  rollback returns to) and `{branch}` are replaced by the release's values.
- A value not known yet (no git repository, no tag) leaves its placeholder as
  written, so the reader sees `{version}` rather than an empty gap or a wrong number.
- `{{version}}` writes a literal `{version}` (the way to keep a shell `${{branch}}`).
- Every other brace is text as written: JSON bodies, `awk '{print $1}'` and `${HOME}`
  need no escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Protocol

from warroom.services.release.versions import HOTFIX_PREFIX
from warroom.services.sanitize import clean

PLACEHOLDERS = ("production_tag", "version", "previous_version", "branch")
"""The names a command may hold in braces, in the order the README lists them."""

_NAMES = "|".join(PLACEHOLDERS)
_PATTERN = re.compile(rf"\{{\{{({_NAMES})\}}\}}|\{{({_NAMES})\}}")
# Two alternatives: the escaped form `{{name}}` is tried first, so its inner `{name}`
# is never seen as a placeholder.


@dataclass(frozen=True)
class CommandValues:
    """What the placeholders stand for in this incident; None where not yet known."""

    production_tag: str | None = None
    version: str | None = None
    """The hotfix version being shipped (the next version after the production tag)."""
    previous_version: str | None = None
    """What a rollback returns to."""
    branch: str | None = None

    def get(self, name: str) -> str | None:
        """The value of placeholder `name`, or None when unknown."""
        value: str | None = getattr(self, name, None)
        return value


class ReleaseSnapshot(Protocol):
    """The parts of a release snapshot (`ReleaseInfo`) the placeholders are filled from.

    A protocol, not an import: the runbook needs four values, not the git machinery.
    """

    @property
    def production_tag(self) -> str | None: ...

    @property
    def next_version(self) -> str | None: ...

    @property
    def previous_version(self) -> str | None: ...

    @property
    def branch(self) -> str | None: ...

    @property
    def is_hotfix_branch(self) -> bool: ...


def command_values(release: ReleaseSnapshot | None) -> CommandValues:
    """The placeholder values of a release snapshot; all unknown when there is none."""
    if release is None:
        return CommandValues()
    values = CommandValues(
        production_tag=release.production_tag,
        version=release.next_version,
        previous_version=release.previous_version,
        branch=_hotfix_branch(release),
    )
    # Tags and branch names come from git: made inert here too, as they end up on screen.
    cleaned = {f.name: _clean(values.get(f.name)) for f in fields(values)}
    return CommandValues(**cleaned)


def _hotfix_branch(release: ReleaseSnapshot) -> str | None:
    """The hotfix branch: the one checked out, else the one the release screen creates.

    Before the branch exists the checkout is main, and `git checkout -b main` would be
    a wrong command to copy; the name warroom gives a new branch is the right one.
    """
    if release.is_hotfix_branch and release.branch:
        return release.branch
    if release.next_version:
        return f"{HOTFIX_PREFIX}{release.next_version}"
    return None


def _clean(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return clean(value, 200)


def fill_commands(commands: str, values: CommandValues | None) -> str:
    """`commands` with each known placeholder replaced; unknown ones stay as written."""
    if "{" not in commands:
        return commands
    known = values or CommandValues()

    def repl(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped is not None:
            return "{" + escaped + "}"
        value = known.get(name)
        return match.group(0) if value is None else value

    return _PATTERN.sub(repl, commands)


def fill_from_release(commands: str, release: ReleaseSnapshot | None) -> str:
    """`fill_commands` with the values of a release snapshot, for one-off callers."""
    return fill_commands(commands, command_values(release))

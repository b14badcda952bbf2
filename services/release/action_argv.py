"""A deploy command's argv: placeholders filled, and whether the config may run it at all.

A command is an argv list with placeholders ({version}, {previous_version}, {batch});
the confirmation dialog shows exactly what `prepare` gives, and the runner executes
that. A config anyone else can write is refused before anything runs.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from warroom.services.config import ActionsConfig
from warroom.services.redact import mask

PLACEHOLDERS = frozenset({"version", "previous_version", "batch"})
"""The names a command may use in braces."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class PreparedAction:
    """A command with its placeholders filled: what the confirmation dialog shows."""

    name: str
    argv: tuple[str, ...]
    """What will be executed (for `shell = true`: /bin/sh -c and the command line)."""
    description: str = ""

    @property
    def line(self) -> str:
        """The argv as one shell-quoted line, for display (secrets from the environment masked)."""
        return mask(shlex.join(self.argv))


@dataclass(frozen=True)
class ActionError:
    """Why an action cannot run, in one line."""

    message: str


def expand(
    template: str, values: Mapping[str, str | int | None], quote: bool = False
) -> str | ActionError:
    """Fill {name} placeholders in one argument; `{{` and `}}` are literal braces.

    With `quote`, values are shell-quoted (for `shell = true` commands), so a version
    string can never become shell syntax.
    """
    problem: list[str] = []

    def repl(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        name = match.group(1)
        if name not in PLACEHOLDERS:
            problem.append(f"unknown placeholder {{{name}}} (known: {_known()})")
            return ""
        value = values.get(name)
        if value is None:
            problem.append(f"no value for {{{name}}}")
            return ""
        return shlex.quote(str(value)) if quote else str(value)

    result = _PLACEHOLDER.sub(repl, template)
    if problem:
        return ActionError(problem[0])
    return result


def _known() -> str:
    return ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))


def prepare(
    config: ActionsConfig, name: str, **placeholders: str | int | None
) -> PreparedAction | ActionError:
    """The exact argv of the named command with placeholders filled, or why not."""
    command = config.commands.get(name)
    if command is None:
        known = ", ".join(sorted(config.commands)) or "none configured"
        return ActionError(f"no action named {name!r} (known: {known})")
    unknown = set(placeholders) - PLACEHOLDERS
    if unknown:
        return ActionError(f"unknown placeholder {{{sorted(unknown)[0]}}} given")
    filled: list[str] = []
    for i, arg in enumerate(command.argv):
        value = expand(arg, placeholders, quote=command.shell)
        if isinstance(value, ActionError):
            return ActionError(f"actions.commands.{name}.argv[{i + 1}]: {value.message}")
        filled.append(value)
    argv = ("/bin/sh", "-c", " ".join(filled)) if command.shell else tuple(filled)
    return PreparedAction(name=name, argv=argv, description=command.description)


# --- safety --------------------------------------------------------------------


def check_config_permissions(config_path: Path) -> str | None:
    """Why actions must not run from this config (like ssh's StrictModes), or None.

    A config anyone else can write is a config anyone else can turn into a command
    run with your credentials: refuse when the file or its folder is writable by
    group or others, or owned by another user (root excepted).
    """
    path = Path(os.path.abspath(config_path))
    me = os.getuid()
    for target, what in ((path, "config file"), (path.parent, "config folder")):
        try:
            info = target.stat()
        except OSError as exc:
            return f"refusing to run actions: cannot check {what} {target}: {exc.strerror}"
        mode = stat.S_IMODE(info.st_mode)
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            who = (
                "group and others"
                if mode & stat.S_IWGRP and mode & stat.S_IWOTH
                else ("group" if mode & stat.S_IWGRP else "others")
            )
            return (
                f"refusing to run actions: {what} {target} is writable by {who} "
                f"(mode {mode:04o}); run: chmod go-w {shlex.quote(str(target))}"
            )
        if info.st_uid not in (me, 0):
            return (
                f"refusing to run actions: {what} {target} is owned by uid {info.st_uid}, "
                f"not by you (uid {me}) or root"
            )
    return None

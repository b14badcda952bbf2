"""`ConfigError` and the translation of pydantic's errors into its one line.

Both TOML files warroom reads (`warroom.toml` and a runbook) report mistakes the
same way, `warroom: <file>: <key.path>: <problem>`, so both use what is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from warroom.services.sanitize import clean


class ConfigError(Exception):
    """A mistake in the user's config, carrying the one line to print."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        # Key paths and problems quote the file's own text: made inert like any
        # untrusted text, so a key holding ESC cannot clear the terminal it is printed on.
        file, path, problem = clean(file, 300), clean(path, 300), clean(problem, 500)
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(f"warroom: {where}{problem}")


MAX_DEPTH = 32
"""Deepest nesting of tables and arrays accepted; no warroom key is nested half as deep."""


def key_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the user wrote it: arrays of tables numbered from 1."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item + 1}]"
        else:
            parts.append(str(item))
    if len(parts) > MAX_DEPTH:
        # A path thousands of keys deep would not fit the one line it is printed on.
        parts = [*parts[:4], "…"]
    return ".".join(parts)


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
}


def problem_of(error: Mapping[str, Any]) -> str:
    """pydantic's message for one error, reworded to read as a config problem."""
    kind = str(error.get("type", ""))
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if kind == "literal_error":
        message = message.replace("Input should be", "must be")
    elif message.startswith("Input should"):
        message = "must" + message[len("Input should") :]
    elif message.startswith("String should"):
        message = "must" + message[len("String should") :]
    value = error.get("input")
    if kind != "value_error" and isinstance(value, str | int | float):
        message = f"{message} (got {value!r})"
    return message


def first_error(exc: ValidationError, file: str) -> ConfigError:
    """The first of pydantic's errors as the one line a user reads (the rest follow from it)."""
    first = exc.errors()[0]
    return ConfigError(file, key_path(tuple(first["loc"])), problem_of(first))

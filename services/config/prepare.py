"""One walk over the parsed TOML before validation: nesting, numbers, `${env:}`, text.

What pydantic cannot say well is said here first, with the key path: a value nested
without end, a number TOML allows but nothing can use, an environment variable
that is not set, a control character where none can be meant.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

from warroom.services.config.errors import MAX_DEPTH, ConfigError, key_path
from warroom.services.redact import MIN_SECRET
from warroom.services.sanitize import clean, describe, first_unsafe

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
"""`${env:NAME}`: a value taken from the environment when the config is loaded."""

_INT_RANGE = 2**63
"""TOML integers are 64-bit; a bigger one overflows where it is used, so it is refused."""

_FREE_TEXT = frozenset({"title", "role", "contact", "description", "unit"})
"""Keys whose strings are prose shown to people: control characters are made visible."""


def _string_rule(loc: tuple[int | str, ...]) -> str:
    """How a config string at `loc` is treated: "clean", "argv", "verbatim" or "reject".

    Prose is sanitized like any untrusted text. A command line may hold a newline (a
    `sh -c` script). A JSON body is sent, never shown, and is JSON-escaped on the way.
    Everything else (names, ids, URLs, headers, paths, patterns) is refused: a control
    character can never be meant there, and changing it would change what it means.
    """
    keys = [part for part in loc if isinstance(part, str)]
    if keys[:2] == ["endpoint", "json"]:
        return "verbatim"
    if keys == ["log", "command"] or (keys[:2] == ["actions", "commands"] and keys[3:] == ["argv"]):
        return "argv"
    if keys and keys[-1] in _FREE_TEXT:
        return "clean"
    if keys == ["escalation", "levels", "name"]:
        return "clean"  # a person's name, shown, never looked up
    return "reject"


class Preparer:
    """One walk over the parsed TOML before validation: nesting, numbers, `${env:}`, text.

    Each problem is a `ConfigError` naming the key path; the walk stops at `MAX_DEPTH`,
    so no input can make it (or pydantic after it) recurse without bound.
    """

    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env

    def fail(self, loc: tuple[int | str, ...], problem: str) -> ConfigError:
        """The error for `loc`, with the key path as the user wrote it."""
        return ConfigError(self.file, key_path(loc), problem)

    def walk(self, value: Any, loc: tuple[int | str, ...]) -> Any:
        """`value` checked and with its strings filled and made safe, or a `ConfigError`."""
        if len(loc) > MAX_DEPTH:
            raise self.fail(loc, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, str):
            return self.string(value, loc)
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(loc, "must be a finite number (not nan or inf)")
        if isinstance(value, int) and not -_INT_RANGE <= value < _INT_RANGE:
            raise self.fail(loc, "integer out of range (TOML integers are 64-bit)")
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                self.name(key, (*loc, key))
                out[key] = self.walk(item, (*loc, key))
            return out
        if isinstance(value, list):
            return [self.walk(item, (*loc, i)) for i, item in enumerate(value)]
        return value

    def name(self, key: str, loc: tuple[int | str, ...]) -> None:
        """Refuse a key name holding a control character (it would be printed in errors)."""
        bad = first_unsafe(key)
        if bad is not None:
            raise self.fail(loc, f"control character {describe(bad)} in a key name")

    def string(self, value: str, loc: tuple[int | str, ...]) -> str:
        """A string value with `${env:}` filled, cleaned or refused by its key's rule."""
        rule = _string_rule(loc)
        filled = self.substitute(value, loc)
        if rule == "verbatim":
            return filled
        if rule == "clean":
            return clean(filled)
        allow = "\n" if rule == "argv" else ""
        # The file's text is checked apart from what the environment filled in, so the
        # error can say where the character came from without quoting a secret.
        for text, origin in ((value, ""), (filled, " (in its ${env:} value)")):
            bad = first_unsafe(text, allow)
            if bad is not None:
                raise self.fail(loc, f"control character {describe(bad)} not allowed{origin}")
        return filled

    def substitute(self, value: str, loc: tuple[int | str, ...]) -> str:
        """`value` with every `${env:NAME}` replaced; an unset NAME is an error."""

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.env:
                raise self.fail(loc, f"environment variable {name} is not set")
            return self.env[name]

        return ENV_REF.sub(repl, value)


def env_values(text: str, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The values every `${env:NAME}` in the config text stands for."""
    source = os.environ if env is None else env
    names = {match.group(1) for match in ENV_REF.finditer(text)}
    return frozenset(value for name in names if len(value := source.get(name, "")) >= MIN_SECRET)

"""The one way warroom reads a TOML file: read, decode, parse, each failure one line.

`warroom.toml` and a runbook file fail the same ways (missing, a folder, unreadable,
not UTF-8, bad syntax, nested without end), so both go through here and a user
reads the same message for the same mistake in either.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from warroom.services.config.errors import MAX_DEPTH, ConfigError


def read_toml_text(path: Path, shown: str, *, missing: str = "file not found") -> str:
    """The UTF-8 text of `path`, or a `ConfigError` naming `shown` and what went wrong.

    `missing` is the problem reported when the file does not exist, so a caller can
    add a hint ("pass --config PATH") or say which file it is ("runbook file not found").
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, "", missing) from None
    except IsADirectoryError:
        raise ConfigError(shown, "", "is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(shown, "", "permission denied") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, "", f"not UTF-8 text (byte {exc.start})") from None


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """TOML text as plain data, or the one-line `ConfigError` with the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says e.g. "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        raise ConfigError(file, "", f"TOML syntax error: {exc}") from None
    except RecursionError:
        found = _too_deep(text)
        path, problem = (found.path, found.problem) if found else ("", "nested too deeply")
        raise ConfigError(file, path, problem) from None


def read_toml(path: Path, shown: str, *, missing: str = "file not found") -> dict[str, Any]:
    """`read_toml_text` then `parse_toml`: a TOML file as plain data, or one `ConfigError`."""
    return parse_toml(read_toml_text(path, shown, missing=missing), shown)


def _too_deep(text: str) -> ConfigError | None:
    """Where tomllib gave up on nesting: the key of the first line nested too deeply."""
    for number, line in enumerate(text.splitlines(), start=1):
        depth = deepest = 0
        for char in line:
            depth += char in "[{"
            depth -= char in "]}"
            deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            key = line.split("=", 1)[0].strip() if "=" in line else ""
            return ConfigError(
                "", key[:60], f"nested more than {MAX_DEPTH} levels deep (line {number})"
            )
    return None

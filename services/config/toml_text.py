"""Writing TOML by hand: values escaped so that what is read back is what was meant.

`warroom init` writes a commented config, which no TOML library preserves, so the
text is assembled line by line. Every value goes through `toml_value`, so a path with
quotes, backslashes or non-ASCII text round-trips through `tomllib`; every comment
goes through `comment`, so text from outside (a URL, a git tag, a probe's detail)
can never end the comment and start a line of config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from warroom.services.sanitize import clean

TomlScalar = str | bool | int | float
TomlValue = TomlScalar | Sequence[TomlScalar] | Mapping[str, TomlScalar]

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out: list[str] = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            # TOML allows no raw control character in a basic string.
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """A key bare when TOML allows it (`status`), else quoted (`"a.b"`)."""
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return toml_string(key)


def toml_value(value: TomlValue) -> str:
    """Any value warroom writes: a string, bool, number, array of those or inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def comment(text: str, limit: int = 300) -> str:
    """`# text`, one line whatever `text` holds (newlines and controls made visible)."""
    return f"# {clean(text, limit)}".rstrip()

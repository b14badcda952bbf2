"""Per-user preferences (the chosen theme), kept across incidents.

Stored as JSON in `$XDG_CONFIG_HOME/warroom/settings.json` (default `~/.config`). A
missing or unreadable file means defaults; a failed save is not worth a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    """Where this user's preferences live."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "warroom" / "settings.json"


def load_theme(path: Path) -> str | None:
    """The remembered theme name, if any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def save_theme(path: Path, theme: str) -> None:
    """Remember `theme` for the next start (best effort)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": theme}) + "\n", encoding="utf-8")
        tmp.replace(path)

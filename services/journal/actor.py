"""Who is at the keyboard: the name every event this instance journals is signed with."""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Mapping

from warroom.services.sanitize import clean


def default_actor(env: Mapping[str, str] | None = None) -> str:
    """Who is at the keyboard: WARROOM_ACTOR, else git's user.name, else the login name."""
    env = os.environ if env is None else env
    name = env.get("WARROOM_ACTOR", "").strip()
    if not name:
        try:
            result = subprocess.run(
                ["git", "config", "user.name"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            )
            name = result.stdout.strip() if result.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            name = ""
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = "unknown"
    return clean(name, 200)

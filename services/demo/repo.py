"""The demo's git repository: a small auth-api history with annotated release tags.

The history tells the incident: v1.2.3 cached the signing keys forever, so a rotated key
is never picked up. The fix (`bin/apply-fix.sh`) is committed on the hotfix branch from
the dashboard. Git always runs with the user's global and system config ignored, and the
repository carries its own identity, so every commit, tag and merge works anywhere.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from warroom.services.demo.errors import DemoError
from warroom.services.process import run_sync

HOTFIX_BRANCH = "hotfix/critical-auth-fix"
"""The branch the demo's fix is committed on."""


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for git that ignores the user's global and system config."""
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


_AUTHOR = "Demo Engineer <oncall@example.com>"

_TOKENS_V1 = '''"""Token issuing for auth-api."""

from auth.keys import KeyRing


class Tokens:
    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def issue(self, user: str, scope: str = "default") -> str:
        key = self.keys.current()
        return key.sign({"sub": user, "scope": scope})
'''

_KEYS_V1 = '''"""Signing keys, reloaded from the key store when rotated."""


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        return self.store.load_current()
'''

_KEYS_V2 = '''"""Signing keys, cached across workers since v1.2.3."""

_CACHE = {}


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        # Cached forever: a rotated key is never picked up.
        if "current" not in _CACHE:
            _CACHE["current"] = self.store.load_current()
        return _CACHE["current"]
'''


_README = "# auth-api\n\nLogin and token service. Deployed with `bin/deploy-production.sh`.\n"


def _fast_import_stream(now: datetime) -> bytes:
    """The demo history as a `git fast-import` stream: one process builds every commit."""

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n" % len(raw) + raw + b"\n"

    commits: list[tuple[str, float, dict[str, str], str | None]] = [
        (
            "Initial import of auth-api",
            20 * 86400,
            {
                "README.md": _README,
                "VERSION": "1.2.1\n",
                "auth/tokens.py": _TOKENS_V1,
                "auth/keys.py": _KEYS_V1,
            },
            None,
        ),
        (
            "auth: rate-limit failed logins per user",
            9 * 86400,
            {"VERSION": "1.2.2\n", "CHANGELOG.md": "## 1.2.2\n- Rate-limit failed logins.\n"},
            "v1.2.2",
        ),
        (
            "auth: cache signing keys across workers",
            1 * 86400,
            {
                "VERSION": "1.2.3\n",
                "auth/keys.py": _KEYS_V2,
                "CHANGELOG.md": "## 1.2.3\n- Cache signing keys.\n\n"
                "## 1.2.2\n- Rate-limit failed logins.\n",
            },
            "v1.2.3",
        ),
        (
            "docs: describe the deploy scripts",
            4 * 3600,
            {"README.md": _README + "\nRollback: `bin/rollback.sh VERSION`.\n"},
            None,
        ),
    ]
    out = bytearray()
    for mark, (message, age, files, tag) in enumerate(commits, start=1):
        when = f"{int(now.timestamp() - age)} +0000"
        out += b"commit refs/heads/main\nmark :%d\n" % mark
        out += f"author {_AUTHOR} {when}\ncommitter {_AUTHOR} {when}\n".encode()
        out += data(message + "\n")
        if mark > 1:
            out += b"from :%d\n" % (mark - 1)
        for path, text in files.items():
            out += f"M 100644 inline {path}\n".encode() + data(text)
        if tag:
            out += f"tag {tag}\nfrom :{mark}\ntagger {_AUTHOR} {when}\n".encode()
            out += data(f"Release {tag[1:]}\n")
    return bytes(out)


def build_repo(repo: Path, now: datetime) -> None:
    """A small real repository: commits on main, annotated tags v1.2.2 and v1.2.3."""
    if repo.exists():
        raise DemoError(f"{repo} already exists; the demo needs an empty folder")
    env = git_env()
    try:
        run_sync(["git", "init", "-q", "--initial-branch=main", str(repo)], env=env, check=True)
        # The repository's own identity and settings, so commits, tags and merges made from
        # the dashboard work whatever the user's global config says (or lacks).
        with (repo / ".git" / "config").open("a", encoding="utf-8") as config:
            config.write(
                "[user]\n\tname = Demo Engineer\n\temail = oncall@example.com\n"
                "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
                "[core]\n\thooksPath = .git/no-hooks\n"
            )
        run_sync(
            ["git", "fast-import", "--quiet"],
            cwd=repo,
            env=env,
            input=_fast_import_stream(now),
            check=True,
        )
        run_sync(["git", "reset", "--hard", "-q"], cwd=repo, env=env, check=True)
    except FileNotFoundError:
        raise DemoError("the demo needs git on PATH") from None
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise DemoError(f"git failed: {detail[-1] if detail else exc}") from None

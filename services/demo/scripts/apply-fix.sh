#!/usr/bin/env bash
# Commit the key-refresh fix on the hotfix branch checked out in the demo repo.
set -euo pipefail
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# Git runs inside the demo repo only; the user's config stays out of it.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
cd "$REPO"
branch="$(git symbolic-ref --short HEAD)"
case "$branch" in
  hotfix/*) ;;
  *) echo "apply-fix: on $branch, not a hotfix/* branch" >&2; exit 1 ;;
esac
cat > auth/keys.py <<'EOF'
"""Signing keys, cached across workers and refreshed on rotation."""

_CACHE = {}


class KeyRing:
    def __init__(self, store) -> None:
        self.store = store

    def current(self):
        generation = self.store.generation()
        cached = _CACHE.get("current")
        if cached is None or cached[0] != generation:
            _CACHE["current"] = (generation, self.store.load_current())
        return _CACHE["current"][1]
EOF
git commit -q -am "auth: refresh cached signing keys on rotation (INC-DEMO)"
git log --oneline -1

"""The one door to Textual's private internals.

Every hook that reads or overrides something private in Textual lives here (or is
switched on from here), so a maintainer finds them in one place. Each is enabled only
on the Textual version it was written against; on any other version warroom uses
Textual's stock behaviour.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

WRITTEN_FOR = "8.2.8"
"""The Textual release every private hook here was read from and tested against."""


def _installed() -> str:
    try:
        return version("textual")
    except PackageNotFoundError:  # pragma: no cover - textual is a dependency
        return ""


INSTALLED = _installed()
"""The Textual version installed now."""

HOOKS_ENABLED = INSTALLED == WRITTEN_FOR and not os.environ.get("WARROOM_STOCK_TEXTUAL")
"""Whether the private hooks are used: only on the version they were written for, and
not when `WARROOM_STOCK_TEXTUAL` is set (to compare against stock Textual)."""

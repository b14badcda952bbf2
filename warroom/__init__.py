"""warroom: a full-screen terminal dashboard for shipping an emergency hotfix.

The code lives in the repository's top-level folders (`services/`, `widgets/`,
`themes/`, `tui/`); this package gathers them under one import name, so an
installed warroom never collides with another distribution's `services` or `tui`.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # `__version__` is looked up when asked for (`warroom --version`), not on import:
    # importlib.metadata costs about 30 ms, which every command, and the dashboard's
    # first frame, would otherwise pay before doing anything.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("warroom")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout, not installed
        return "0+unknown"

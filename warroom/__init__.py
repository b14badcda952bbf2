"""warroom: a full-screen terminal dashboard for shipping an emergency hotfix.

The code lives in the repository's top-level folders (`services/`, `widgets/`,
`themes/`, `tui/`); this package gathers them under one import name, so an
installed warroom never collides with another distribution's `services` or `tui`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("warroom")
except PackageNotFoundError:  # pragma: no cover - run from a checkout, not installed
    __version__ = "0+unknown"

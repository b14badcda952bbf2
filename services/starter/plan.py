"""What `warroom init` found and will write: plain values, one per section of the config.

The look (`look.py`) fills these from probes, a scrape, the files and git; the
renderer (`render.py`) turns them into commented TOML. Keeping them apart lets the
renderer be tested on fixed findings, and the look on real servers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from warroom.services.config.toml_text import TomlValue
from warroom.services.release.survey import TagSurvey


@dataclass(frozen=True)
class EndpointPlan:
    """One `--url`: the `[[endpoint]]` to write and what its one probe found."""

    name: str
    url: str
    finding: str
    """One line: "UP 200 in 12 ms", "unreachable (refused: connection refused)"."""
    reachable: bool
    """Whether anything answered; an endpoint that did not is written commented as such."""
    health_json: bool = False
    """The answer was application/health+json, so its "status" is judged too."""
    version_path: str | None = None
    """A key of the answer naming the version the service runs (`releaseId`), if any."""


@dataclass(frozen=True)
class LogPlan:
    """One `--log`: the `[[log]]` to write and what the file looked like."""

    name: str
    path: str
    """As written in the config: relative to its folder when inside it, else absolute."""
    shown: str
    """The absolute path, for the one-line finding."""
    finding: str
    found: bool


@dataclass(frozen=True)
class MetricPlan:
    """One `[[metric]]` to write: its keys in order and a comment saying why."""

    name: str
    keys: tuple[tuple[str, TomlValue], ...]
    note: str = ""


@dataclass(frozen=True)
class PrometheusPlan:
    """The `--prometheus` page: what it exposes and the metrics chosen to graph."""

    url: str
    finding: str
    reachable: bool
    metrics: tuple[MetricPlan, ...] = ()
    others: tuple[str, ...] = ()
    """Families exposed but not graphed ("auth_login_attempts_total (counter)")."""


@dataclass(frozen=True)
class StarterPlan:
    """Everything the written config holds, and the findings printed beside it."""

    written_at: datetime
    incident_id: str
    title: str
    survey: TagSurvey
    repo: str | None
    """`[git] repo` as written (relative to the config's folder when inside it)."""
    endpoints: tuple[EndpointPlan, ...] = ()
    logs: tuple[LogPlan, ...] = ()
    prometheus: PrometheusPlan | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def minimal(self) -> bool:
        """Nothing to watch was given: the config says what to add."""
        return not (self.endpoints or self.logs or self.prometheus)


def endpoint_name(url: str) -> str:
    """A short readable name for an endpoint: host[:port] and path (`127.0.0.1:8080/health`)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return f"{parts.netloc}{path}" or url


def unique(names: Iterable[str]) -> list[str]:
    """`names` with repeats numbered (`error.log`, `error.log (2)`): config names are unique."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        candidate = name if count == 1 else f"{name} ({count})"
        while candidate in out:
            count += 1
            candidate = f"{name} ({count})"
        seen[name] = count
        out.append(candidate)
    return out


def written_path(target: Path, config_dir: Path) -> str:
    """How the config names `target`: relative to its own folder when inside it.

    A relative path keeps the config valid when the checkout moves; one outside the
    folder is absolute, since `../..` chains break as soon as the config is copied.
    """
    absolute = Path(os.path.abspath(target))
    base = Path(os.path.abspath(config_dir))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return str(absolute)
    return relative.as_posix() or "."


def incident_id(at: datetime) -> str:
    """A fresh incident id from the time (`INC-20261201-1540`): each incident its own journal."""
    return at.strftime("INC-%Y%m%d-%H%M")

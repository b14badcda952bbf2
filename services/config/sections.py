"""The typed models of `warroom.toml`: one class per table, unknown keys rejected.

Each field's docstring is what the user reads about that key; the rules that need
more than one section at a time live in `checks.py`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.services.config.values import Duration, StatusRange
from warroom.services.config.verdict import EndpointVerdictConfig, MetricVerdictConfig


class Section(BaseModel):
    """The base of every table: frozen, and a key it does not know is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sections ------------------------------------------------------------------


class IncidentConfig(Section):
    """`[incident]`: what this war room is about."""

    id: str = Field(default="INC-LOCAL", min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Incident id, also the journal's file name (letters, digits, . _ -)."""
    title: str = "Untitled incident"
    """One line shown in the header and the report."""
    severity: Literal["SEV1", "SEV2", "SEV3", "SEV4"] = "SEV2"
    """SEV1 (worst) to SEV4."""
    started: datetime | None = None
    """When the incident began; the clock counts from here. Default: first launch."""
    state_dir: str = ".warroom"
    """Where the incident journal lives, relative to the config file."""

    @field_validator("started")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-26T04:00:00Z")
        return value.astimezone(UTC) if value is not None else None


class RunbookConfig(Section):
    """`[runbook]`: which checklist, in which language."""

    lang: Literal["en", "ja"] | None = None
    """"en" or "ja"; default from LANG, else English."""
    path: str | None = None
    """A custom runbook TOML file; default: the built-in hotfix runbook."""


class EndpointConfig(Section):
    """`[[endpoint]]`: an HTTP endpoint probed on a fixed schedule."""

    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    """Request headers; put secrets in the environment: "Bearer ${env:TOKEN}"."""
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    """A JSON body sent with POST (the runbook's login smoke check)."""
    interval: Duration = 5.0
    timeout: Duration = 2.0
    """Total deadline of one probe, connect to last byte; below the interval."""
    expect_status: list[StatusRange] = Field(default_factory=lambda: [(200, 399)])
    health_json: bool = False
    """Parse an application/health+json body (status pass/warn/fail and checks)."""
    keyword: str | None = None
    """Text that must appear in the body."""
    failure_threshold: int = Field(default=3, ge=1)
    success_threshold: int = Field(default=1, ge=1)
    latency_warn: Duration | None = None
    """A latency SLO: slower answers are WARN (slow)."""
    verify_tls: bool = True
    ca_file: str | None = None
    proxy: str | None = None
    """Proxy URL; environment proxies are ignored unless set here."""
    verdict: EndpointVerdictConfig | None = None
    """How the deploy verdict judges this endpoint (gates use the defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


MetricSource = Literal["psutil", "prometheus", "promql", "health", "log", "json", "ratio"]


class MetricConfig(Section):
    """`[[metric]]`: one figure sampled on an interval and graphed."""

    name: str = Field(min_length=1)
    source: MetricSource
    unit: str = ""
    interval: Duration = 5.0
    warn: float | None = None
    crit: float | None = None
    direction: Literal["above", "below"] = "above"
    """Whether values above (or below) the thresholds are bad."""
    min_duration: Duration = 0.0
    """How long a value must stay beyond crit before it alerts."""
    scale: float = 1.0
    """Multiplier applied to the value (100 turns a ratio into a percentage)."""
    graph: bool = True
    """False for a building block of a ratio that needs no graph of its own."""
    # psutil / promql
    query: str | None = None
    """psutil: cpu, memory, load, process_cpu or process_rss; promql: a PromQL
    expression that gives one number (`sum(rate(http_requests_total[1m]))`)."""
    pid: int | None = None
    process: str | None = None
    # prometheus / promql / json
    url: str | None = None
    """prometheus, json: the page to read; promql: the Prometheus server
    (`http://prometheus:9090`, a path prefix and a `?token=${env:...}` are kept)."""
    metric: str | None = None
    """Prometheus metric family name."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Label matchers: exact values, or "~regex"."""
    rate: bool = False
    """Counters: turn into a per-second rate (resets survived)."""
    quantile: float | None = Field(default=None, gt=0, lt=1)
    """Histograms: the quantile to estimate (0.95)."""
    path: str | None = None
    """json: dotted path of the number in the response."""
    # health
    endpoint: str | None = None
    field: Literal["latency", "success"] = "latency"
    # log
    log: str | None = None
    filter: str | None = None
    # ratio
    numerator: str | None = None
    denominator: str | None = None
    verdict: MetricVerdictConfig | None = None
    """How the deploy verdict judges this metric (gates use the defaults)."""


class LogConfig(Section):
    """`[[log]]`: a log followed like `tail -F`, a file (or glob) or a command."""

    name: str = Field(min_length=1)
    path: str | None = None
    command: list[str] | None = Field(default=None, min_length=1)
    """An argv run without a shell (`ssh host tail -F ...`); its stdout is the log."""
    filter: str = ""
    """The filter applied at start; edit it live with `/`."""
    restart_backoff: Duration = Field(default=1.0, gt=0)
    """The first wait before a command is started again, doubled per quick exit."""


class EscalationLevel(Section):
    """One rung of the ladder."""

    after: Duration
    role: str = Field(min_length=1)
    name: str = ""
    contact: str = ""


def _default_ladder() -> list[EscalationLevel]:
    return [
        EscalationLevel(after=15 * 60, role="Senior engineer", contact="+1-555-0124"),
        EscalationLevel(after=30 * 60, role="Engineering manager", contact="+1-555-0125"),
        EscalationLevel(after=60 * 60, role="Incident commander", contact="+1-555-0126"),
    ]


class EscalationConfig(Section):
    """`[escalation]`: the ladder and the cadence of status updates."""

    levels: list[EscalationLevel] = Field(default_factory=_default_ladder)
    status_every: Duration = 30 * 60.0
    watch: Duration = 2 * 3600.0
    """The post-deploy watch window, 2h to 4h."""
    bell: bool = True


NotifyEvent = Literal["escalation", "status", "deploy", "rollback", "resolved"]


def _all_notify_events() -> list[NotifyEvent]:
    return ["escalation", "status", "deploy", "rollback", "resolved"]


class NotifyConfig(Section):
    """`[[notify]]`: a webhook told of escalations, status updates and deploys."""

    url: str = Field(pattern=r"^https?://")
    events: list[NotifyEvent] = Field(default_factory=_all_notify_events)
    format: Literal["slack", "json"] = "json"


class GitConfig(Section):
    """`[git]`: the repository being hotfixed."""

    repo: str = "."
    tag_pattern: str = "v*"
    scheme: Literal["patch", "hotfix"] = "patch"
    main_branch: str = "main"
    remote: str = "origin"
    push: bool = False
    max_changed_lines: int = Field(default=200, ge=1)
    prerelease: bool = False
    """Whether pre-release tags (v2.0.0-rc1, v1.3.0-beta) may be production or a rollback target."""
    production: str | None = None
    """Pin the production tag ("v1.9.0") instead of taking the highest release tag."""
    version_url: str | None = Field(default=None, pattern=r"^https?://")
    """A URL where the running service says which version it runs."""
    version_path: str | None = Field(default=None, min_length=1)
    """Dotted path of the version in that URL's JSON ("build.version"); unset: plain text."""

    @field_validator("production")
    @classmethod
    def _version_tag(cls, value: str | None) -> str | None:
        # Imported here: the version rules are a leaf module the config needs only for this.
        from warroom.services.release.versions import parse_version

        if value is not None and parse_version(value) is None:
            raise ValueError(f"{value!r} is not a version tag (e.g. v1.2.3)")
        return value

    @field_validator("version_path")
    @classmethod
    def _path_needs_url(cls, value: str | None, info: Any) -> str | None:
        if value is not None and info.data.get("version_url") is None:
            raise ValueError("needs version_url (the URL whose JSON holds the version)")
        return value


class ActionCommand(Section):
    """One named deploy command."""

    argv: list[str] = Field(min_length=1)
    shell: bool = False
    description: str = ""


class ActionsConfig(Section):
    """`[actions]`: deploy and rollback commands run from the dashboard."""

    commands: dict[str, ActionCommand] = Field(default_factory=dict)
    batches: int = Field(default=1, ge=1)
    gate_for: Duration = 60.0
    gates: list[str] = Field(default_factory=list)


class UiConfig(Section):
    """`[ui]`: how it looks."""

    theme: str = "warroom-dark"
    bell: bool = True


class JournalConfig(Section):
    """`[journal]`: where the incident journal lives (SQLite beside the config by default)."""

    url: str | None = None
    """A PostgreSQL journal shared by every screen of the incident:
    "postgresql://user:${env:PGPASSWORD}@host:5432/db" (one database per incident)."""

    @field_validator("url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or parts.path):
            raise ValueError(
                'must be a PostgreSQL URL, e.g. "postgresql://user:${env:PGPASSWORD}@host:5432/db"'
            )
        return value


class Config(Section):
    """The whole `warroom.toml`."""

    incident: IncidentConfig = Field(default_factory=IncidentConfig)
    runbook: RunbookConfig = Field(default_factory=RunbookConfig)
    endpoint: list[EndpointConfig] = Field(default_factory=list)
    metric: list[MetricConfig] = Field(default_factory=list)
    log: list[LogConfig] = Field(default_factory=list)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    notify: list[NotifyConfig] = Field(default_factory=list)
    git: GitConfig | None = None
    actions: ActionsConfig = Field(default_factory=ActionsConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    journal: JournalConfig = Field(default_factory=JournalConfig)


class LoadedConfig(BaseModel):
    """A validated config with the file it came from (paths resolve beside it)."""

    model_config = ConfigDict(frozen=True)

    config: Config
    path: Path
    secrets: frozenset[str] = frozenset()
    """Values taken from the environment (`${env:NAME}`): never journaled or reported."""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        path = Path(os.path.expanduser(relative))
        return path if path.is_absolute() else self.base_dir / path

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.config.incident.state_dir)

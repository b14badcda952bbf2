"""`warroom.toml`: parsed with tomllib into typed models that reject unknown keys.

Every error a user can make comes out as one `ConfigError` whose message is the
single line `warroom: <file>: <key.path>: <problem>`; the CLI prints it and exits 2.
Arrays of tables are numbered from 1 in key paths (`endpoint[2].timeout` is the
second `[[endpoint]]`), as a person counts them in the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

DEFAULT_NAME = "warroom.toml"


class ConfigError(Exception):
    """A mistake in the user's config, carrying the one line to print."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(f"warroom: {where}{problem}")


# --- durations -----------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Seconds from "500ms", "5s", "15m", "2h" or "1h30m"; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 5s, 15m or 2h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 500ms, 5s, 15m or 2h")
    text = value.strip().lower()
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"invalid duration {value!r} (use e.g. 500ms, 5s, 15m, 2h)")
    return total


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds, written in TOML as "500ms", "5s", "15m" or "2h"."""


def _parse_status_range(value: object) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?", value)
        if match:
            low = int(match.group(1))
            high = int(match.group(2) or low)
            if low <= high:
                return (low, high)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f'invalid status {value!r} (use 200, or a range such as "200-399")')


StatusRange = Annotated[tuple[int, int], BeforeValidator(_parse_status_range)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sections ------------------------------------------------------------------


class IncidentConfig(_Section):
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


class RunbookConfig(_Section):
    """`[runbook]`: which checklist, in which language."""

    lang: Literal["en", "ja"] | None = None
    """"en" or "ja"; default from LANG, else English."""
    path: str | None = None
    """A custom runbook TOML file; default: the built-in hotfix runbook."""


class EndpointConfig(_Section):
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

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


MetricSource = Literal["psutil", "prometheus", "health", "log", "json", "ratio"]


class MetricConfig(_Section):
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
    # psutil
    query: Literal["cpu", "memory", "load", "process_cpu", "process_rss"] | None = None
    pid: int | None = None
    process: str | None = None
    # prometheus / json
    url: str | None = None
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


class LogConfig(_Section):
    """`[[log]]`: a log followed like `tail -F`, a file (or glob) or a command."""

    name: str = Field(min_length=1)
    path: str | None = None
    command: list[str] | None = None
    filter: str = ""
    """The filter applied at start; edit it live with `/`."""
    restart_backoff: Duration = 1.0


class EscalationLevel(_Section):
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


class EscalationConfig(_Section):
    """`[escalation]`: the ladder and the cadence of status updates."""

    levels: list[EscalationLevel] = Field(default_factory=_default_ladder)
    status_every: Duration = 30 * 60.0
    watch: Duration = 2 * 3600.0
    """The post-deploy watch window, 2h to 4h."""
    bell: bool = True


NotifyEvent = Literal["escalation", "status", "deploy", "rollback", "resolved"]


def _all_notify_events() -> list[NotifyEvent]:
    return ["escalation", "status", "deploy", "rollback", "resolved"]


class NotifyConfig(_Section):
    """`[[notify]]`: a webhook told of escalations, status updates and deploys."""

    url: str = Field(pattern=r"^https?://")
    events: list[NotifyEvent] = Field(default_factory=_all_notify_events)
    format: Literal["slack", "json"] = "json"


class GitConfig(_Section):
    """`[git]`: the repository being hotfixed."""

    repo: str = "."
    tag_pattern: str = "v*"
    scheme: Literal["patch", "hotfix"] = "patch"
    main_branch: str = "main"
    remote: str = "origin"
    push: bool = False
    max_changed_lines: int = Field(default=200, ge=1)


class ActionCommand(_Section):
    """One named deploy command."""

    argv: list[str] = Field(min_length=1)
    shell: bool = False
    description: str = ""


class ActionsConfig(_Section):
    """`[actions]`: deploy and rollback commands run from the dashboard."""

    commands: dict[str, ActionCommand] = Field(default_factory=dict)
    batches: int = Field(default=1, ge=1)
    gate_for: Duration = 60.0
    gates: list[str] = Field(default_factory=list)


class UiConfig(_Section):
    """`[ui]`: how it looks."""

    theme: str = "warroom-dark"
    bell: bool = True


class Config(_Section):
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


# --- loading -------------------------------------------------------------------

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_ARRAY_TABLES = {"endpoint", "metric", "log", "notify", "levels"}


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item + 1}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def _substitute(value: Any, loc: tuple[int | str, ...], env: Mapping[str, str], file: str) -> Any:
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ConfigError(file, _key_path(loc), f"environment variable {name} is not set")
            return env[name]

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute(v, (*loc, k), env, file) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*loc, i), env, file) for i, v in enumerate(value)]
    return value


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
}


def _problem(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if kind == "literal_error":
        message = message.replace("Input should be", "must be")
    elif message.startswith("Input should"):
        message = "must" + message[len("Input should") :]
    elif message.startswith("String should"):
        message = "must" + message[len("String should") :]
    value = error.get("input")
    if kind != "value_error" and isinstance(value, str | int | float):
        message = f"{message} (got {value!r})"
    return message


def _semantic_checks(config: Config, file: str) -> None:
    names: dict[str, int] = {}
    for i, endpoint in enumerate(config.endpoint, start=1):
        where = f"endpoint[{i}]"
        if endpoint.name in names:
            raise ConfigError(file, f"{where}.name", f"duplicate endpoint name {endpoint.name!r}")
        names[endpoint.name] = i
        if endpoint.timeout >= endpoint.interval:
            raise ConfigError(
                file,
                f"{where}.timeout",
                f"must be below the interval ({endpoint.timeout:g}s >= {endpoint.interval:g}s)",
            )
        if endpoint.timeout <= 0:
            raise ConfigError(file, f"{where}.timeout", "must be above zero")
        if endpoint.json_body is not None and endpoint.method != "POST":
            raise ConfigError(file, f"{where}.json", 'a JSON body needs method = "POST"')
    metric_names: set[str] = set()
    logs = {log.name for log in config.log}
    for i, metric in enumerate(config.metric, start=1):
        where = f"metric[{i}]"
        if metric.name in metric_names:
            raise ConfigError(file, f"{where}.name", f"duplicate metric name {metric.name!r}")
        metric_names.add(metric.name)
        needs: dict[str, tuple[str, ...]] = {
            "psutil": ("query",),
            "prometheus": ("url", "metric"),
            "health": ("endpoint",),
            "log": ("log",),
            "json": ("url", "path"),
            "ratio": ("numerator", "denominator"),
        }
        for key in needs[metric.source]:
            if getattr(metric, key) is None:
                raise ConfigError(
                    file, f"{where}.{key}", f"required when source = {metric.source!r}"
                )
        if metric.source == "health" and metric.endpoint not in names:
            raise ConfigError(file, f"{where}.endpoint", f"no endpoint named {metric.endpoint!r}")
        if metric.source == "log" and metric.log not in logs:
            raise ConfigError(file, f"{where}.log", f"no log named {metric.log!r}")
    for i, metric in enumerate(config.metric, start=1):
        if metric.source == "ratio":
            for key in ("numerator", "denominator"):
                ref = getattr(metric, key)
                if ref not in metric_names or ref == metric.name:
                    raise ConfigError(file, f"metric[{i}].{key}", f"no other metric named {ref!r}")
    for i, log in enumerate(config.log, start=1):
        if (log.path is None) == (log.command is None):
            raise ConfigError(file, f"log[{i}]", "needs exactly one of path or command")
    previous = 0.0
    for i, level in enumerate(config.escalation.levels, start=1):
        if level.after <= previous and i > 1:
            raise ConfigError(
                file, f"escalation.levels[{i}].after", "must be later than the level before"
            )
        previous = level.after
    if not 2 * 3600 <= config.escalation.watch <= 4 * 3600:
        raise ConfigError(file, "escalation.watch", "must be between 2h and 4h")


def parse_config(text: str, file: str, env: Mapping[str, str] | None = None) -> Config:
    """Validate TOML text into a `Config`, or raise the one-line `ConfigError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says e.g. "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        raise ConfigError(file, "", f"TOML syntax error: {exc}") from None
    raw = _substitute(raw, (), os.environ if env is None else env, file)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(file, _key_path(tuple(first["loc"])), _problem(first)) from None
    _semantic_checks(config, file)
    return config


def load_config(path: Path | str | None, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read `path` (default: ./warroom.toml) into a `LoadedConfig`."""
    chosen = Path(path) if path is not None else Path.cwd() / DEFAULT_NAME
    shown = str(path) if path is not None else DEFAULT_NAME
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = "" if path is not None else " (pass --config PATH, or try `warroom demo`)"
        raise ConfigError(shown, "", f"file not found{hint}") from None
    except IsADirectoryError:
        raise ConfigError(shown, "", "is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(shown, "", "permission denied") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, "", f"not UTF-8 text (byte {exc.start})") from None
    config = parse_config(text, shown, env)
    return LoadedConfig(config=config, path=chosen.resolve(), secrets=env_values(text, env))


MIN_SECRET = 4
"""Shorter values are not masked: "1" or "on" would blot out unrelated text."""


def env_values(text: str, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The values every `${env:NAME}` in the config text stands for."""
    source = os.environ if env is None else env
    names = {match.group(1) for match in _ENV_REF.finditer(text)}
    return frozenset(value for name in names if len(value := source.get(name, "")) >= MIN_SECRET)

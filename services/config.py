"""`warroom.toml`: parsed with tomllib into typed models that reject unknown keys.

Every error a user can make comes out as one `ConfigError` whose message is the
single line `warroom: <file>: <key.path>: <problem>`; the CLI prints it and exits 2.
Arrays of tables are numbered from 1 in key paths (`endpoint[2].timeout` is the
second `[[endpoint]]`), as a person counts them in the file.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Collection, Mapping
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

from warroom.services.redact import MIN_SECRET, Redactor, register
from warroom.services.sanitize import clean, describe, first_unsafe

DEFAULT_NAME = "warroom.toml"


class ConfigError(Exception):
    """A mistake in the user's config, carrying the one line to print."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        # Key paths and problems quote the file's own text: made inert like any
        # untrusted text, so a key holding ESC cannot clear the terminal it is printed on.
        file, path, problem = clean(file, 300), clean(path, 300), clean(problem, 500)
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(f"warroom: {where}{problem}")


# --- durations -----------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

MAX_DURATION = 366 * 86400.0
"""Longest duration accepted (a year): longer ones overflow timers and date arithmetic."""


def _bounded(seconds: float, value: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError("a duration must be a finite number")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION:
        raise ValueError(f"duration {value!r} is longer than the most allowed, 366d")
    return seconds


def parse_duration(value: object) -> float:
    """Seconds from "500ms", "5s", "15m", "2h" or "1h30m"; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 500ms, 5s, 15m or 2h")
    if isinstance(value, int | float):
        return _bounded(float(value), value)
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
    return _bounded(total, value)


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
    if len(parts) > MAX_DEPTH:
        # A path thousands of keys deep would not fit the one line it is printed on.
        parts = [*parts[:4], "…"]
    return ".".join(parts)


MAX_DEPTH = 32
"""Deepest nesting of tables and arrays accepted; no warroom key is nested half as deep."""

_INT_RANGE = 2**63
"""TOML integers are 64-bit; a bigger one overflows where it is used, so it is refused."""

_FREE_TEXT = frozenset({"title", "role", "contact", "description", "unit"})
"""Keys whose strings are prose shown to people: control characters are made visible."""


def _string_rule(loc: tuple[int | str, ...]) -> str:
    """How a config string at `loc` is treated: "clean", "argv", "verbatim" or "reject".

    Prose is sanitized like any untrusted text. A command line may hold a newline (a
    `sh -c` script). A JSON body is sent, never shown, and is JSON-escaped on the way.
    Everything else (names, ids, URLs, headers, paths, patterns) is refused: a control
    character can never be meant there, and changing it would change what it means.
    """
    keys = [part for part in loc if isinstance(part, str)]
    if keys[:2] == ["endpoint", "json"]:
        return "verbatim"
    if keys == ["log", "command"] or (keys[:2] == ["actions", "commands"] and keys[3:] == ["argv"]):
        return "argv"
    if keys and keys[-1] in _FREE_TEXT:
        return "clean"
    if keys == ["escalation", "levels", "name"]:
        return "clean"  # a person's name, shown, never looked up
    return "reject"


class _Preparer:
    """One walk over the parsed TOML before validation: nesting, numbers, `${env:}`, text.

    Each problem is a `ConfigError` naming the key path; the walk stops at `MAX_DEPTH`,
    so no input can make it (or pydantic after it) recurse without bound.
    """

    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env

    def fail(self, loc: tuple[int | str, ...], problem: str) -> ConfigError:
        return ConfigError(self.file, _key_path(loc), problem)

    def walk(self, value: Any, loc: tuple[int | str, ...]) -> Any:
        if len(loc) > MAX_DEPTH:
            raise self.fail(loc, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, str):
            return self.string(value, loc)
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(loc, "must be a finite number (not nan or inf)")
        if isinstance(value, int) and not -_INT_RANGE <= value < _INT_RANGE:
            raise self.fail(loc, "integer out of range (TOML integers are 64-bit)")
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                self.name(key, (*loc, key))
                out[key] = self.walk(item, (*loc, key))
            return out
        if isinstance(value, list):
            return [self.walk(item, (*loc, i)) for i, item in enumerate(value)]
        return value

    def name(self, key: str, loc: tuple[int | str, ...]) -> None:
        bad = first_unsafe(key)
        if bad is not None:
            raise self.fail(loc, f"control character {describe(bad)} in a key name")

    def string(self, value: str, loc: tuple[int | str, ...]) -> str:
        rule = _string_rule(loc)
        filled = self.substitute(value, loc)
        if rule == "verbatim":
            return filled
        if rule == "clean":
            return clean(filled)
        allow = "\n" if rule == "argv" else ""
        # The file's text is checked apart from what the environment filled in, so the
        # error can say where the character came from without quoting a secret.
        for text, origin in ((value, ""), (filled, " (in its ${env:} value)")):
            bad = first_unsafe(text, allow)
            if bad is not None:
                raise self.fail(loc, f"control character {describe(bad)} not allowed{origin}")
        return filled

    def substitute(self, value: str, loc: tuple[int | str, ...]) -> str:
        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.env:
                raise self.fail(loc, f"environment variable {name} is not set")
            return self.env[name]

        return _ENV_REF.sub(repl, value)


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


def _semantic_checks(config: Config, file: str, themes: Collection[str] | None) -> None:
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
    log_names: set[str] = set()
    for i, log in enumerate(config.log, start=1):
        if log.name in log_names:
            raise ConfigError(file, f"log[{i}].name", f"duplicate log name {log.name!r}")
        log_names.add(log.name)
        if (log.path is None) == (log.command is None):
            raise ConfigError(file, f"log[{i}]", "needs exactly one of path or command")
    for i, gate in enumerate(config.actions.gates, start=1):
        # A rolling deploy waits for its gates; one that names nothing would never hold.
        if gate not in names and gate not in metric_names:
            raise ConfigError(file, f"actions.gates[{i}]", f"no endpoint or metric named {gate!r}")
    previous = 0.0
    for i, level in enumerate(config.escalation.levels, start=1):
        if level.after <= previous and i > 1:
            raise ConfigError(
                file, f"escalation.levels[{i}].after", "must be later than the level before"
            )
        previous = level.after
    if not 2 * 3600 <= config.escalation.watch <= 4 * 3600:
        raise ConfigError(file, "escalation.watch", "must be between 2h and 4h")
    if themes is not None and config.ui.theme not in themes:
        raise ConfigError(file, "ui.theme", unknown_theme(config.ui.theme, themes))


def unknown_theme(name: str, themes: Collection[str]) -> str:
    """The problem of a theme name that is not among `themes`, listing those there are."""
    return f"unknown theme {name!r} (one of: {', '.join(sorted(themes))})"


def _too_deep(text: str) -> ConfigError | None:
    """Where tomllib gave up on nesting: the key of the first line nested too deeply."""
    for number, line in enumerate(text.splitlines(), start=1):
        depth = deepest = 0
        for char in line:
            depth += char in "[{"
            depth -= char in "]}"
            deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            key = line.split("=", 1)[0].strip() if "=" in line else ""
            return ConfigError(
                "", key[:60], f"nested more than {MAX_DEPTH} levels deep (line {number})"
            )
    return None


def parse_config(
    text: str,
    file: str,
    env: Mapping[str, str] | None = None,
    *,
    themes: Collection[str] | None = None,
) -> Config:
    """Validate TOML text into a `Config`, or raise the one-line `ConfigError`.

    `themes`, when given, are the theme names `ui.theme` may take (the UI knows them).
    """
    source = os.environ if env is None else env
    # An error may quote a value that came from the environment: never a secret.
    redactor = Redactor(env_values(text, source))
    try:
        return _parse(text, file, source, themes)
    except ConfigError as exc:
        raise ConfigError(exc.file, redactor.text(exc.path), redactor.text(exc.problem)) from None


def _parse(text: str, file: str, env: Mapping[str, str], themes: Collection[str] | None) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says e.g. "Expected '=' after a key in a key/value pair (at line 3, column 5)"
        raise ConfigError(file, "", f"TOML syntax error: {exc}") from None
    except RecursionError:
        found = _too_deep(text)
        path, problem = (found.path, found.problem) if found else ("", "nested too deeply")
        raise ConfigError(file, path, problem) from None
    raw = _Preparer(file, env).walk(raw, ())
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(file, _key_path(tuple(first["loc"])), _problem(first)) from None
    _semantic_checks(config, file, themes)
    return config


def load_config(
    path: Path | str | None,
    env: Mapping[str, str] | None = None,
    *,
    themes: Collection[str] | None = None,
) -> LoadedConfig:
    """Read `path` (default: ./warroom.toml) into a `LoadedConfig`.

    Its `${env:}` values are registered with `warroom.services.redact`, so every output path
    masks them from here on.
    """
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
    secrets = env_values(text, env)
    register(secrets)
    config = parse_config(text, shown, env, themes=themes)
    loaded = LoadedConfig(config=config, path=chosen.resolve(), secrets=secrets)
    _check_files(loaded, shown)
    return loaded


def _check_files(loaded: LoadedConfig, file: str) -> None:
    """Files the config names that must exist before anything starts (not after)."""
    runbook = loaded.config.runbook.path
    if runbook is not None:
        target = loaded.resolve(runbook)
        if not target.exists():
            raise ConfigError(file, "runbook.path", f"runbook file not found: {target}")
        if not target.is_file():
            raise ConfigError(file, "runbook.path", f"not a file: {target}")


def env_values(text: str, env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The values every `${env:NAME}` in the config text stands for."""
    source = os.environ if env is None else env
    names = {match.group(1) for match in _ENV_REF.finditer(text)}
    return frozenset(value for name in names if len(value := source.get(name, "")) >= MIN_SECRET)

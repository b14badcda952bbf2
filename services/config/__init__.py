"""`warroom.toml`: parsed with tomllib into typed models that reject unknown keys.

Every error a user can make comes out as one `ConfigError` whose message is the
single line `warroom: <file>: <key.path>: <problem>`; the CLI prints it and exits 2.
Arrays of tables are numbered from 1 in key paths (`endpoint[2].timeout` is the
second `[[endpoint]]`), as a person counts them in the file.

The package is split by what each module holds: `sections` (the models), `values`
(durations, status ranges), `errors` (the one-line error), `tomlfile` (reading any
TOML file), `prepare` (the walk before validation), `checks` (rules across keys) and
`loader`. Everything callers use is re-exported here.
"""

from warroom.services.config.checks import semantic_checks, unknown_theme
from warroom.services.config.errors import MAX_DEPTH, ConfigError, first_error, key_path
from warroom.services.config.loader import DEFAULT_NAME, load_config, parse_config
from warroom.services.config.prepare import env_values
from warroom.services.config.sections import (
    ActionCommand,
    ActionsConfig,
    Config,
    EndpointConfig,
    EscalationConfig,
    EscalationLevel,
    GitConfig,
    IncidentConfig,
    JournalConfig,
    LoadedConfig,
    LogConfig,
    MetricConfig,
    MetricSource,
    NotifyConfig,
    NotifyEvent,
    RunbookConfig,
    Section,
    UiConfig,
)
from warroom.services.config.tomlfile import parse_toml, read_toml, read_toml_text
from warroom.services.config.values import MAX_DURATION, Duration, StatusRange, parse_duration
from warroom.services.config.verdict import EndpointVerdictConfig, MetricVerdictConfig

__all__ = [
    "DEFAULT_NAME",
    "MAX_DEPTH",
    "MAX_DURATION",
    "ActionCommand",
    "ActionsConfig",
    "Config",
    "ConfigError",
    "Duration",
    "EndpointConfig",
    "EndpointVerdictConfig",
    "EscalationConfig",
    "EscalationLevel",
    "GitConfig",
    "IncidentConfig",
    "JournalConfig",
    "LoadedConfig",
    "LogConfig",
    "MetricConfig",
    "MetricSource",
    "MetricVerdictConfig",
    "NotifyConfig",
    "NotifyEvent",
    "RunbookConfig",
    "Section",
    "StatusRange",
    "UiConfig",
    "env_values",
    "first_error",
    "key_path",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_toml",
    "read_toml",
    "read_toml_text",
    "semantic_checks",
    "unknown_theme",
]

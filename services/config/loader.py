"""`parse_config` and `load_config`: TOML text or a file in, a validated config out.

Every error a user can make comes out as one `ConfigError` whose message is the
single line `warroom: <file>: <key.path>: <problem>`; the CLI prints it and exits 2.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import ValidationError

from warroom.services.config.checks import semantic_checks
from warroom.services.config.errors import ConfigError, first_error
from warroom.services.config.prepare import Preparer, env_values
from warroom.services.config.sections import Config, LoadedConfig
from warroom.services.config.tomlfile import parse_toml, read_toml_text
from warroom.services.redact import Redactor, register

DEFAULT_NAME = "warroom.toml"


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
    raw = Preparer(file, env).walk(parse_toml(text, file), ())
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise first_error(exc, file) from None
    semantic_checks(config, file, themes)
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
    hint = "" if path is not None else " (pass --config PATH, or try `warroom demo`)"
    text = read_toml_text(chosen, shown, missing=f"file not found{hint}")
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

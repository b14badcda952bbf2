"""Where a runbook comes from: the built-in file, a team's own file, in which language.

Every file goes through the one TOML reader the config uses (`config/tomlfile.py`),
so a runbook and `warroom.toml` fail the same way for the same mistake.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from warroom.services.config import LoadedConfig, parse_toml, read_toml
from warroom.services.runbook.schema import parse_runbook
from warroom.services.runbook.steps import BUILTIN_NAME, Lang, Runbook


def choose_language(configured: str | None, env: Mapping[str, str] | None = None) -> Lang:
    """`runbook.lang` if set, else Japanese when LANG starts with "ja", else English."""
    if configured in ("en", "ja"):
        return "ja" if configured == "ja" else "en"
    env = os.environ if env is None else env
    return "ja" if env.get("LANG", "").lower().startswith("ja") else "en"


def load_runbook_text(text: str, file: str, lang: Lang) -> Runbook:
    """Parse runbook TOML text; syntax errors become the one-line ConfigError."""
    return parse_runbook(parse_toml(text, file), file, lang)


def builtin_runbook(lang: Lang = "en") -> Runbook:
    """The hotfix deploy runbook shipped with warroom."""
    text = resources.files("warroom.services.runbook").joinpath(BUILTIN_NAME).read_text("utf-8")
    return load_runbook_text(text, BUILTIN_NAME, lang)


def load_runbook(path: Path | None, lang: Lang, shown: str | None = None) -> Runbook:
    """The runbook at `path` (the built-in one when None), in `lang`."""
    if path is None:
        return builtin_runbook(lang)
    label = shown or str(path)
    raw = read_toml(Path(path), label, missing="runbook file not found")
    return parse_runbook(raw, label, lang)


def runbook_for(loaded: LoadedConfig, env: Mapping[str, str] | None = None) -> Runbook:
    """The runbook a config asks for (`runbook.path`, `runbook.lang`)."""
    section = loaded.config.runbook
    lang = choose_language(section.lang, env)
    if section.path is None:
        return builtin_runbook(lang)
    return load_runbook(loaded.resolve(section.path), lang, section.path)

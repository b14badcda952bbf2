"""The files the demo writes into its folder: the deploy scripts and `warroom.toml`.

Both ship as package data (`scripts/`, `warroom.toml.in`) and are read with
importlib.resources, so an installed warroom (a wheel, a zip) runs the same demo as a
checkout. The scripts are copied verbatim; what differs per run (paths, port, pace) goes
into `demo.env` beside them, which every script sources through `lib.sh`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

PACKAGE = "warroom.services.demo"

CONFIG_TEMPLATE = "warroom.toml.in"
"""The demo's config with `${started}`, `${base_url}`, `${log_path}` and `${bin_dir}` left
to fill in; everything else is the config as written."""

ENV_FILE = "demo.env"
"""Written beside the scripts: the shell assignments that tie them to this run."""


def _scripts() -> Traversable:
    return resources.files(PACKAGE).joinpath("scripts")


def script_names() -> list[str]:
    """The names of the files shipped in `scripts/`, sorted."""
    return sorted(entry.name for entry in _scripts().iterdir() if entry.is_file())


def install_scripts(bin_dir: Path, values: Mapping[str, str]) -> list[Path]:
    """Copy the shipped scripts into `bin_dir` and write `demo.env` from `values`.

    A file starting with `#!` is made executable whatever mode it was installed with
    (an unpacked wheel or a zip may have lost it); `lib.sh`, only ever sourced, is not.
    Returns the copies.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    for entry in sorted(_scripts().iterdir(), key=lambda e: e.name):
        if not entry.is_file():
            continue
        data = entry.read_bytes()
        path = bin_dir / entry.name
        path.write_bytes(data)
        path.chmod(0o755 if data.startswith(b"#!") else 0o644)
        copied.append(path)
    env = "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())
    (bin_dir / ENV_FILE).write_text("# written by warroom demo at start\n" + env, "utf-8")
    return copied


def _toml_string_content(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; the template supplies the
    # quotes, so a path with a quote or a backslash stays one string.
    return json.dumps(value)[1:-1]


def demo_config(started: datetime, base_url: str, log_path: Path, bin_dir: Path) -> str:
    """`warroom.toml` for the demo: every pane pointed at the simulated service."""
    template = resources.files(PACKAGE).joinpath(CONFIG_TEMPLATE).read_text("utf-8")
    stamp = started.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Template(template).substitute(
        started=stamp,
        base_url=_toml_string_content(base_url),
        log_path=_toml_string_content(str(log_path)),
        bin_dir=_toml_string_content(str(bin_dir)),
    )

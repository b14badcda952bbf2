"""The engine is reachable without the UI, and everything installs under one name."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import warroom
import warroom.services

ROOT = Path(__file__).resolve().parent.parent


def _engine_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(warroom.services.__path__, "warroom.services.")
    )


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_engine_module_imports_with_the_ui_libraries_absent() -> None:
    # textual and rich made unimportable: the engine (and the headless commands) must
    # not need them. (httpx imports rich for its own CLI only when rich is there.)
    modules = [*_engine_modules(), "warroom.tui.headless.commands"]
    result = _run(
        f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("textual", "rich"):
                    raise ImportError(f"blocked: {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        print(len({modules!r}), "imported")
        """
    )
    assert result.returncode == 0, result.stderr
    assert len(modules) > 20


def test_the_engine_loads_no_textual() -> None:
    result = _run(
        """
        import sys
        import warroom.services.session
        import warroom.tui.headless.commands
        print(sorted({m.split(".")[0] for m in sys.modules} & {"textual", "warroom.widgets"}))
        print([m for m in sys.modules if m.startswith(("warroom.widgets", "warroom.themes"))])
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "[]"]


def test_nothing_is_installed_outside_the_warroom_name() -> None:
    # The wheel's top-level names: only `warroom` (no generic `services` or `tui`).
    assert Path(warroom.__file__).parent.name == "warroom"
    text = (ROOT / "pyproject.toml").read_text()
    assert 'include = ["warroom*"]' in text
    for name in ("services", "widgets", "themes", "tui"):
        assert (ROOT / "warroom" / name).resolve() == (ROOT / name).resolve()


def test_version_is_the_installed_distribution_s() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "warroom", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"warroom {version('warroom')}"

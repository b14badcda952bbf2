"""The demo ships its scripts and config template as package data, and runs them.

The wheel is built for real (`pip wheel --no-deps`) from a copy of the project, so the
test proves what an installed warroom carries; the demo's own folder is checked for
executable scripts and for the config a newcomer's dashboard reads.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
from warroom.services.demo.workdir import ENV_FILE, install_scripts, script_names

ROOT = Path(__file__).resolve().parents[2]
"""The project checkout: pyproject.toml, the layer folders and the `warroom` symlinks."""

DEMO_DATA = "warroom/services/demo/"

EXPECTED_SCRIPTS = {
    "apply-fix.sh",
    "deploy-production.sh",
    "deploy-rolling.sh",
    "deploy-staging.sh",
    "lib.sh",
    "rollback.sh",
    "smoke.sh",
    "validate-hotfix.sh",
}


@pytest.fixture
def demo(tmp_path: Path, clock: ManualClock) -> Iterator[DemoTarget]:
    """A running demo target with quick scripts."""
    with DemoTarget(tmp_path / "demo", clock, script_pace=0.0, slowness=0.0, seed=1) as target:
        yield target


def _project_copy(dest: Path) -> Path:
    """The files a wheel is built from, copied so the build leaves the checkout alone."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("services", "themes", "tui", "widgets"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    # `warroom/` holds symlinks to the layer folders; copy them as links.
    shutil.copytree(ROOT / "warroom", dest / "warroom", symlinks=True, ignore=ignore)
    return dest


def test_the_wheel_carries_the_scripts_executable_and_the_config_template(
    tmp_path: Path,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not on PATH")
    source = _project_copy(tmp_path / "src")
    out = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr:
        pytest.skip("the build backend (setuptools) cannot be installed here")
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = out.glob("warroom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        shipped = {
            name.removeprefix(DEMO_DATA + "scripts/")
            for name in entries
            if name.startswith(DEMO_DATA + "scripts/")
        }
        assert shipped == EXPECTED_SCRIPTS
        for name in EXPECTED_SCRIPTS - {"lib.sh"}:
            mode = entries[f"{DEMO_DATA}scripts/{name}"].external_attr >> 16
            assert mode & stat.S_IXUSR, f"{name} lost its executable bit in the wheel"
        template = archive.read(DEMO_DATA + "warroom.toml.in").decode()
    assert "${base_url}" in template and "[[escalation.levels]]" in template
    # The modules the demo is made of are in the wheel too.
    for module in ("target", "service", "traffic", "log_writer", "repo", "workdir"):
        assert f"{DEMO_DATA}{module}.py" in entries

    # Installed from the wheel (not the checkout), the demo builds its folder and runs.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        capture_output=True,
        timeout=300,
        check=True,
    )
    ran = subprocess.run(
        [sys.executable, "-c", INSTALLED_DEMO, str(tmp_path / "demo")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.splitlines() == [str(site), "fixed", "Senior engineer Aiko Tanaka @aiko"]


INSTALLED_DEMO = """
import subprocess, sys
from pathlib import Path
import warroom
from warroom.services.config import load_config
from warroom.services.demo.target import DemoTarget
print(Path(warroom.__file__).parent.parent)
with DemoTarget(Path(sys.argv[1]), script_pace=0.0, slowness=0.0) as demo:
    subprocess.run([str(demo.bin_dir / "deploy-production.sh"), "v1.2.4"], check=True,
                   capture_output=True, timeout=60)
    print(demo.mode)
    first = load_config(demo.config_path, env={}).config.escalation.levels[0]
    print(first.role, first.name, first.contact)
"""


def test_the_demo_folder_gets_executable_scripts_that_run(demo: DemoTarget) -> None:
    installed = {path.name for path in demo.bin_dir.iterdir()}
    assert installed == EXPECTED_SCRIPTS | {ENV_FILE}
    for name in EXPECTED_SCRIPTS - {"lib.sh"}:
        assert os.access(demo.bin_dir / name, os.X_OK), name
    done = subprocess.run(
        [str(demo.bin_dir / "deploy-production.sh"), "v1.2.4"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert demo.mode == "fixed"
    assert demo.version == "1.2.4"


def test_scripts_become_executable_even_when_installed_without_the_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wheel unpacked by a tool that drops file modes: the shebang decides, not the mode.
    package = tmp_path / "pkg"
    (package / "scripts").mkdir(parents=True)
    (package / "scripts" / "run.sh").write_text("#!/usr/bin/env bash\necho ran\n")
    (package / "scripts" / "lib.sh").write_text("helper() { :; }\n")
    for path in (package / "scripts").iterdir():
        path.chmod(0o644)

    from importlib import resources

    monkeypatch.setattr(resources, "files", lambda _package: package)
    copied = install_scripts(tmp_path / "bin", {"STATE": "/tmp/it's here"})
    assert [path.name for path in copied] == ["lib.sh", "run.sh"]
    assert os.access(tmp_path / "bin" / "run.sh", os.X_OK)
    assert not os.access(tmp_path / "bin" / "lib.sh", os.X_OK)
    env = (tmp_path / "bin" / ENV_FILE).read_text()
    shown = subprocess.run(
        ["bash", "-c", f'. "{tmp_path / "bin" / ENV_FILE}"; printf %s "$STATE"'],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert shown.stdout == "/tmp/it's here", env


def test_the_shipped_script_list_is_what_the_config_names(demo: DemoTarget) -> None:
    config = tomllib.loads(demo.config_path.read_text(encoding="utf-8"))
    named = {Path(command["argv"][0]).name for command in config["actions"]["commands"].values()}
    assert named <= set(script_names())
    assert set(script_names()) - named == {"lib.sh"}


def test_the_demo_ladder_names_people_and_how_to_reach_them(demo: DemoTarget) -> None:
    loaded = load_config(demo.config_path, env={})
    ladder = [(level.role, level.name, level.contact) for level in loaded.config.escalation.levels]
    assert ladder == [
        ("Senior engineer", "Aiko Tanaka", "@aiko"),
        ("Engineering manager", "Marcus Webb", "@marcus"),
        ("Incident commander", "Priya Raman", "@priya"),
    ]
    assert [level.after for level in loaded.config.escalation.levels] == [900.0, 1800.0, 3600.0]

"""`warroom demo`: the dashboard against an embedded simulated production service.

Everything lives in a fresh temporary directory that is removed on exit; the user's
files (and git config) are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from services.config import load_config
from services.demo_target import DemoTarget


def run_demo(*, theme: str | None = None, read_only: bool = False) -> int:
    """Start the simulated service, run the dashboard on it, clean up; the exit status."""
    from tui.app import build_app
    from tui.cli import tune_gc

    root = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    try:
        with DemoTarget(root) as target:
            loaded = load_config(target.config_path)
            app = build_app(loaded, theme=theme, read_only=read_only, demo_root=root)
            tune_gc()
            app.run()
            return app.return_code or 0
    finally:
        shutil.rmtree(root, ignore_errors=True)

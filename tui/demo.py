"""`warroom demo`: the dashboard against an embedded simulated production service.

Everything lives in a fresh temporary directory that is removed on exit; the user's
files (and git config) are never touched. The simulated service starts behind the
first frame, in the app's start-up thread.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.runtime import Runtime

START_WAIT = 30.0
"""Most seconds to wait, after quitting, for a start-up still in progress to finish."""


def run_demo(*, theme: str | None = None, read_only: bool = False) -> int:
    """Start the simulated service, run the dashboard on it, clean up; the exit status."""
    from tui.app import start_app
    from tui.cli import report_start_error, tune_gc

    root = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    stack = contextlib.ExitStack()
    settled = threading.Event()
    began = threading.Event()

    def start() -> Runtime:
        began.set()
        try:
            from services.config import load_config
            from services.demo_target import DemoTarget
            from tui.app import make_runtime

            target = stack.enter_context(DemoTarget(root))
            loaded = load_config(target.config_path)
            return make_runtime(loaded, read_only=read_only, demo_root=root)
        finally:
            settled.set()

    try:
        app = start_app(start, theme=theme)
        tune_gc()
        app.run()
        if began.is_set():
            # Quit while the service was still starting: let it finish, then stop it.
            settled.wait(START_WAIT)
        if app.start_error is not None:
            return report_start_error(app.start_error)
        return app.return_code or 0
    finally:
        stack.close()
        shutil.rmtree(root, ignore_errors=True)

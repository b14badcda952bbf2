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
    from warroom.tui.runtime import Runtime

START_WAIT = 30.0
"""Most seconds to wait, after quitting, for the service being built to be up (then stopped)."""


def run_demo(*, theme: str | None = None, read_only: bool = False) -> int:
    """Start the simulated service, run the dashboard on it, clean up; the exit status."""
    from warroom.tui.app import start_app
    from warroom.tui.cli import report_start_error, tune_gc
    from warroom.tui.stopping import STOPPER

    root = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    # Should the process have to end at the stopper's deadline, the temp dir goes first.
    STOPPER.add_cleanup(lambda: _remove(root))
    stack = contextlib.ExitStack()
    # The service is built at most once, and never after the demo began to end: a
    # quit or a signal while the modules load leaves nothing to wait for.
    lock = threading.Lock()
    ending = False
    building = threading.Event()
    built = threading.Event()

    def start() -> Runtime:
        from warroom.services.config import load_config
        from warroom.services.demo.target import DemoTarget
        from warroom.tui.app import make_runtime

        with lock:
            if ending:
                raise DemoEnded
            building.set()
        try:
            target = stack.enter_context(DemoTarget(root))
        finally:
            built.set()
        loaded = load_config(target.config_path)
        return make_runtime(loaded, read_only=read_only, demo_root=root)

    try:
        app = start_app(start, theme=theme)
        tune_gc()
        STOPPER.attach(app)
        try:
            app.run()
        finally:
            STOPPER.finishing()
        if STOPPER.signum is not None:
            return STOPPER.exit_status
        if app.start_error is not None:
            return report_start_error(app.start_error)
        return app.return_code or 0
    finally:
        with lock:
            ending = True
        if building.is_set():
            # Ended while the service was being built (a fraction of a second): let
            # the build finish, then stop it.
            built.wait(START_WAIT)
        stack.close()
        _remove(root)


class DemoEnded(Exception):
    """The demo ended before its service was built: there is nothing to build."""


def _remove(root: Path) -> None:
    """Remove the demo's temp dir, even while a thread is still writing into it."""
    for _attempt in range(3):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return

"""The simulated production that `warroom demo` runs against, built in one folder.

A newcomer must see every pane alive without writing a config, so the demo builds, inside
one throwaway folder, everything a real incident has: an HTTP service on loopback
(`service.py`), an error log being written (`log_writer.py`), a git repository with
release tags (`repo.py`), and deploy/rollback scripts with the config that names them
(`workdir.py`, from package data). The service starts BROKEN and recovers when the hotfix
is deployed; rolling back breaks it again.
"""

from __future__ import annotations

import random
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from warroom.services.clock import Clock, SystemClock
from warroom.services.demo.errors import DemoError
from warroom.services.demo.log_writer import LogWriter
from warroom.services.demo.repo import build_repo
from warroom.services.demo.service import PRODUCTION_VERSION, SimulatedService
from warroom.services.demo.traffic import Mode
from warroom.services.demo.workdir import demo_config, install_scripts

__all__ = ["PRODUCTION_VERSION", "DemoError", "DemoTarget"]


class DemoTarget:
    """Builds and runs the simulated production service inside `root` (a fresh temp dir).

    Nothing outside `root` is touched: git runs with the user's global and system config
    ignored, and the repository carries its own identity. Use as a context manager, or call
    `start()` and `stop()`.
    """

    def __init__(
        self,
        root: Path,
        clock: Clock | None = None,
        *,
        log_interval: float = 2.0,
        script_pace: float = 0.4,
        slowness: float = 1.0,
        hostile_odds: float = 0.02,
        incident_age: float = 240.0,
        seed: int | None = None,
    ) -> None:
        """`log_interval`: seconds between log flushes (on average); `script_pace`: seconds
        per step of the deploy scripts; `slowness`: scales the real delay of broken answers
        (0 in tests); `hostile_odds`: chance a logged event is an escape-sequence line;
        `incident_age`: how long ago the incident started."""
        self.root = Path(root).resolve()
        self.clock: Clock = clock or SystemClock()
        self.script_pace = script_pace
        self.incident_age = incident_age
        self.config_path = self.root / "warroom.toml"
        self.log_path = self.root / "logs" / "error.log"
        self.repo_path = self.root / "repo"
        self.state_dir = self.root / "state"
        self.bin_dir = self.root / "bin"
        rng = random.Random(seed)
        # The log draws from its own generator, so its lines do not depend on how many
        # requests the service answered.
        self.log = LogWriter(
            self.log_path,
            self.clock,
            lambda: self.mode,
            random.Random(rng.random()),
            interval=log_interval,
            hostile_odds=hostile_odds,
        )
        self.service = SimulatedService(self.state_dir, self.clock, rng, slowness=slowness)
        self.mode_path = self.service.mode_path
        self.version_path = self.service.version_path

    # lifecycle

    def __enter__(self) -> DemoTarget:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Create the files, the repository and the scripts, and start serving.

        A failure part way (git missing, a used folder) leaves nothing running.
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.service.write_state()
        build_repo(self.repo_path, self.clock.now())
        # The port is taken before the scripts and the config are written: both name it.
        self.service.bind()
        install_scripts(
            self.bin_dir,
            {
                "STATE": str(self.state_dir),
                "BASE_URL": self.base_url,
                "PY": sys.executable,
                "PACE": f"{max(0.0, self.script_pace):g}",
                "REPO": str(self.repo_path),
            },
        )
        started = self.clock.now() - timedelta(seconds=self.incident_age)
        config = demo_config(started, self.base_url, self.log_path, self.bin_dir)
        self.config_path.write_text(config, encoding="utf-8")
        self.log.start()
        self.service.start()

    def stop(self) -> None:
        """Stop serving and writing; returns in milliseconds (at worst about a second)."""
        self.service.stop()
        self.log.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT once started."""
        return self.service.base_url

    @property
    def threads(self) -> list[threading.Thread]:
        """The background threads (for tests proving `stop()` ends them)."""
        return [t for t in (self.service.thread, self.log.thread) if t is not None]

    @property
    def mode(self) -> Mode:
        """Whether the service is currently broken or fixed, as the scripts last set it."""
        return self.service.mode

    @property
    def version(self) -> str:
        """The release production runs, as the deploy scripts last wrote it."""
        return self.service.version

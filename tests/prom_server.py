"""A throwaway Prometheus server for tests and benchmarks: Debian's `/usr/bin/prometheus`
with its config and TSDB in a temp dir, listening on a free port of 127.0.0.1, scraping
the targets it is given every second, stopped (its whole process group) by its owner.

`PromServer.unavailable()` says why one cannot run here, so callers skip with that
reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warroom.services.process import group_alive

BINARY = "/usr/bin/prometheus"
START_TIMEOUT = 60.0
"""Generous: the machine's two cores may be busy with other test runs."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str | None:
    if os.access(BINARY, os.X_OK):
        return BINARY
    return shutil.which("prometheus")


class PromServer:
    """One Prometheus server scraping `targets` ("127.0.0.1:PORT") every second."""

    def __init__(self, targets: Sequence[str], metrics_path: str = "/metrics") -> None:
        binary = _binary()
        assert binary is not None, PromServer.unavailable()
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="warroom-prom-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.config = self.root / "prometheus.yml"
        # JSON is YAML: no YAML library needed to write the config.
        self.config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "demo",
                            "metrics_path": metrics_path,
                            "static_configs": [{"targets": list(targets)}],
                        }
                    ],
                }
            )
        )

    @staticmethod
    def unavailable() -> str | None:
        """Why no server can run here, or None."""
        if _binary() is None:
            return "Prometheus is not installed (apt-get install prometheus)"
        return None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server (in a process group of its own) and wait until it is ready."""
        assert self.process is None
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "server.log").open("ab"),
            start_new_session=True,
            cwd=self.root,
        )
        self.wait_for(lambda: self._get("/-/ready") is not None, "ready")

    def query(self, promql: str) -> list[Any]:
        """The result of an instant query (for waiting on samples), [] when it fails."""
        answer = self._get("/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        if answer is None:
            return []
        doc = json.loads(answer)
        return list(doc.get("data", {}).get("result", []))

    def wait_for(self, condition: Any, what: str) -> None:
        """Poll `condition()` until it holds; fail with the server's log after a minute."""
        deadline = time.monotonic() + START_TIMEOUT
        while not condition():
            assert self.process is not None and self.process.poll() is None, self.log()
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus never got {what}: {self.log()}")
            time.sleep(0.1)

    def _get(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return bytes(response.read())
        except (urllib.error.URLError, OSError):
            return None

    def stop(self) -> None:
        """Stop the server and wait until its whole process group has gone."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + START_TIMEOUT
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def log(self) -> str:
        """The server's log, for a failure message."""
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def close(self) -> None:
        """Stop the server and remove its files."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

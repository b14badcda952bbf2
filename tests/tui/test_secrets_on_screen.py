"""The dashboard never paints a `${env:}` value: the Metrics pane and the Error log.

A Prometheus URL with a token in its query fails (the pane shows the error, URL
included) and a log command with a token in its argv starts and restarts (the Error
log shows "running ..."); the whole screen is read back and searched for the token.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.services.test_secret_masking import ENV, QUERY_TOKEN, leaks
from tests.tui import fixtures
from warroom.services.config import load_config
from warroom.services.redact import MASK
from warroom.tui.app import build_app
from warroom.widgets.log_view import LogView


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def metrics_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _screen_text(svg: str) -> str:
    """The characters of a screenshot, tags dropped (spans split text at styles only)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", svg))
    return text.replace("\xa0", " ")


async def test_metrics_pane_and_error_log_show_secrets_masked(
    tmp_path: Path, metrics_url: str
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text(
        f"""
[incident]
id = "INC-S"
state_dir = "state"

[[metric]]
name = "requests"
source = "prometheus"
url = "{metrics_url}?token=${{env:QUERY_TOKEN}}"
metric = "http_requests_total"
interval = "1s"

[[log]]
name = "cmd"
command = ["sh", "-c", "echo started; exit 3", "--token=${{env:QUERY_TOKEN}}"]
restart_backoff = "50ms"
""",
        encoding="utf-8",
    )
    app = build_app(load_config(config, env=ENV))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = fixtures.dashboard(app)

        def failed() -> bool:
            series = screen.metrics.get("requests") if screen.metrics is not None else None
            return series is not None and "HTTP 500" in series.error

        def restarted() -> bool:
            texts = [item.text for item in screen.query_one(LogView).items]
            return sum("running" in t for t in texts) >= 2

        await fixtures.until(pilot, failed, timeout=15)
        await fixtures.until(pilot, restarted, timeout=15)
        await pilot.pause()
        shown = _screen_text(app.export_screenshot())
        logged = "\n".join(item.text for item in screen.query_one(LogView).items)
        assert screen.metrics is not None
        error = screen.metrics.get("requests")
        assert error is not None and MASK in error.error and not leaks(error.error)
        assert f"--token={MASK}" in logged and not leaks(logged), logged
        assert "running" in shown
        assert not leaks(shown), shown
        assert QUERY_TOKEN.split()[0].lower() not in shown.lower()

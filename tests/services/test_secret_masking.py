"""A `${env:}` value never shows: not on stderr, in the journal, the report or a webhook.

The secrets come back changed: a webhook host lower-cased by URL parsing, a query
percent-encoded, a status text JSON-escaped. Each placement is driven through the real
thing: a loopback webhook receiver, a loopback /metrics that fails, `warroom check` and
`warroom tail` in subprocesses, a real journal and the report built from it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from warroom.services.clock import ManualClock
from warroom.services.config import LoadedConfig, load_config
from warroom.services.escalation.notify import Notifier
from warroom.services.journal.report import build_report, render_json, render_markdown
from warroom.services.journal.store import Journal
from warroom.services.redact import MASK, Redactor, mask, redact
from warroom.services.release.action_argv import PreparedAction
from warroom.services.runbook.model import runbook_for

HOST_TOKEN = "HostTok3nAbcDEF"
"""Goes into a webhook's host name, where URL parsing lower-cases it."""
QUERY_TOKEN = "Qs3cr€t Val/ue+X"
"""Goes into query strings and argv: a space, a slash, a plus and a non-ASCII letter."""
ENV = {"HOST_TOKEN": HOST_TOKEN, "QUERY_TOKEN": QUERY_TOKEN}


def leaks(text: str, secret: str = QUERY_TOKEN) -> list[str]:
    """Every spelling of `secret` found in `text`, ignoring case."""
    spellings = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        secret.encode("idna").decode() if secret.isascii() else secret,
    }
    return [s for s in spellings if s.lower() in text.lower()]


def test_every_spelling_is_masked() -> None:
    redactor = Redactor([QUERY_TOKEN, HOST_TOKEN, "bücher-Tok3n"])
    for spelling in [
        QUERY_TOKEN,
        QUERY_TOKEN.lower(),
        QUERY_TOKEN.upper(),
        quote(QUERY_TOKEN, safe=""),
        quote(QUERY_TOKEN, safe="").lower(),
        quote_plus(QUERY_TOKEN),
        json.dumps(QUERY_TOKEN)[1:-1],
        repr(QUERY_TOKEN)[1:-1],
        HOST_TOKEN.lower(),
        "xn--bcher-tok3n-thb",  # bücher-tok3n as an IDNA host label
    ]:
        masked = redactor.text(f"before {spelling} after")
        assert masked == f"before {MASK} after", spelling


def test_short_values_and_nothing_are_left_alone() -> None:
    assert Redactor(["on"]).text("on and on") == "on and on"
    payload = {"item": "p01"}
    assert redact(payload, ()) is payload


# --- a loopback webhook receiver ----------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[str]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.bodies.append(self.rfile.read(length).decode("utf-8"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the bodies, not the access log."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    bodies: list[str] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def failing_metrics() -> Iterator[str]:
    """A /metrics endpoint that answers 500, so the error (with the URL) is shown."""

    class Failing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _config(tmp_path: Path, webhook: str, metrics: str = "http://127.0.0.1:9/metrics") -> Path:
    path = tmp_path / "warroom.toml"
    path.write_text(
        f"""
[incident]
id = "INC-7"
state_dir = "state"

[[notify]]
url = "{webhook}/hook?key=${{env:QUERY_TOKEN}}"
format = "json"

[[notify]]
url = "{webhook}/slack/${{env:QUERY_TOKEN}}"
format = "slack"

[[notify]]
url = "http://${{env:HOST_TOKEN}}.invalid/hook"

[[metric]]
name = "requests"
source = "prometheus"
url = "{metrics}?token=${{env:QUERY_TOKEN}}"
metric = "http_requests_total"

[[log]]
name = "cmd"
command = ["sh", "-c", "echo started; exit 3", "--token=${{env:QUERY_TOKEN}}"]
restart_backoff = "50ms"

[actions.commands.deploy]
argv = ["./deploy.sh", "--token", "${{env:QUERY_TOKEN}}", "{{version}}"]
""",
        encoding="utf-8",
    )
    return path


def _loaded(tmp_path: Path, webhook: str = "http://127.0.0.1:9") -> LoadedConfig:
    return load_config(_config(tmp_path, webhook), env=ENV)


async def test_webhooks_journal_and_report_never_carry_a_secret(
    tmp_path: Path, receiver: tuple[str, list[str]], clock: ManualClock
) -> None:
    url, bodies = receiver
    loaded = _loaded(tmp_path, url)
    journal = Journal.open(tmp_path / "journal.sqlite3", clock, "aiko")
    toasts: list[str] = []

    def record(kind: str, payload: dict[str, object]) -> None:
        # As the dashboard journals: through `redact` with the config's secrets.
        journal.append(kind, redact(payload, loaded.secrets))

    async with httpx.AsyncClient() as client:
        notifier = Notifier(
            loaded.config.notify,
            client,
            clock,
            record,
            incident="INC-7",
            attempts=1,
            on_result=lambda d: toasts.append(f"Webhook {d.url} failed: {d.error}"),
        )
        # A status update that quotes the secret, as pasted from a terminal.
        text = f"login fixed; curl -H {QUERY_TOKEN.upper()} {quote(QUERY_TOKEN)}"
        await notifier.send("status", text, {"token": QUERY_TOKEN.lower()})
        deliveries = await notifier.drain()
    assert sorted(d.ok for d in deliveries) == [False, True, True]
    assert len(bodies) == 2
    for body in bodies:
        assert "login fixed" in body
        assert MASK in body
        assert not leaks(body), body
    # The failed delivery: its host held the (lower-cased) token.
    assert toasts and all(not leaks(t, HOST_TOKEN) for t in toasts), toasts
    assert any(MASK in t for t in toasts)

    record("action.started", {"name": "deploy", "argv": ["./deploy.sh", QUERY_TOKEN]})
    events = journal.events()
    journal.close()
    stored = json.dumps([e.payload for e in events], ensure_ascii=False)
    assert "notify.failed" in {e.kind for e in events}
    assert not leaks(stored) and not leaks(stored, HOST_TOKEN), stored
    report = build_report(loaded.config.incident, runbook_for(loaded), events, clock.now())
    for rendered in (render_json(report), render_markdown(report)):
        assert not leaks(rendered) and not leaks(rendered, HOST_TOKEN)


def test_an_action_shows_its_command_line_masked(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path)
    argv = tuple(loaded.config.actions.commands["deploy"].argv)
    assert QUERY_TOKEN in argv  # what runs still has the real value
    line = PreparedAction(name="deploy", argv=argv).line
    assert MASK in line and not leaks(line), line


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **ENV}


def test_check_command_masks_a_token_in_a_prometheus_url(
    tmp_path: Path, failing_metrics: str
) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9", failing_metrics)
    outputs = {}
    for form in ("table", "json"):
        result = subprocess.run(
            [sys.executable, "-m", "warroom", "check", "--config", str(path)]
            + (["--json"] if form == "json" else []),
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(tmp_path),
        )
        # An unreadable metric is UNKNOWN, not a failure of the check (no endpoints).
        assert result.returncode == 0, result.stderr
        outputs[form] = result.stdout + result.stderr
        assert not leaks(outputs[form]), outputs[form]
    assert f"/metrics?token={MASK}: HTTP 500" in outputs["table"], outputs["table"]


def test_tail_shows_a_restarting_command_masked_on_stderr(tmp_path: Path) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9")
    process = subprocess.Popen(
        [sys.executable, "-m", "warroom", "tail", "--config", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
        start_new_session=True,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        # Two starts: the first run and the restart after it exited.
        while sum("running" in line for line in seen) < 2:
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    text = "".join(seen)
    assert sum("running" in line for line in seen) == 2, text
    assert f"--token={MASK}" in text
    assert not leaks(text), text


def test_mask_uses_what_the_loader_registered(tmp_path: Path) -> None:
    _loaded(tmp_path)
    assert mask(f"x {HOST_TOKEN.lower()}.invalid y") == f"x {MASK}.invalid y"


def test_report_command_masks_config_strings(tmp_path: Path) -> None:
    # A secret in a config string the report shows (the title) never reaches it.
    path = tmp_path / "warroom.toml"
    path.write_text(
        '[incident]\nid = "INC-8"\nstate_dir = "state"\n'
        'title = "Login outage token=${env:QUERY_TOKEN}"\n'
    )
    for form in ("md", "json"):
        result = subprocess.run(
            [sys.executable, "-m", "warroom", "report", "--config", str(path), "--format", form],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        assert "Login outage token=" in result.stdout
        assert not leaks(result.stdout + result.stderr), result.stdout

"""The session judges the deploy on its clock steps and journals each change once.

No UI: a session over a real SQLite journal, probing a real HTTP server on 127.0.0.1
whose answer the test switches between healthy and failing. Probe and journal times
come from a manual clock, so the verdict's window passes when the test says so.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.services.test_session import _config, _session, watching
from warroom.services import events as kinds
from warroom.services.clock import ManualClock
from warroom.services.release.verdict import Outcome
from warroom.services.session import IncidentSession, SessionState


class Production:
    """A loopback endpoint answering 200, or 500 once `failing` is set."""

    def __init__(self) -> None:
        self.failing = False
        self.hits = 0
        production = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                production.hits += 1
                status = 500 if production.failing else 200
                body = b'{"status": "pass"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def config_for(url: str) -> str:
    return f"""
[[endpoint]]
name = "api"
url = "{url}"
interval = "300ms"
timeout = "250ms"
[endpoint.verdict]
window = "10s"
min_samples = 3

[actions]
gates = ["api"]
"""


def changes(session: IncidentSession) -> list[dict[str, Any]]:
    return [e.payload for e in session.events if e.kind == kinds.VERDICT_CHANGED]


async def test_the_verdict_is_journaled_when_it_changes_and_only_then(
    tmp_path: Path, production: Production
) -> None:
    clock = ManualClock()
    loaded = _config(tmp_path, config_for(production.url))
    session = _session(loaded, clock=clock)
    async with watching(session) as (watcher,):
        # Nothing deployed: nothing judged, nothing journaled.
        await watcher.until(lambda s: s.health is not None and len(s.health.endpoints) == 1)
        assert watcher.latest is not None and watcher.latest.verdict is None
        assert await session.mark_deploy(version="v1.2.4")
        mark = next(e.seq for e in session.events if e.kind == kinds.DEPLOY_MARKED)

        # At once: probes, but the window has not passed. Inconclusive, on record.
        state = await watcher.until(lambda s: bool(changes(session)))
        first = changes(session)[0]
        assert first["outcome"] == "Inconclusive" and first["deploy_seq"] == mark
        assert "batch" not in first
        (api,) = first["criteria"]
        assert api["name"] == "api" and api["window"] == 10.0 and api["threshold"] == 100.0
        assert state.verdict is not None and state.verdict.deploy_seq == mark

        # The window passes with enough good probes: Pass, once.
        clock.advance(11.0)
        await watcher.until(lambda s: _outcome(s) is Outcome.PASS)
        await watcher.until(lambda s: len(changes(session)) == 2)
        passed = changes(session)[1]
        assert passed["outcome"] == "Pass"
        (api,) = passed["criteria"]
        assert api["value"] == 100.0 and api["samples"] >= 3 and api["outcome"] == "Pass"
        # More clock steps with the same outcome journal nothing more: wait for three
        # more probes (each state after them comes with a later clock step).
        seen = production.hits
        await watcher.until(lambda s: production.hits >= seen + 3 and _outcome(s) is Outcome.PASS)
        assert [c["outcome"] for c in changes(session)] == ["Inconclusive", "Pass"]

        # Production fails: Fail, with the figure that decided it.
        production.failing = True
        await watcher.until(lambda s: len(changes(session)) == 3)
        failed = changes(session)[2]
        assert failed["outcome"] == "Fail"
        assert failed["criteria"][0]["value"] < 100.0
        assert failed["headline"].startswith("api ") and "success" in failed["headline"]
        actors = {e.actor for e in session.events if e.kind == kinds.VERDICT_CHANGED}
        assert actors == {kinds.SYSTEM_ACTOR}

        # A viewer of the same incident sees the verdict and writes nothing.
        viewer = _session(loaded, actor="bob", read_only=True, clock=clock)
        async with watching(viewer) as (viewing,):
            shown = await viewing.until(lambda s: _outcome(s) is Outcome.FAIL)
            assert shown.verdict is not None and shown.verdict.deploy_seq == mark

        # The rollback ends the judging.
        assert await session.record(kinds.ROLLBACK_FINISHED, {"ok": True, "version": "v1.2.3"})
        await watcher.until(lambda s: s.verdict is None)
        assert len(changes(session)) == 3


def _outcome(state: SessionState) -> Outcome | None:
    return state.verdict.outcome if state.verdict is not None else None

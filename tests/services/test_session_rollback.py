"""After a rollback the Health pane's deploy figure counts from the rollback.

The DEPL% column is the share of good probes since the change production runs under. A
rollback is such a change: once it is journaled, probes of the rolled-back hotfix no
longer count. A rollback that failed changes nothing in production, so the count of the
deploy it did not undo goes on. No UI: a session over a real SQLite journal probing a
real HTTP server on 127.0.0.1 that the test switches between healthy and failing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.services.test_session import Watcher, _config, _session
from tests.services.test_session_verdict import Production, config_for
from warroom.services import events as kinds
from warroom.services.clock import ManualClock
from warroom.services.health.status import EndpointStatus
from warroom.services.session import IncidentSession, SessionState


def _api(state: SessionState) -> EndpointStatus | None:
    if state.health is None or not state.health.endpoints:
        return None
    return state.health.endpoints[0]


def _since_deploy(state: SessionState) -> float | None:
    api = _api(state)
    return api.uptime_since_deploy_pct if api is not None else None


def _last_ok(state: SessionState) -> bool:
    api = _api(state)
    return api is not None and api.last is not None and api.last.ok


async def _a_failing_hotfix(session: IncidentSession, production: Production) -> Watcher:
    """Mark the deploy, see its figure at 100%, then make production fail until it drops."""
    watcher = Watcher(session)
    await watcher.until(lambda s: s.journal_open and s.escalation is not None)
    assert await session.mark_deploy(version="v1.2.4")
    await watcher.until(lambda s: _since_deploy(s) == 100.0)
    production.failing = True
    await watcher.until(lambda s: (_since_deploy(s) or 100.0) < 100.0)
    return watcher


async def _healthy_again(watcher: Watcher, production: Production) -> None:
    """Production answers well again, and every probe from now on is of the healthy
    service (one probe per endpoint is in flight at most: each after a good one is)."""
    production.failing = False
    await watcher.until(_last_ok)


async def test_after_a_rollback_the_deploy_figure_counts_from_the_rollback(
    tmp_path: Path, production: Production
) -> None:
    session = _session(_config(tmp_path, config_for(production.url)), clock=ManualClock())
    watcher = await _a_failing_hotfix(session, production)
    try:
        await _healthy_again(watcher, production)
        assert await session.record(kinds.ROLLBACK_FINISHED, {"ok": True, "version": "v1.2.3"})
        # The hotfix's failures are behind the rollback: the figure reads 100% again,
        # while the whole run's uptime still holds them.
        state = await watcher.until(lambda s: _since_deploy(s) == 100.0)
        api = _api(state)
        assert api is not None and api.uptime_pct is not None and api.uptime_pct < 100.0
        # The state says so (the release bar shows it), and a new deploy ends it.
        assert state.summary.rolled_back.startswith("the hotfix rolled back to v1.2.3 at ")
        assert session.summary.rolled_back == state.summary.rolled_back
        assert await session.mark_deploy(version="v1.2.5")
        state = await watcher.until(lambda s: s.summary.rolled_back == "")
        assert session.rollback() is None
    finally:
        await watcher.stop()


async def test_a_failed_rollback_leaves_the_deploy_figure_counting(
    tmp_path: Path, production: Production
) -> None:
    clock = ManualClock()
    session = _session(_config(tmp_path, config_for(production.url)), clock=clock)
    watcher = await _a_failing_hotfix(session, production)
    try:
        await _healthy_again(watcher, production)
        assert await session.record(kinds.ROLLBACK_FINISHED, {"ok": False, "version": "v1.2.3"})
        # Probes from here on are stamped later than any before the rollback was applied.
        clock.advance(1.0)
        after = clock.now()
        state = await watcher.until(lambda s: _good_since(s, after) >= 3)
        # The hotfix still runs: good probes follow, yet its failures still count.
        figure = _since_deploy(state)
        assert figure is not None and figure < 100.0
        assert state.summary.rolled_back == "" and session.rollback() is None
    finally:
        await watcher.stop()


def _good_since(state: SessionState, at: datetime) -> int:
    api = _api(state)
    return sum(1 for r in api.history if r.at >= at and r.ok) if api is not None else 0

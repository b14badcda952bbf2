"""The dashboard's release bar: the git state kept fresh, and the Release and rollback keys.

The release machinery is imported when first used, so the first frame does not wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warroom.services.runbook.placeholders import command_values
from warroom.tui.screens.dashboard_base import DashboardBase

if TYPE_CHECKING:
    from warroom.services.release.controller import ReleaseController
    from warroom.services.release.release_info import ReleaseInfo


class ReleasePane(DashboardBase):
    """The dashboard's handlers for the release bar and its keys."""

    def _controller(self) -> ReleaseController:
        # Through the app, which stops a running command as it exits; it hands out
        # this session's controller.
        release = getattr(self.app, "release", None)
        return release if release is not None else self.session.release

    def _watch_release(self) -> None:
        controller = self._controller()
        controller.subscribe(self._release_changed)
        self.run_worker(controller.refresh_release(), group="release")
        self.set_interval(30.0, self._refresh_release)

    def watch_release(self, release: ReleaseInfo | None) -> None:
        self.versions = command_values(release)

    def _release_changed(self) -> None:
        self.release = self._controller().release

    def _refresh_release(self) -> None:
        self.run_worker(self._controller().refresh_release(), group="release")

    def action_release(self) -> None:
        from warroom.tui.screens.release import ReleaseScreen

        self.app.push_screen(ReleaseScreen(self._controller(), self.lang))

    def action_rollback(self) -> None:
        from warroom.tui.screens.release import rollback_flow

        flow = rollback_flow(self.app, self._controller(), self.lang)
        self.run_worker(flow, group="rollback")

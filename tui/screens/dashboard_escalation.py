"""The dashboard's Escalation pane: acknowledge, send a status update, resolve, severity."""

from __future__ import annotations

from textual import work

from warroom.services.escalation import ladder as esc
from warroom.tui.screens.dashboard_base import DashboardBase


class EscalationPane(DashboardBase):
    """The dashboard's handlers for the escalation keys."""

    async def action_ack(self) -> None:
        if await self.session.ack():
            self.notify(
                self.say("Acknowledged by {actor}.", actor=self.runtime.actor), markup=False
            )

    @work(group="prompt")
    async def action_status(self) -> None:
        from warroom.widgets.status_composer import StatusComposer

        composer = StatusComposer(self.session.status_draft(), lang=self.lang)
        text = await self.app.push_screen_wait(composer)
        if text and await self.session.send_status(text):
            self.notify(self.say("Status update sent."))

    @work(group="prompt")
    async def action_resolve(self) -> None:
        from warroom.widgets.confirm import ConfirmScreen

        if self.escalation is not None and self.escalation.resolved:
            self.notify(self.say("The incident is already resolved."))
            return
        lines = [self.say("Stops the incident clock and the escalation ladder (journaled).")]
        state = self.runbook_state
        open_items = len(state.open_items()) if state is not None else 0
        if open_items:
            lines.append(self.say("{n} runbook items are still open.", n=open_items))
        watch = self.escalation.watch if self.escalation is not None else None
        if watch is not None and not watch.ended:
            left = esc.format_hms(watch.remaining)
            lines.append(
                self.say("The post-deploy watch window is still running ({left} left).", left=left)
            )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                self.say("Resolve the incident?"),
                lines,
                confirm_label=self.say("Resolve"),
                lang=self.lang,
            )
        )
        if confirmed:
            await self.session.resolve()

    async def action_set_severity(self, severity: str) -> None:
        await self.session.set_severity(severity)

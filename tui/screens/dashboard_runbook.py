"""The dashboard's Runbook pane: ticks, notes, choices and the views they open.

A tick of a gated item asks for an override with a reason first; every change goes to
the session, and the journal's stream brings the new state back down.
"""

from __future__ import annotations

from textual import work

from warroom.tui.screens.dashboard_base import DashboardBase
from warroom.widgets.runbook_view import RunbookView


class RunbookPane(DashboardBase):
    """The dashboard's handlers for the Runbook pane's messages and keys."""

    async def on_runbook_view_toggle_requested(self, message: RunbookView.ToggleRequested) -> None:
        waits = self.session.tick_waits(message.item_id) if message.done else ()
        if waits:
            # A gated item is ticked only by an override, with a reason on record.
            self._override_tick(message.item_id, waits)
            return
        if not await self.session.toggle(message.item_id, message.done):
            return
        if message.done and self.session.deploy_marked and self._marks_deploy(message.item_id):
            self.notify(self.say("Deploy marked: baseline set, post-deploy watch started."))

    @work(group="prompt")
    async def _override_tick(self, item_id: str, waits: tuple[str, ...]) -> None:
        from warroom.tui.screens.release import ask_override

        # Journaled in English; asked in the screen's language.
        what = f"tick “{self._item_text(item_id)}”"
        shown = self.say("tick “{item}”", item=self._item_text(item_id))
        leave = self.say("Type why, or esc to leave it open.")
        reason = await ask_override(self.app, shown, waits, leave, self.lang)
        if reason is None:
            self.notify("; ".join(waits), title=self.say("Not ticked: gated"), markup=False)
            return
        if await self.session.override(what, waits, reason):
            await self.session.toggle(item_id, True, overridden=True)

    def _marks_deploy(self, item_id: str) -> bool:
        item = self.runbook.item(item_id)
        return item is not None and item.marks_deploy

    def _item_text(self, item_id: str) -> str:
        item = self.runbook.item(item_id)
        return item.text if item is not None else item_id

    @work(group="prompt")
    async def on_runbook_view_note_requested(self, message: RunbookView.NoteRequested) -> None:
        from warroom.widgets.prompt import PromptScreen

        text = await self.app.push_screen_wait(
            PromptScreen(self.say("Note"), subject=self._item_text(message.item_id))
        )
        if text:
            await self.session.note(message.item_id, text)

    @work(group="prompt")
    async def on_runbook_view_not_applicable_requested(
        self, message: RunbookView.NotApplicableRequested
    ) -> None:
        from warroom.widgets.prompt import PromptScreen

        reason = await self.app.push_screen_wait(
            PromptScreen(self.say("Not applicable: why?"), subject=self._item_text(message.item_id))
        )
        if reason:
            await self.session.not_applicable(message.item_id, reason)

    @work(group="prompt")
    async def on_runbook_view_choice_requested(self, message: RunbookView.ChoiceRequested) -> None:
        from warroom.widgets.choice import ChoiceScreen

        option = await self.app.push_screen_wait(
            ChoiceScreen(self.say("Choose one"), message.options, message.selected)
        )
        if option is not None and option != message.selected:
            await self.session.choose(message.choice_id, option)

    def on_runbook_view_timeline_requested(self, message: RunbookView.TimelineRequested) -> None:
        self.action_timeline()

    def action_timeline(self) -> None:
        from warroom.widgets.timeline import TimelineScreen

        timeline = TimelineScreen(list(self.events), self.runbook, self.say("Timeline"))
        self.app.push_screen(timeline)

    def action_guidance(self) -> None:
        from warroom.widgets.guidance import GuidanceScreen

        self.app.push_screen(GuidanceScreen(self.runbook.guidance, self.lang))

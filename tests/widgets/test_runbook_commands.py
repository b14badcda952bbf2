"""The runbook pane shows commands in the incident's versions once the release is known."""

from __future__ import annotations

from tests.widgets.test_runbook_view import Harness, screen_lines, state_of, view_of
from warroom.services.runbook.placeholders import CommandValues
from warroom.widgets.runbook_view import RunbookView

VERSIONS = CommandValues(
    production_tag="v3.4.0", version="v3.4.1", previous_version="v3.3.9", branch="hotfix/v3.4.1"
)


async def test_commands_fill_in_when_the_versions_arrive() -> None:
    app = Harness(state_of())
    async with app.run_test(size=(80, 24)) as pilot:
        view: RunbookView = view_of(app)
        await pilot.press("3", "down", "down")
        assert view.cursor_key == "item:p03.branch-from-tag"
        before = "\n".join(screen_lines(view))
        # Not known yet: the placeholder itself, never an empty gap.
        assert "$ git checkout tags/{production_tag}" in before
        view.versions = VERSIONS
        await pilot.pause()
        after = "\n".join(screen_lines(view))
        assert "$ git checkout tags/v3.4.0" in after
        assert "$ git checkout -b hotfix/v3.4.1" in after
        assert "{" not in after

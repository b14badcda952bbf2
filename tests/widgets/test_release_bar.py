"""The release bar says, in plain words, what production runs and what the hotfix is."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from warroom.services.release.release_info import CommitInfo, ReleaseInfo
from warroom.widgets.release_bar import ReleaseBar

INFO = ReleaseInfo(
    repo_dir=Path("/srv/app"),
    production_tag="v1.9.9",
    next_version="v1.10.0",
    branch="hotfix/[b]v1.10.0[/]",
    is_hotfix_branch=True,
    commit_count=2,
    commits_since_tag=(CommitInfo("abc", "fix"), CommitInfo("def", "x[/]")),
    files_changed=1,
    lines_added=12,
    lines_removed=3,
    max_changed_lines=200,
    merged_to_main=False,
)


class Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield ReleaseBar()


def lines(app: Harness) -> tuple[str, str]:
    bar = app.query_one(ReleaseBar)
    head = bar.query_one("#release-head", Static)
    stats = bar.query_one("#release-stats", Static)
    return str(head.render()), str(stats.render())


def service_text(app: Harness) -> str | None:
    """The service line's text, or None while it takes no row."""
    line = app.query_one(ReleaseBar).query_one("#release-service", Static)
    return str(line.render()) if line.display else None


async def test_shows_tags_branch_and_blast_radius_verbatim() -> None:
    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        assert bar.has_class("-empty")
        bar.info = INFO
        await pilot.pause()
        head, stats = lines(app)
        assert head == "prod v1.9.9 → hotfix v1.10.0 (not tagged yet) · on hotfix/[b]v1.10.0[/]"
        assert stats == "2 commits · 1 file · +12 −3 since v1.9.9 · not merged into main yet"
        assert not bar.has_class("-empty") and not bar.has_class("-too-big")
        assert service_text(app) is None  # the service is not checked: no row for it


async def test_too_big_dirty_and_tag_state_toggle_classes() -> None:
    from dataclasses import replace

    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = replace(
            INFO,
            too_big=True,
            lines_added=250,
            dirty=True,
            tag_exists=True,
            tag_pushed=True,
            merged_to_main=True,
        )
        await pilot.pause()
        head, stats = lines(app)
        assert bar.has_class("-too-big") and bar.has_class("-dirty")
        assert head.endswith(" · uncommitted changes")
        assert "hotfix v1.10.0 (tagged and pushed)" in head
        assert stats.endswith("+250 −3 since v1.9.9 (over 200 lines) · merged into main")
        bar.info = replace(INFO, tag_exists=True, tag_pushed=False)
        await pilot.pause()
        assert "hotfix v1.10.0 (tagged, not pushed)" in lines(app)[0]
        bar.info = replace(INFO, tag_exists=True, tag_pushed=None, detached=True, branch=None)
        await pilot.pause()
        head, stats = lines(app)
        assert not bar.has_class("-too-big")
        assert head == "prod v1.9.9 → hotfix v1.10.0 (tagged) · detached HEAD"


async def test_error_is_one_line_and_marked() -> None:
    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = ReleaseInfo(
            repo_dir=Path("/x"),
            error="git: /x: not a git repository",
            service_state="differs",  # not shown: without git there is nothing to compare
            service_version="v9.9.9",
        )
        await pilot.pause()
        head, _ = lines(app)
        assert head == "git: /x: not a git repository"
        assert bar.has_class("-error")
        assert not bar.query_one("#release-stats").display
        assert service_text(app) is None
        bar.info = None
        await pilot.pause()
        assert bar.has_class("-empty")


async def test_on_main_the_merge_state_is_not_a_riddle() -> None:
    from dataclasses import replace

    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = replace(INFO, branch="main", is_hotfix_branch=False, merged_to_main=True)
        await pilot.pause()
        head, stats = lines(app)
        assert head.endswith("· on main")
        assert stats == "2 commits · 1 file · +12 −3 since v1.9.9"  # no "merged into main"


async def test_pinned_and_missing_production() -> None:
    from dataclasses import replace

    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = replace(INFO, pinned=True)
        await pilot.pause()
        assert lines(app)[0].startswith("prod v1.9.9 (pinned) → hotfix v1.10.0")
        bar.info = ReleaseInfo(repo_dir=Path("/srv/app"), branch="main")
        await pilot.pause()
        assert lines(app)[0] == "prod: no release tag yet · on main"
        assert not bar.query_one("#release-stats").display


async def test_the_service_line_says_when_the_service_and_the_tags_disagree() -> None:
    from dataclasses import replace

    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = replace(INFO, service_state="agrees", service_version="1.9.9")
        await pilot.pause()
        assert service_text(app) is None  # agreement takes no row
        assert not bar.has_class("-service-warning")
        height = bar.size.height

        bar.info = replace(INFO, service_state="differs", service_version="v1.9.0[/]")
        await pilot.pause()
        assert service_text(app) == "service reports v1.9.0[/], tags say v1.9.9"
        assert bar.has_class("-service-warning")
        assert bar.size.height == height + 1

        bar.info = replace(INFO, service_state="hotfix_live", service_version="v1.10.0")
        await pilot.pause()
        assert service_text(app) == "service reports v1.10.0: the hotfix is live"
        assert not bar.has_class("-service-warning")

        error = "service version: http://127.0.0.1:9/version: HTTP 500"
        bar.info = replace(INFO, service_state="unreadable", service_error=error)
        await pilot.pause()
        assert service_text(app) == error
        assert bar.has_class("-service-warning")

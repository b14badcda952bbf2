"""The release bar renders a ReleaseInfo as plain text with state classes."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from services.release import CommitInfo, ReleaseInfo
from widgets.release_bar import ReleaseBar

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


async def test_shows_tags_branch_and_blast_radius_verbatim() -> None:
    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        assert bar.has_class("-empty")
        bar.info = INFO
        await pilot.pause()
        head, stats = lines(app)
        assert head == "v1.9.9 → v1.10.0  on hotfix/[b]v1.10.0[/]"
        assert stats == ("2 commits · 1 file · +12 −3  │  v1.10.0 not tagged · not merged to main")
        assert not bar.has_class("-empty") and not bar.has_class("-too-big")


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
        assert head.endswith("uncommitted changes")
        assert "+250 −3 (over 200 lines)" in stats
        assert "v1.10.0 tagged, pushed · merged to main" in stats
        bar.info = replace(INFO, tag_exists=True, tag_pushed=None, detached=True, branch=None)
        await pilot.pause()
        head, stats = lines(app)
        assert not bar.has_class("-too-big")
        assert "detached HEAD" in head
        assert "v1.10.0 tagged ·" in stats


async def test_error_is_one_line_and_marked() -> None:
    app = Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        bar = app.query_one(ReleaseBar)
        bar.info = ReleaseInfo(repo_dir=Path("/x"), error="git: /x: not a git repository")
        await pilot.pause()
        head, _ = lines(app)
        assert head == "git: /x: not a git repository"
        assert bar.has_class("-error")
        assert not bar.query_one("#release-stats").display
        bar.info = None
        await pilot.pause()
        assert bar.has_class("-empty")

"""The release at a glance: production tag -> next version, branch, blast radius, tag state."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from services.release import ReleaseInfo
from widgets.paint_cache import PaintCache


def head_line(info: ReleaseInfo) -> str:
    """First line: what production runs, what comes next, and where HEAD is."""
    if info.error:
        return info.error
    prod = info.production_tag or "no version tag"
    nxt = info.next_version or "?"
    where = "detached HEAD" if info.detached else f"on {info.branch}"
    flags = "  · uncommitted changes" if info.dirty else ""
    return f"{prod} → {nxt}  {where}{flags}"


def stats_line(info: ReleaseInfo) -> str:
    """Second line: blast radius since the production tag, and the tag and merge state."""
    if info.error:
        return ""
    commits = "commit" if info.commit_count == 1 else "commits"
    files = "file" if info.files_changed == 1 else "files"
    radius = (
        f"{info.commit_count} {commits} · {info.files_changed} {files} · "
        f"+{info.lines_added} −{info.lines_removed}"
    )
    if info.too_big:
        radius += f" (over {info.max_changed_lines} lines)"
    tag = info.next_version or "tag"
    if not info.tag_exists:
        tag_state = f"{tag} not tagged"
    elif info.tag_pushed is None:
        tag_state = f"{tag} tagged"
    else:
        tag_state = f"{tag} tagged, {'pushed' if info.tag_pushed else 'not pushed'}"
    merged = "merged to main" if info.merged_to_main else "not merged to main"
    return f"{radius}  │  {tag_state} · {merged}"


class _Line(PaintCache, Static):
    """A line of the bar: it repaints under the clock beside it, so it keeps its lines."""


class ReleaseBar(PaintCache, Widget):
    """Two lines about the release; git text is shown as plain text, never markup."""

    DEFAULT_CSS = """
    ReleaseBar {
        height: auto;
        padding: 0 1;
    }
    ReleaseBar > Static {
        width: 1fr;
    }
    ReleaseBar #release-head {
        text-style: bold;
    }
    ReleaseBar.-dirty #release-head {
        color: $warning;
    }
    ReleaseBar.-too-big #release-stats {
        color: $warning;
        text-style: bold;
    }
    ReleaseBar.-error #release-head {
        color: $error;
    }
    ReleaseBar.-empty {
        display: none;
    }
    """

    info: reactive[ReleaseInfo | None] = reactive(None)
    """The latest release snapshot; None hides the bar (no [git] configured)."""

    def compose(self) -> ComposeResult:
        # Kept, not queried: the bar may hear of a release while the screen goes away.
        self._head = _Line("", id="release-head", markup=False)
        self._stats = _Line("", id="release-stats", markup=False)
        yield self._head
        yield self._stats

    def on_mount(self) -> None:
        self._show(self.info)

    def watch_info(self, info: ReleaseInfo | None) -> None:
        if self.is_mounted:
            self._show(info)

    def _show(self, info: ReleaseInfo | None) -> None:
        self.set_class(info is None, "-empty")
        self.set_class(info is not None and info.error is not None, "-error")
        self.set_class(info is not None and info.dirty, "-dirty")
        self.set_class(info is not None and info.too_big, "-too-big")
        head, stats = self._head, self._stats
        head.update("" if info is None else head_line(info))
        stats.update("" if info is None else stats_line(info))
        stats.display = info is not None and info.error is None

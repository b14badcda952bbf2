"""The release at a glance, in plain words: what production runs, the hotfix, the blast radius.

The first line reads as a sentence ("prod v1.2.3 → hotfix v1.2.4 (not tagged yet) · on
hotfix/v1.2.4"); a third line appears only when the running service is checked and has
something to say (it runs another version, the hotfix is already live, or it could
not be asked).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from warroom.services.release.release_info import ReleaseInfo
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN, say


def _tag_state(info: ReleaseInfo, lang: str) -> str:
    if not info.tag_exists:
        return say("not tagged yet", lang)
    if info.tag_pushed is None:
        return say("tagged", lang)
    return say("tagged and pushed" if info.tag_pushed else "tagged, not pushed", lang)


def head_line(info: ReleaseInfo, lang: str = EN) -> str:
    """First line: what production runs, the hotfix and its tag, and where HEAD is."""
    if info.error:
        return info.error
    if info.detached:
        where = say("detached HEAD", lang)
    else:
        where = say("on {branch}", lang).format(branch=info.branch)
    flags = say(" · uncommitted changes", lang) if info.dirty else ""
    if info.production_tag is None:
        return say("prod: no release tag yet · {where}", lang).format(where=where) + flags
    prod = say("prod {tag}", lang).format(tag=info.production_tag)
    prod += say(" (pinned)", lang) if info.pinned else ""
    if info.next_version is None:
        return f"{prod} · {where}{flags}"
    hotfix = say("hotfix {version} ({state})", lang).format(
        version=info.next_version, state=_tag_state(info, lang)
    )
    return f"{prod} → {hotfix} · {where}{flags}"


def stats_line(info: ReleaseInfo, lang: str = EN) -> str:
    """Second line: the blast radius since the production tag, and whether main has the fix."""
    if info.error or info.production_tag is None:
        return ""
    commits = say("1 commit" if info.commit_count == 1 else "{n} commits", lang)
    files = say("1 file" if info.files_changed == 1 else "{n} files", lang)
    since = say("since {tag}", lang).format(tag=info.production_tag)
    radius = (
        f"{commits.format(n=info.commit_count)} · {files.format(n=info.files_changed)} · "
        f"+{info.lines_added} −{info.lines_removed} {since}"
    )
    if info.too_big:
        radius += say(" (over {n} lines)", lang).format(n=info.max_changed_lines)
    if info.branch == info.main_branch:
        # On main itself "merged into main" says nothing.
        return radius
    merged = say(
        "merged into {main}" if info.merged_to_main else "not merged into {main} yet", lang
    )
    return f"{radius} · {merged.format(main=info.main_branch)}"


def service_line(info: ReleaseInfo, lang: str = EN) -> str:
    """Third line: what the running service reports, when it tells something; else empty."""
    if info.error:
        return ""
    state = info.service_state
    if state == "differs":
        tags = info.production_tag or say("no release", lang)
        words = say("service reports {version}, tags say {tags}", lang)
        return words.format(version=info.service_version, tags=tags)
    if state == "hotfix_live":
        words = say("service reports {version}: the hotfix is live", lang)
        return words.format(version=info.service_version)
    if state == "unreadable":
        return info.service_error or say("service version unknown", lang)
    return ""


class _Line(PaintCache, Static):
    """A line of the bar: it repaints under the clock beside it, so it keeps its lines."""


class ReleaseBar(PaintCache, Widget):
    """Two or three lines about the release; git and service text shown plain, never markup."""

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
    ReleaseBar.-service-warning #release-service {
        color: $warning;
        text-style: bold;
    }
    ReleaseBar.-empty {
        display: none;
    }
    ReleaseBar #release-rollback {
        color: $warning;
        text-style: bold;
    }
    """

    info: reactive[ReleaseInfo | None] = reactive(None)
    """The latest release snapshot; None hides the bar (no [git] configured)."""
    lang: reactive[str] = reactive(EN)
    """The language of the bar's words (the runbook's); git's names stay as written."""
    rollback: reactive[str] = reactive("")
    """"v1.2.4 rolled back to v1.2.3 at 13:40 UTC" once a rollback superseded the deploy
    (git still says the hotfix is the release); empty otherwise."""

    def compose(self) -> ComposeResult:
        # Kept, not queried: the bar may hear of a release while the screen goes away.
        self._head = _Line("", id="release-head", markup=False)
        self._stats = _Line("", id="release-stats", markup=False)
        self._service = _Line("", id="release-service", markup=False)
        self._rollback = _Line("", id="release-rollback", markup=False)
        yield self._head
        yield self._stats
        yield self._service
        yield self._rollback

    def on_mount(self) -> None:
        self._show(self.info)

    def watch_info(self, info: ReleaseInfo | None) -> None:
        if self.is_mounted:
            self._show(info)

    def watch_rollback(self, text: str) -> None:
        if self.is_mounted:
            self._show(self.info)

    def _show(self, info: ReleaseInfo | None) -> None:
        self.set_class(info is None, "-empty")
        self.set_class(info is not None and info.error is not None, "-error")
        self.set_class(info is not None and info.dirty, "-dirty")
        self.set_class(info is not None and info.too_big, "-too-big")
        self.set_class(
            info is not None and info.service_state in ("differs", "unreadable"),
            "-service-warning",
        )
        head, stats, service = self._head, self._stats, self._service
        lang = self.lang
        head.update("" if info is None else head_line(info, lang))
        stats_text = "" if info is None else stats_line(info, lang)
        stats.update(stats_text)
        stats.display = bool(stats_text)
        service_text = "" if info is None else service_line(info, lang)
        service.update(service_text)
        # The line takes a row only when there is something to say.
        service.display = bool(service_text)
        self._rollback.update(self.rollback)
        self._rollback.display = bool(self.rollback) and info is not None

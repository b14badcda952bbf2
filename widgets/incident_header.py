"""The header line: incident id, title, severity and the incident clock."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from warroom.services.escalation.countdown import format_hms
from warroom.services.session.summary import IncidentSummary
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.text_line import LinePaint
from warroom.widgets.words import say


class IncidentHeader(PaintCache, LinePaint, Widget):
    """One line that says which incident this is, how bad, and for how long."""

    DEFAULT_CSS = """
    IncidentHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    IncidentHeader.-sev1 { background: $error; color: $background; }
    IncidentHeader.-not-saved { background: $error; color: $background; }
    """

    summary: reactive[IncidentSummary | None] = reactive(None)
    """The incident facts to show; None until the services have started."""
    lang: reactive[str] = reactive("en")
    """The language of the header's words (NOT SAVED, READ-ONLY, RESOLVED): the runbook's."""

    def watch_summary(self, summary: IncidentSummary | None) -> None:
        self.set_class(summary is not None and summary.severity == "SEV1", "-sev1")
        alarm = summary is not None and (summary.save_error or summary.journal_damage) is not None
        self.set_class(alarm, "-not-saved")

    def render(self) -> Text:
        summary = self.summary
        if summary is None:
            return Text(" warroom")
        text = Text(" ")
        text.append(summary.id)
        text.append("  ")
        text.append(summary.severity)
        text.append("  ")
        text.append(summary.title)
        right = Text()
        if summary.save_error is not None:
            right.append(f"{say('NOT SAVED', self.lang)}: {summary.save_error}  ")
        elif summary.journal_damage is not None:
            right.append(f"{say('JOURNAL', self.lang)}: {summary.journal_damage}  ")
        if summary.read_only:
            right.append(f"{say('READ-ONLY', self.lang)}  ")
        right.append(f"{say('RESOLVED', self.lang)} " if summary.resolved else "")
        elapsed = "-:--:--" if summary.elapsed_s is None else format_hms(summary.elapsed_s)
        right.append(f"T+{elapsed} ")
        width = self.size.width
        room = width - right.cell_len
        if text.cell_len > room:
            text.truncate(max(0, room - 1), overflow="ellipsis")
            text.append(" ")
        text.pad_right(max(0, room - text.cell_len))
        return text + right

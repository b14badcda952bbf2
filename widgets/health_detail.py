"""The drill-down of one endpoint: its last answer, health checks and recent results.

A modal screen over the dashboard. Everything shown came from the network and was
sanitized by the prober; it is still rendered as plain `Content`, never as markup.
The screen may keep assigning `status` while it is open, so the view stays live.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.services.health.status import EndpointStatus, ProbeResult, ProbeState
from warroom.widgets.glyphs import STATE_GLYPHS, endpoint_label
from warroom.widgets.words import EN, say

_CHECK_GLYPHS = {"pass": "✔", "warn": "▲", "fail": "✖"}


def _result_line(result: ProbeResult) -> str:
    code = str(result.status_code) if result.status_code is not None else "---"
    latency = f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else "-"
    reason = result.reason.value if result.reason else ""
    glyph = STATE_GLYPHS[result.state.value]
    return (
        f"{result.at:%H:%M:%S}  {glyph} {result.state.word:<5} {code:>4} {latency:>8}  {reason}"
    ).rstrip()


def detail_text(status: EndpointStatus, lang: str = EN) -> str:
    """The whole drill-down as plain text (sanitized upstream; shown without markup)."""
    lines = [f"{status.name}: {endpoint_label(status)}"]
    last = status.last
    if last is None:
        lines.append(say("No probe has completed yet.", lang))
        return "\n".join(lines)
    if last.state is not ProbeState.UP or last.reason is not None:
        why = last.reason.value if last.reason else ""
        latest = say("Latest probe:", lang)
        lines.append(f"{latest} {last.state.word} {why}  {last.detail}".rstrip())
    code = last.status_code if last.status_code is not None else say("no answer", lang)
    latency = f"{last.latency_ms:.0f} ms" if last.latency_ms is not None else "-"
    size = say("{n} bytes", lang).format(n=last.bytes_read)
    size += say(" (cut at 64 KiB)", lang) if last.truncated else ""
    flaps = say("flaps {n}", lang).format(n=status.flaps)
    lines.append(f"HTTP {code}  ·  {latency}  ·  {size}  ·  {flaps}")
    if last.checks:
        lines += ["", say("Checks", lang)]
        for check in last.checks:
            glyph = _CHECK_GLYPHS.get(check.status, "?")
            lines.append(f"  {glyph} {check.name}  {check.status}  {check.output}".rstrip())
    if last.headers:
        lines += ["", say("Response headers", lang)]
        lines += [f"  {key}: {value}" for key, value in last.headers]
    if last.body:
        lines += ["", say("Body (excerpt)", lang), last.body]
    results = say("Last {n} results (newest first)", lang).format(n=len(status.history))
    lines += ["", results]
    lines += ["  " + _result_line(r) for r in reversed(status.history)]
    return "\n".join(lines)


class HealthDetail(ModalScreen[None]):
    """One endpoint in depth; escape closes it."""

    DEFAULT_CSS = """
    HealthDetail { align: center middle; }
    HealthDetail > VerticalScroll {
        width: 90%;
        height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss_detail", "Close"),
    ]

    status: reactive[EndpointStatus | None] = reactive(None)
    """The endpoint shown; assign a newer status to refresh the view."""

    def __init__(self, status: EndpointStatus, lang: str = EN) -> None:
        super().__init__()
        self.set_reactive(HealthDetail.status, status)
        self._lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._content(), id="detail-body")

    def _content(self) -> Content:
        return Content(detail_text(self.status, self._lang)) if self.status else Content("")

    def watch_status(self, status: EndpointStatus | None) -> None:
        if self.is_mounted:
            self.query_one("#detail-body", Static).update(self._content())

    def action_dismiss_detail(self) -> None:
        """Close the drill-down."""
        self.dismiss(None)

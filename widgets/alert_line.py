"""The alert line under the header: the newest alert in words, how many hold, and when.

Alerts used to arrive as toasts, which covered the Error log exactly when it mattered.
This line never covers anything: it stays where it is, says the newest alert, how many
are active, its time, and that `A` lists them all (`AlertListScreen`, newest first).
Alert text is untrusted (an endpoint's name, a webhook's error) and drawn as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import OptionList, Static

from warroom.services.sanitize import clean
from warroom.services.session.alert_log import RaisedAlert
from warroom.services.stamps import compact_time
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN, say


def alert_summary(
    alerts: Sequence[RaisedAlert], now: datetime | None = None, lang: str = EN
) -> str:
    """The line's words: "2 active · 04:19:52 api health is DOWN (status)", or no alerts.

    The newest alert that still holds is shown; when none holds, the newest one, marked
    cleared, so the line never reads as a failure the Health table no longer shows.
    """
    if not alerts:
        return say("No alerts", lang)
    holding = [alert for alert in alerts if alert.active]
    shown = holding[0] if holding else alerts[0]
    count = say("{n} active", lang).format(n=len(holding)) if holding else say("none active", lang)
    cleared = "" if shown.active else f" {say('(cleared)', lang)}"
    # The mark before the text: a narrow line cuts the text's end, never the mark.
    return f"{count} · {compact_time(shown.at, now)}{cleared} {clean(shown.text)}"


class AlertLine(PaintCache, Widget):
    """One line: the newest alert, the active count, its time, and the key to list them."""

    DEFAULT_CSS = """
    AlertLine {
        height: 1;
        background: $panel;
        color: $text-muted;
        &.-active { background: $error 30%; color: $foreground; text-style: bold; }
    }
    """

    alerts: reactive[tuple[RaisedAlert, ...]] = reactive(())
    """Every alert of the incident, newest first."""
    now: reactive[datetime | None] = reactive(None, repaint=False)
    """Today, for the time: the date shows only for an alert of another day. It moves
    every second but changes the line only when the day does, so it repaints only then."""

    def __init__(self, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        """The language of the line's words (the runbook's); alert text stays as written."""

    def watch_alerts(self, alerts: tuple[RaisedAlert, ...]) -> None:
        self.set_class(any(alert.active for alert in alerts), "-active")

    def watch_now(self, old: datetime | None, new: datetime | None) -> None:
        if self.alerts and alert_summary(self.alerts, old, self.lang) != alert_summary(
            self.alerts, new, self.lang
        ):
            self.refresh()

    def render(self) -> Text:
        mark = "⚠ " if self.has_class("-active") else ""
        # `A` opens the list of every alert of the incident, cleared ones included: the
        # hint names the key, what it opens and how many it holds ("A alerts (3)").
        every = say("A alerts ({n})", self.lang).format(n=len(self.alerts))
        hint = f"  {every} " if self.alerts else " "
        words = Text(f" {mark}{alert_summary(self.alerts, self.now, self.lang)}", no_wrap=True)
        room = self.size.width - cell_len(hint)
        if words.cell_len > room:
            words.truncate(max(0, room - 1), overflow="ellipsis")
        words.pad_right(max(0, room - words.cell_len))
        return words + Text(hint)


class AlertListScreen(ModalScreen[None]):
    """Every alert of the incident, newest first, active ones marked; escape, A or q closes."""

    DEFAULT_CSS = """
    AlertListScreen {
        align: center middle;
    }
    AlertListScreen > Vertical {
        width: 95%;
        height: 90%;
        border: thick $accent;
        background: $surface;
    }
    AlertListScreen .alert-list-title {
        text-style: bold;
        padding: 0 1;
    }
    AlertListScreen OptionList {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,A,q", "close", "Close"),
    ]

    def __init__(
        self, alerts: Sequence[RaisedAlert], now: datetime | None = None, lang: str = EN
    ) -> None:
        super().__init__()
        self.alerts = tuple(alerts)
        self._now = now
        self._lang = lang

    def compose(self) -> ComposeResult:
        active = sum(1 for alert in self.alerts if alert.active)
        title = say("Alerts: {n}, {active} active (newest first)", self._lang).format(
            n=len(self.alerts), active=active
        )
        rows = [self._row(alert) for alert in self.alerts] or [Text(say("No alerts", self._lang))]
        with Vertical():
            yield Static(title, classes="alert-list-title", markup=False)
            yield OptionList(*rows)

    def _row(self, alert: RaisedAlert) -> Text:
        # The mark takes the same cells in every row, so the times line up.
        mark = say("ACTIVE", self._lang)
        state = f"{mark} " if alert.active else " " * (cell_len(mark) + 1)
        return Text(f"{state}{compact_time(alert.at, self._now)}  {clean(alert.text)}")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

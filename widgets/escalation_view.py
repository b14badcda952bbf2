"""The Escalation pane: how long the incident has run, whom to call now, whom next and when.

It renders one `EscalationState`; the screen recomputes the state every second with
`services.escalation.compute_state`, which is what makes the countdowns live. Names and
contacts come from the config and are rendered as plain text, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.events import Resize
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits

from services.escalation import EscalationState, format_countdown, format_hms
from widgets.text_line import TextLine

SHORT_HEIGHT = 8
"""Below this many rows the clock is plain text instead of three-row Digits."""

NO_CLOCK = "-:--:--"


def _reached_line(state: EscalationState) -> Text:
    if state.reached is None:
        return Text("No escalation yet")
    line = Text("Call ")
    line.append(state.reached.who, style="bold")
    if state.reached_unacked:
        line.append("  UNACKED")
    elif state.reached.index not in state.unacked and state.reached.index in state.crossed:
        line.append("  acked")
    return line


def _contact_line(state: EscalationState) -> Text:
    if state.reached is None or not state.reached.contact:
        return Text("")
    return Text(f"  {state.reached.contact}")


def _next_line(state: EscalationState) -> Text:
    if state.resolved:
        return Text("RESOLVED", style="bold")
    if state.next is None:
        return Text("Top of the ladder")
    return Text(f"{state.next.level.role} in {format_countdown(state.next.remaining)}")


def _status_line(state: EscalationState) -> Text:
    if state.status_due_in is None:
        return Text("")
    if state.status_due_in < 0:
        return Text(f"Status update OVERDUE {format_countdown(-state.status_due_in)}")
    return Text(f"Status update in {format_countdown(state.status_due_in)}")


def _watch_line(state: EscalationState) -> Text:
    watch = state.watch
    if watch is None:
        return Text("")
    if watch.ended:
        return Text(f"Watch over · {watch.checkpoints_done} checkpoints")
    line = f"Watch {format_countdown(watch.remaining)} left"
    if watch.next_checkpoint is not None and watch.next_checkpoint_in is not None:
        line += f" · check {format_countdown(watch.next_checkpoint_in)}"
    return Text(line)


class EscalationView(Widget):
    """The incident clock and the escalation ladder, sized for a small pane (~38x10)."""

    DEFAULT_CSS = """
    EscalationView {
        height: 1fr;
        padding: 0 1;
        overflow: hidden hidden;
    }
    EscalationView > TextLine {
        width: 1fr;
        height: 1;
    }
    EscalationView #clock { width: auto; }
    EscalationView #clock-text { display: none; text-style: bold; }
    EscalationView.-short #clock { display: none; }
    EscalationView.-short #clock-text { display: block; }
    EscalationView #contact { color: $text-muted; }
    EscalationView #watch { display: none; color: $text-accent; }
    EscalationView.-watching #watch { display: block; }
    EscalationView.-approaching #next { color: $text-warning; text-style: bold; }
    EscalationView.-crossed #reached { color: $text-warning; }
    EscalationView.-unacked #reached {
        color: $text-error;
        background: $error-muted;
        text-style: bold;
    }
    EscalationView.-unacked #clock { color: $error; }
    EscalationView.-overdue #status { color: $text-error; text-style: bold; }
    EscalationView.-resolved #clock, EscalationView.-resolved #clock-text { color: $success; }
    EscalationView.-resolved #next { color: $text-success; }
    """

    state: reactive[EscalationState | None] = reactive(None, repaint=False)
    """The escalation picture to show; None until the incident clock has started."""

    def compose(self) -> ComposeResult:
        yield Digits(NO_CLOCK, id="clock")
        yield TextLine(Text(NO_CLOCK), id="clock-text")
        for line in ("reached", "contact", "next", "status", "watch"):
            yield TextLine(id=line)

    def on_mount(self) -> None:
        self._render_state(self.state)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def watch_state(self, state: EscalationState | None) -> None:
        if self.is_mounted:
            self._render_state(state)

    def _render_state(self, state: EscalationState | None) -> None:
        self.set_class(state is not None and state.approaching, "-approaching")
        self.set_class(state is not None and state.reached is not None, "-crossed")
        self.set_class(state is not None and state.reached_unacked, "-unacked")
        self.set_class(state is not None and state.resolved, "-resolved")
        self.set_class(state is not None and state.status_overdue, "-overdue")
        self.set_class(state is not None and state.watch is not None, "-watching")
        clock = NO_CLOCK if state is None else format_hms(state.elapsed)
        self.query_one("#clock", Digits).update(clock)
        self.query_one("#clock-text", TextLine).text = Text(clock)
        blank = Text("")
        self.query_one("#reached", TextLine).text = (
            Text("Clock not started") if state is None else _reached_line(state)
        )
        contact = blank if state is None else _contact_line(state)
        contact_line = self.query_one("#contact", TextLine)
        contact_line.text = contact
        if contact_line.display != bool(contact.plain):
            contact_line.display = bool(contact.plain)
        self.query_one("#next", TextLine).text = blank if state is None else _next_line(state)
        self.query_one("#status", TextLine).text = blank if state is None else _status_line(state)
        self.query_one("#watch", TextLine).text = blank if state is None else _watch_line(state)

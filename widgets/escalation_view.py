"""The Escalation pane: whom to call next and when, large; whom to call now.

The big digits count down to the next level (the header already shows how long the
incident has run), under a label saying so ("Next escalation in"): bare, they read as
a time of day. The line under them names the next level's role, person and contact
("Senior engineer · Aiko Tanaka @aiko · in 3:38").

It renders one `EscalationState`; the screen recomputes the state every second with
`warroom.services.escalation.ladder.compute_state`, which is what makes the countdowns live.
Names and contacts come from the config and are rendered as plain text, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits

from warroom.services.escalation.countdown import format_countdown
from warroom.services.escalation.ladder import EscalationState, LevelInfo
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.text_line import TextLine
from warroom.widgets.words import EN, say

SHORT_HEIGHT = 9
"""Below this many rows the clock is plain text instead of three-row Digits: the label
row, the digits, the next level's two rows, whom to call and the status update."""

NO_CLOCK = "-:--"
"""The countdown with no next level to count to."""

CLOCK_LABEL = "Next escalation in"
"""What the big digits count down to (said in the pane's language)."""

_FLAG_CLASSES = ("-approaching", "-crossed", "-unacked", "-resolved", "-overdue", "-watching")


def who_text(level: LevelInfo, lang: str = EN) -> str:
    """The rung's role and person; the built-in ladder's roles are said in `lang`
    (a role written in the config is the config's text, shown as written)."""
    role = say(level.role, lang)
    return f"{role} ({level.name})" if level.name else role


def _reached_line(state: EscalationState, lang: str = EN) -> Text:
    if state.reached is None:
        return Text(say("No escalation yet", lang))
    # The person stands out: the template's words go around the name, in any order.
    before, _, after = say("Call {who}", lang).partition("{who}")
    line = Text(before)
    line.append(who_text(state.reached, lang), style="bold")
    line.append(after)
    if state.reached_unacked:
        line.append(f"  {say('UNACKED', lang)}")
    elif state.reached.index not in state.unacked and state.reached.index in state.crossed:
        line.append(f"  {say('acked', lang)}")
    return line


def _contact_line(state: EscalationState) -> Text:
    if state.reached is None or not state.reached.contact:
        return Text("")
    return Text(f"  {state.reached.contact}")


def next_level_text(state: EscalationState, lang: str = EN) -> str:
    """ "Senior engineer · Aiko Tanaka @aiko · in 3:38": who comes next, how to reach
    them, and when; "RESOLVED" or "Top of the ladder" when nobody comes next."""
    if state.resolved:
        return say("RESOLVED", lang)
    upcoming = state.next
    if upcoming is None:
        return say("Top of the ladder", lang)
    level = upcoming.level
    person = " ".join(p for p in (level.name, level.contact) if p)
    when = say("in {time}", lang).format(time=format_countdown(upcoming.remaining))
    parts = [say(level.role, lang), person, when]
    return " · ".join(p for p in parts if p)


def countdown_text(state: EscalationState | None) -> str:
    """The big digits: the time left until the next level, or "-:--" when none comes."""
    if state is None or state.resolved or state.next is None:
        return NO_CLOCK
    return format_countdown(state.next.remaining)


def _next_line(state: EscalationState, lang: str = EN) -> Text:
    text = next_level_text(state, lang)
    if state.resolved:
        return Text(text, style="bold")
    return Text(text if state.next is None else say("Next: {who}", lang).format(who=text))


def _status_line(state: EscalationState, lang: str = EN) -> Text:
    if state.status_due_in is None:
        return Text("")
    if state.status_due_in < 0:
        late = format_countdown(-state.status_due_in)
        return Text(say("Status update OVERDUE {time}", lang).format(time=late))
    due = format_countdown(state.status_due_in)
    return Text(say("Status update in {time}", lang).format(time=due))


def _watch_line(state: EscalationState, lang: str = EN) -> Text:
    watch = state.watch
    if watch is None:
        return Text("")
    if watch.ended:
        done = watch.checkpoints_done
        return Text(say("Watch over · {n} checkpoints", lang).format(n=done))
    line = say("Watch {time} left", lang).format(time=format_countdown(watch.remaining))
    if watch.next_checkpoint is not None and watch.next_checkpoint_in is not None:
        check = format_countdown(watch.next_checkpoint_in)
        line += say(" · check {time}", lang).format(time=check)
    return Text(line)


class _WrappedLine(TextLine):
    """A TextLine that wraps onto a second row: the next level's line must not lose the
    countdown at its end to an ellipsis in a 38-column pane."""

    DEFAULT_CSS = """
    _WrappedLine { height: 2; text-wrap: wrap; }
    """

    def render(self) -> Text:
        return self.text.copy()

    def wrapped_rows(self, visual: Text, width: int) -> list[tuple[int, Text]] | None:
        # Painted row by row as Textual would wrap it: the countdown changes every second.
        return self.textual_wrap(visual, width)


class _Row(PaintCache, Horizontal):
    """The label and countdown's row: repainted under the countdown every second, it hands
    back its own (unchanged) lines."""


class EscalationView(PaintCache, Widget):
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
    EscalationView #next { height: 2; }
    EscalationView #clock { width: auto; }
    /* The label sits on the row above the digits; in a short pane the countdown joins
       it on that row as text ("Next escalation in 10:39"). */
    EscalationView #clock-row { height: 1; }
    EscalationView #clock-label { width: auto; color: $text-muted; padding-right: 1; }
    /* The rest of the row: the countdown repaints without a new layout, so a width
       fitted to "-:--" would cut "10:39". */
    EscalationView #clock-text { width: 1fr; display: none; text-style: bold; }
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

    _flags: tuple[bool, ...] = ()
    """The state classes last set (see `_FLAG_CLASSES`)."""

    def __init__(self, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        """The language of the pane's words (the runbook's); names and contacts stay as written."""

    def compose(self) -> ComposeResult:
        self._digits = Digits(NO_CLOCK, id="clock")
        self._clock_text = TextLine(Text(NO_CLOCK), id="clock-text")
        self._clock_label = TextLine(Text(say(CLOCK_LABEL, self.lang)), id="clock-label")
        self._lines = {
            name: TextLine(id=name) for name in ("reached", "contact", "status", "watch")
        }
        self._lines["next"] = _WrappedLine(id="next")
        with _Row(id="clock-row"):
            yield self._clock_label
            yield self._clock_text
        yield self._digits
        yield self._lines["next"]
        yield from (line for name, line in self._lines.items() if name != "next")

    def on_mount(self) -> None:
        self._render_state(self.state)

    def on_resize(self, event: Resize) -> None:
        short = event.size.height < SHORT_HEIGHT
        self.set_class(short, "-short")
        if not short:
            self._show_digits()

    def watch_state(self, state: EscalationState | None) -> None:
        if self.is_mounted:
            self._render_state(state)

    def _show_digits(self) -> None:
        """The large clock follows the time only while it is shown (not in a short pane)."""
        clock = self._clock_text.text.plain
        if self._digits.value != clock:
            self._digits.update(clock)

    def _render_state(self, state: EscalationState | None) -> None:
        flags = (
            state is not None and state.approaching,
            state is not None and state.reached is not None,
            state is not None and state.reached_unacked,
            state is not None and state.resolved,
            state is not None and state.status_overdue,
            state is not None and state.watch is not None,
        )
        if flags != self._flags:  # they change rarely; the state comes every second
            self._flags = flags
            for flag, name in zip(flags, _FLAG_CLASSES, strict=True):
                self.set_class(flag, name)
        clock = countdown_text(state)
        self._clock_text.text = Text(clock)
        # With nobody next (top of the ladder, resolved) there is nothing to count to.
        counting = clock != NO_CLOCK
        if self._clock_label.display != counting:
            self._clock_label.display = counting
        if not self.has_class("-short"):
            self._show_digits()
        blank = Text("")
        lines = self._lines
        lang = self.lang
        if state is None:
            lines["reached"].text = Text(say("Clock not started", lang))
        else:
            lines["reached"].text = _reached_line(state, lang)
        contact = blank if state is None else _contact_line(state)
        contact_line = lines["contact"]
        contact_line.text = contact
        if contact_line.display != bool(contact.plain):
            contact_line.display = bool(contact.plain)
        lines["next"].text = blank if state is None else _next_line(state, lang)
        lines["status"].text = blank if state is None else _status_line(state, lang)
        lines["watch"].text = blank if state is None else _watch_line(state, lang)

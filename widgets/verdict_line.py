"""The verdict line under the alert line: is the deploy good, and what to do about it.

Once a deploy (or a rolling batch) is in production the engineer's question is "keep
it or roll it back?". This line answers it in words, with the figure that decided:
Pass says why, Fail recommends the rollback and its key, Inconclusive asks a person.
`V` lists every criterion with its numbers (`VerdictListScreen`). The line is hidden
until there is a deploy to judge. Criterion names come from the config and are drawn
as plain text.
"""

from __future__ import annotations

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

from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.release.verdict import Criterion, Outcome, format_value, format_window
from warroom.services.sanitize import clean
from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import EN, say

ADVICE: dict[Outcome, str] = {
    Outcome.PASS: "",
    Outcome.FAIL: " → roll back: ctrl+r",
    Outcome.INCONCLUSIVE: ": decide, or wait",
}
"""What the engineer should do, after the verdict's words."""

CLASSES: dict[Outcome, str] = {
    Outcome.PASS: "-pass",
    Outcome.FAIL: "-fail",
    Outcome.INCONCLUSIVE: "-inconclusive",
}
"""The CSS class of each outcome: its colours come from the theme."""


def outcome_word(outcome: Outcome, lang: str = EN) -> str:
    """ "Pass", "Fail", "Inconclusive", in `lang`."""
    return say(outcome.value, lang)


def verdict_words(verdict: DeployVerdict, lang: str = EN) -> str:
    """The line's words: "Verdict: Fail · Error rate 9.1% > 5% ... → roll back: ctrl+r"."""
    outcome = verdict.outcome
    word = outcome_word(outcome, lang)
    if verdict.batch is not None:
        head = say("Verdict on batch {batch}: {outcome}", lang).format(
            batch=verdict.batch, outcome=word
        )
    else:
        head = say("Verdict: {outcome}", lang).format(outcome=word)
    advice = say(ADVICE[outcome], lang) if ADVICE[outcome] else ""
    return f"{head} · {clean(verdict.headline)}{advice}"


def _cells(text: str, size: int, right: bool = False) -> str:
    """`text` padded to `size` cells (a Japanese character takes two), never cut."""
    pad = " " * max(0, size - cell_len(text))
    return pad + text if right else text + pad


class VerdictLine(PaintCache, Widget):
    """One line: the deploy verdict, the figure that decided it, and what to do."""

    DEFAULT_CSS = """
    VerdictLine {
        display: none;
        height: 1;
        background: $panel;
        color: $foreground;
        &.-pass { background: $success 25%; }
        &.-inconclusive { background: $warning 30%; text-style: bold; }
        &.-fail { background: $error 45%; text-style: bold; }
    }
    """

    verdict: reactive[DeployVerdict | None] = reactive(None)
    """The verdict on the deploy in production; None hides the line."""

    def __init__(self, *, lang: str = EN, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        """The language of the line's words (the runbook's)."""

    def watch_verdict(self, verdict: DeployVerdict | None) -> None:
        self.display = verdict is not None
        for outcome, name in CLASSES.items():
            self.set_class(verdict is not None and verdict.outcome is outcome, name)

    def render(self) -> Text:
        verdict = self.verdict
        if verdict is None:
            return Text("")
        hint = "  " + say("V: all {n}", self.lang).format(n=len(verdict.criteria)) + " "
        mark = "✗ " if verdict.outcome is Outcome.FAIL else ""
        words = Text(f" {mark}{verdict_words(verdict, self.lang)}", no_wrap=True)
        room = self.size.width - cell_len(hint)
        if words.cell_len > room:
            words.truncate(max(0, room - 1), overflow="ellipsis")
        words.pad_right(max(0, room - words.cell_len))
        return words + Text(hint)


def criterion_row(criterion: Criterion, lang: str = EN) -> Text:
    """One criterion as the list shows it: outcome, name, value against threshold,
    window, samples, then its reason on a second line."""
    unit = criterion.unit
    value = format_value(criterion.value, unit)
    threshold = format_value(criterion.threshold, unit) if criterion.threshold is not None else "–"
    samples = f"{criterion.samples}"
    if criterion.baseline_samples is not None:
        samples += say(" / {n} before", lang).format(n=criterion.baseline_samples)
    critical = "" if criterion.critical else f"  {say('(report only)', lang)}"
    head = (
        f"{_cells(outcome_word(criterion.outcome, lang), 13)}"
        f"{_cells(clean(criterion.name, 40), 28)}"
        f"{value:>12}  vs {threshold:<12}{format_window(criterion.window):>7}"
        f"  {samples:>5} {say('samples', lang)}{critical}"
    )
    return Text(f"{head}\n    {clean(criterion.reason)}")


class VerdictListScreen(ModalScreen[None]):
    """Every criterion of the verdict with its numbers; escape, V or q closes."""

    DEFAULT_CSS = """
    VerdictListScreen {
        align: center middle;
    }
    VerdictListScreen > Vertical {
        width: 95%;
        height: 90%;
        border: thick $accent;
        background: $surface;
    }
    VerdictListScreen .verdict-list-title {
        text-style: bold;
        padding: 0 1;
    }
    VerdictListScreen OptionList {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,V,q", "close", "Close"),
    ]

    def __init__(self, verdict: DeployVerdict | None, lang: str = EN) -> None:
        super().__init__()
        self.verdict = verdict
        self._lang = lang

    def compose(self) -> ComposeResult:
        verdict = self.verdict
        lang = self._lang

        def head(word: str, size: int, right: bool = False) -> str:
            return _cells(say(word, lang), size, right)

        if verdict is None:
            title = say(
                "Verdict: no deploy to judge yet (mark it with D, or run a rolling batch)", lang
            )
            rows = [Text(say("No criteria", lang))]
        else:
            title = f"{verdict_words(verdict, lang)}\n{clean(verdict.verdict.summary())}"
            header = (
                f"{head('outcome', 13)}{head('criterion', 28)}{head('value', 12, True)}"
                f"  vs {head('threshold', 12)}{head('window', 7, True)}  {say('samples', lang)}"
            )
            rows = [Text(header, style="bold")]
            rows += [criterion_row(c, lang) for c in verdict.criteria]
        with Vertical():
            yield Static(title, classes="verdict-list-title", markup=False)
            yield OptionList(*rows)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

"""The verdict line and the criteria list, in a tiny harness app."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import OptionList

from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.release.verdict import (
    EndpointRule,
    MetricRule,
    Outcome,
    combine,
    judge_endpoint,
    judge_threshold,
)
from warroom.widgets.verdict_line import VerdictLine, VerdictListScreen

DEPLOY = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
RULE = MetricRule(threshold=5.0, window=300.0, min_samples=10)


def made(values: list[float], headline: str, batch: int | None = None) -> DeployVerdict:
    criteria = [
        judge_threshold("Error rate", values, 600, RULE, "%"),
        # An endpoint name is config text: shown as written, never as markup.
        judge_endpoint("api [bold]x[/]", [True] * 12, 600, EndpointRule(critical=False)),
    ]
    return DeployVerdict(combine(criteria), 7, DEPLOY, batch, headline)


PASSED = made([1.2] * 30, "Error rate 1.2% < 5% over 5m (30 samples)")
FAILED = made([9.0] * 30, "Error rate 9% > 5% over 5m (30 samples)", batch=2)
UNSURE = made([1.0] * 3, "Error rate: too few samples (3 of 10)")


class LineHarness(App[None]):
    def compose(self) -> ComposeResult:
        yield VerdictLine()


def background(line: VerdictLine) -> Color:
    return line.styles.background


async def test_the_line_says_the_verdict_why_and_what_to_do() -> None:
    app = LineHarness()
    async with app.run_test(size=(100, 3)) as pilot:
        line = app.query_one(VerdictLine)
        assert not line.display  # nothing deployed: no line
        line.verdict = PASSED
        await pilot.pause()
        assert line.display and line.has_class("-pass")
        text = str(line.render())
        assert text.startswith(" Verdict: Pass · Error rate 1.2% < 5% over 5m (30 samples)")
        assert text.rstrip().endswith("V: all 2") and len(text) == 100
        calm = background(line)

        line.verdict = FAILED
        await pilot.pause()
        assert line.has_class("-fail") and not line.has_class("-pass")
        assert str(line.render()).startswith(
            " ✗ Verdict on batch 2: Fail · Error rate 9% > 5% over 5m (30 samples)"
            " → roll back: ctrl+r"
        )
        assert background(line) != calm  # the theme's error colour, from the class

        line.verdict = UNSURE
        await pilot.pause()
        assert line.has_class("-inconclusive") and not line.has_class("-fail")
        assert str(line.render()).startswith(
            " Verdict: Inconclusive · Error rate: too few samples (3 of 10): decide, or wait"
        )
        line.verdict = None
        await pilot.pause()
        assert not line.display


async def test_a_narrow_line_keeps_its_key_hint() -> None:
    app = LineHarness()
    async with app.run_test(size=(40, 3)) as pilot:
        line = app.query_one(VerdictLine)
        line.verdict = FAILED
        await pilot.pause()
        text = str(line.render())
        assert len(text) == 40 and text.rstrip().endswith("V: all 2") and "…" in text


async def test_the_list_has_every_criterion_with_its_numbers_as_plain_text() -> None:
    app = LineHarness()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.push_screen(VerdictListScreen(FAILED))
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        rows = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(rows) == 3  # a header and two criteria
        assert rows[0].split() == ["outcome", "criterion", "value", "vs", "threshold", "window",
                                   "samples"]  # fmt: skip
        assert rows[1].split("\n")[0].split() == [
            "Fail", "Error", "rate", "9%", "vs", "5%", "5m", "30", "samples",
        ]  # fmt: skip
        assert "api [bold]x[/]" in rows[2] and "(report only)" in rows[2]
        assert "Pass" in rows[2] and "100%" in rows[2] and "12 samples" in rows[2]
        await pilot.press("V")
        await pilot.pause()
        assert not isinstance(app.screen, VerdictListScreen)

        await app.push_screen(VerdictListScreen(None))
        await pilot.pause()
        assert Outcome.FAIL.value not in str(app.screen.query_one(OptionList).options[0].prompt)

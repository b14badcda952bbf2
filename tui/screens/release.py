"""The Release screen: the git steps and deploy commands of a hotfix, shown, confirmed, journaled.

A running command must outlive the screen that started it (the engineer goes back to
the dashboard to watch the graphs while production deploys), so the runner, the run in
progress and the rolling plan live in the session's `ReleaseController`; the screen
only shows the controller's state and asks it to act. When the runbook refuses a
command (requirements open, another strategy chosen, gates not holding), the screen
says why and offers the override, which asks for a reason: no dead ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from warroom.services.release.action_argv import ActionError
from warroom.services.release.actions import ActionRun
from warroom.services.release.command_run import ROLLBACK, ROLLING
from warroom.services.release.controller import ReleaseController
from warroom.services.release.git_actions import GIT_ACTIONS, GIT_TITLES, REFRESH_EVERY, plan_for
from warroom.services.release.git_plans import ActionKind, Plan, Refusal
from warroom.services.release.release_info import ReleaseInfo
from warroom.services.sanitize import clean
from warroom.widgets.action_output import ActionOutput
from warroom.widgets.confirm import ConfirmScreen, ReasonScreen, TypedConfirmScreen
from warroom.widgets.key_bar import KeyBar
from warroom.widgets.release_bar import ReleaseBar
from warroom.widgets.words import EN, say


async def ask(app: App[Any], dialog: ModalScreen[bool]) -> bool:
    """Push a confirmation dialog and wait for its answer (from a worker or a handler)."""
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def done(result: bool | None) -> None:
        if not answer.done():
            answer.set_result(bool(result))

    app.push_screen(dialog, done)
    return await answer


async def ask_override(
    app: App[Any], what: str, refusals: Sequence[str], hint: str = "", lang: str = EN
) -> str | None:
    """Show why something was refused and ask for the reason to override; None: keep it.

    Usable from any screen (a gated tick on the dashboard, a command on this one).
    """
    lines = [say("Refused: {reason}", lang).format(reason=clean(r, 300)) for r in refusals]
    if hint:
        lines += ["", hint]
    title = say("Override? {what}", lang).format(what=clean(what, 200))
    reason = await ask_reason(app, ReasonScreen(title, lines, lang=lang))
    return reason


async def ask_reason(app: App[Any], dialog: ModalScreen[str | None]) -> str | None:
    """Push a reason dialog and wait for its answer (from a worker or a handler)."""
    answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def done(result: str | None) -> None:
        if not answer.done():
            answer.set_result(result)

    app.push_screen(dialog, done)
    return await answer


async def rollback_flow(
    app: App[Any], controller: ReleaseController, lang: str = EN
) -> ActionRun | None:
    """Roll production back after the previous version is typed; the last run, or None.

    Usable from any screen (the dashboard's ctrl+r): run it in a worker. The run and
    its journaling (`action.started`, its end, `rollback.finished`) go on if the caller
    goes away.
    """

    def tell(message: str, severity: SeverityLevel = "information") -> None:
        app.notify(message, title=say("Rollback", lang), severity=severity, markup=False)

    refusal = controller.refusal()
    if refusal is not None:
        tell(refusal, "error")
        return None
    if ROLLBACK not in controller.loaded.config.actions.commands:
        tell(say("no [actions.commands.rollback] is configured", lang), "error")
        return None
    info = await controller.refresh_release()
    previous = info.previous_version if info is not None else None
    if previous is None:
        missing = "no previous version is known: there is no version tag to go back to"
        tell(say(missing, lang), "error")
        return None
    values = controller.placeholders()
    prepared = controller.prepare(ROLLBACK, values)
    if isinstance(prepared, ActionError):
        tell(prepared.message, "error")
        return None
    lines = [clean(prepared.description)] if prepared.description else []
    lines.append(f"$ {clean(prepared.line)}")
    title = say("Roll production back to {version}", lang).format(version=previous)
    if not await ask(app, TypedConfirmScreen(title, lines, previous, lang=lang)):
        tell(say("rollback cancelled: nothing ran", lang))
        return None
    refusal = controller.refusal()
    if refusal is not None:
        tell(refusal, "error")
        return None
    task = controller.start(ROLLBACK, values)
    tell(say("rolling back to {version}…", lang).format(version=previous))
    final = await asyncio.shield(task)
    tell(final.status, "information" if final.state == "succeeded" else "error")
    return final


# --- the screen ----------------------------------------------------------------------


def _prompt(title: str, detail: str, lines: list[str], refused: bool = False) -> Text:
    text = Text()
    text.append(title, style="bold")
    if detail:
        text.append(f"  {detail}")
    for line in lines:
        text.append("\n    ")
        text.append(line, style="dim" if not refused else "italic")
    return text


class ReleaseScreen(Screen[None]):
    """The release bar, the git actions and deploy commands, and the running action's output."""

    DEFAULT_CSS = """
    ReleaseScreen #release-notice {
        height: auto;
        padding: 0 1;
        display: none;
    }
    ReleaseScreen #release-notice.-refused {
        display: block;
        color: $error;
        text-style: bold;
    }
    ReleaseScreen #release-body {
        height: 1fr;
    }
    ReleaseScreen #release-actions {
        width: 2fr;
        height: 1fr;
        border: round $panel-lighten-2;
    }
    ReleaseScreen #release-actions OptionList {
        height: 1fr;
    }
    ReleaseScreen ActionOutput {
        width: 3fr;
    }
    ReleaseScreen #release-rolling {
        height: auto;
        padding: 0 1;
    }
    ReleaseScreen #release-rolling.-waiting {
        color: $warning;
    }
    ReleaseScreen #release-rolling.-ready {
        color: $success;
    }
    ReleaseScreen #release-message {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+c", "cancel_action", "Cancel action"),
        Binding("ctrl+r", "rollback", "Roll back"),
        Binding("f5", "refresh", "Refresh git"),
        Binding("o", "focus_output", "Output"),
    ]

    info: reactive[ReleaseInfo | None] = reactive(None)
    """The git snapshot shown in the release bar."""
    run: reactive[ActionRun | None] = reactive(None, always_update=True)
    """The latest snapshot of the action shown in the output pane."""

    def __init__(self, controller: ReleaseController, lang: str = EN) -> None:
        super().__init__()
        self.controller = controller
        self.lang = lang
        """The language of the screen's words (the runbook's); commands stay as written."""
        """The incident session's (`IncidentSession.release`): it outlives this screen."""
        self.config = controller.loaded.config
        self._plans: dict[ActionKind, Plan | Refusal] = {}
        self._prompts: dict[str, str] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._release_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="release-notice", markup=False)
        bar = ReleaseBar().data_bind(info=ReleaseScreen.info)
        bar.set_reactive(ReleaseBar.lang, self.lang)
        yield bar
        with Horizontal(id="release-body"):
            with Vertical(id="release-actions") as actions:
                actions.border_title = self.say("Actions · enter: review, then confirm")
                yield OptionList(*self._options(), id="release-list")
                yield Static("", id="release-rolling", markup=False)
                yield Static("", id="release-message", markup=False)
            yield ActionOutput(lang=self.lang).data_bind(run=ReleaseScreen.run)
        yield KeyBar(lang=self.lang)

    def on_mount(self) -> None:
        self.query_one("#release-list", OptionList).focus()
        self._unsubscribe = self.controller.subscribe(self._sync)
        self._sync()
        self._release_timers = [
            self.set_interval(REFRESH_EVERY, self.action_refresh),
            self.set_interval(1.0, self._show_rolling),
        ]
        self.action_refresh()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for timer in self._release_timers:
            timer.stop()

    # --- what is shown ---------------------------------------------------------------

    def say(self, text: str, **fields: object) -> str:
        """A fixed UI word or template in the screen's language, its fields filled."""
        words = say(text, self.lang)
        return words.format(**fields) if fields else words

    def _sync(self) -> None:
        """The controller changed: show its state."""
        if not self.query("#release-message"):
            return  # closing: a read that ended meanwhile has nothing left to show on
        controller = self.controller
        self.info = controller.release
        if controller.run is not None and controller.run is not self.run:
            self.run = controller.run
        self.query_one("#release-message", Static).update(controller.message)
        self._show_rolling()
        self._show_notice()

    def _show_notice(self) -> None:
        refusal = self.controller.runner.refusal()
        if refusal == "another action is still running":
            refusal = None
        notice = self.query_one("#release-notice", Static)
        notice.update(self.say("Actions disabled: {reason}", reason=refusal) if refusal else "")
        notice.set_class(refusal is not None, "-refused")

    def _show_rolling(self) -> None:
        rolling = self.query_one("#release-rolling", Static)
        plan = self.controller.rolling
        rolling.display = plan is not None
        if plan is None:
            return
        now = self.controller.clock.monotonic()
        line = self.say(
            "Rolling deploy: {progress} · {waiting}",
            progress=plan.progress,
            waiting=plan.waiting_for(now),
        )
        if plan.gates and plan.done > 0 and not plan.complete:
            current = self.controller.gates()
            marks = ", ".join(f"{g} {'✓' if current.get(g, False) else '✗'}" for g in plan.gates)
            hold = f"{plan.gate_for:.0f}"
            line += "\n" + self.say(
                "Gates (must hold {seconds}s): {marks}", seconds=hold, marks=marks
            )
            if not plan.running and not plan.offer_next(now) and plan.failed is None:
                line += f"  · {self.say('enter: override with a reason')}"
        rolling.update(line)
        rolling.set_class(plan.offer_next(now), "-ready")
        rolling.set_class(not plan.offer_next(now) and not plan.complete, "-waiting")
        self._update_option(f"cmd:{ROLLING}")

    def _options(self) -> list[Option]:
        options = [
            Option(self._git_prompt(kind, title), id=f"git:{kind}") for kind, title in GIT_ACTIONS
        ]
        options += [
            Option(self._command_prompt(name), id=f"cmd:{name}")
            for name in self.config.actions.commands
        ]
        return options

    def _git_prompt(self, kind: ActionKind, title: str) -> Text:
        plan = self._plans.get(kind)
        title = self.say(title)
        if self.config.git is None:
            return _prompt(title, "", [self.say("no [git] section configured")], refused=True)
        if plan is None:
            return _prompt(title, "", [self.say("reading git…")], refused=True)
        if isinstance(plan, Refusal):
            unavailable = self.say("unavailable: {reason}", reason=plan.message)
            return _prompt(title, "", [unavailable], refused=True)
        return _prompt(title, "", [clean(line) for line in plan.lines])

    def _command_prompt(self, name: str) -> Text:
        command = self.config.actions.commands[name]
        batch: int | None = None
        detail = clean(command.description, 200)
        plan = self.controller.rolling
        if name == ROLLING and plan is not None:
            batch = plan.next_batch
            detail = f"{detail}  ({plan.progress})".strip()
        prepared = self.controller.prepare(name, self.controller.placeholders(batch))
        if isinstance(prepared, ActionError):
            return _prompt(clean(name, 100), detail, [prepared.message], refused=True)
        guard = self.controller.guard(name) if name != ROLLBACK else ()
        lines = [f"$ {clean(prepared.line)}"]
        override = self.say("enter: override with a reason")
        lines += [f"⊘ {clean(reason, 300)} ({override})" for reason in guard]
        return _prompt(clean(name, 100), detail, lines)

    def _update_option(self, option_id: str) -> None:
        options = self.query_one("#release-list", OptionList)
        kind, _, name = option_id.partition(":")
        if kind == "git" and name in GIT_TITLES:
            prompt = self._git_prompt(*GIT_TITLES[name])
        elif name in self.config.actions.commands:
            prompt = self._command_prompt(name)
        else:
            return
        if self._prompts.get(option_id) != prompt.plain:
            self._prompts[option_id] = prompt.plain
            options.replace_option_prompt(option_id, prompt)

    def _refresh_options(self) -> None:
        for option in self.query_one("#release-list", OptionList).options:
            if option.id is not None:
                self._update_option(option.id)

    def _say(self, message: str, severity: SeverityLevel = "information") -> None:
        self.controller.message = message
        self.query_one("#release-message", Static).update(message)
        self.notify(message, severity=severity, markup=False)

    # --- keys ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.run_worker(self._refresh(), group="release-refresh", exclusive=True)

    async def _refresh(self) -> None:
        info = await self.controller.refresh_release()
        if info is not None:
            kinds = [kind for kind, _ in GIT_ACTIONS]
            plans = await asyncio.gather(*(asyncio.to_thread(plan_for, k, info) for k in kinds))
            self._plans = dict(zip(kinds, plans, strict=True))
        self._refresh_options()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cancel_action(self) -> None:
        if self.controller.cancel():
            self._say(
                self.say(
                    "cancelling: SIGINT sent to it and all it started (then SIGTERM, SIGKILL)"
                ),
                "warning",
            )

    def on_action_output_cancel_requested(self, message: ActionOutput.CancelRequested) -> None:
        message.stop()
        self.action_cancel_action()

    def action_focus_output(self) -> None:
        self.query_one(ActionOutput).focus()

    def action_rollback(self) -> None:
        self.run_worker(self._rollback(), group="release-flow", exclusive=False)

    async def _rollback(self) -> None:
        await rollback_flow(self.app, self.controller, self.lang)

    @on(OptionList.OptionSelected, "#release-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        kind, _, name = option_id.partition(":")
        refusal = self.controller.refusal()
        if refusal is not None:
            self._say(self.say("Refused: {reason}", reason=refusal), "error")
            return
        if kind == "git" and name in GIT_TITLES:
            self.run_worker(self._git_flow(GIT_TITLES[name][0]), group="release-flow")
        elif name == ROLLBACK:
            self.action_rollback()
        else:
            self.run_worker(self._command_flow(name), group="release-flow")

    async def _git_flow(self, kind: ActionKind) -> None:
        plan = await self.controller.plan(kind)
        if isinstance(plan, Refusal):
            self._say(self.say("Refused: {reason}", reason=plan.message), "error")
            return
        lines = [clean(line) for line in plan.lines]
        title = clean(plan.summary).capitalize()
        dialog = ConfirmScreen(title, lines, self.say("Run"), lang=self.lang)
        if not await ask(self.app, dialog):
            self._say(self.say("Cancelled: nothing ran."))
            return
        result = await asyncio.shield(self.controller.start_git(plan))
        self._say(result.message, "information" if result.ok else "error")

    async def _command_flow(self, name: str) -> None:
        await self.controller.refresh_release()
        batch: int | None = None
        plan = self.controller.rolling
        title = self.say("Run {name}", name=name)
        if name == ROLLING and plan is not None:
            if plan.complete:
                done = self.say(
                    "The rolling deploy is complete: {progress}.", progress=plan.progress
                )
                self._say(done)
                return
            batch = plan.next_batch
            again = " again (it failed)" if plan.failed is not None else ""
            title = self.say(
                f"Deploy batch {{batch}}/{{total}}{again}", batch=batch, total=plan.total
            )
        values = self.controller.placeholders(batch)
        prepared = self.controller.prepare(name, values)
        if isinstance(prepared, ActionError):
            self._say(self.say("Refused: {reason}", reason=prepared.message), "error")
            return
        refusals = self.controller.guard(name)
        if refusals:
            # The procedure says no; a person may still say yes, with a reason on record.
            # The record says what in English, whatever the screen's language.
            version = values.get("version") or ""
            if batch is None:
                what = f"run {name} {version}".strip()
                shown = self.say("run {name} {version}", name=name, version=version).strip()
            else:
                what = f"Deploy batch {batch}/{plan.total if plan else batch}{again}"
                shown = title
            reason = await ask_override(
                self.app,
                shown,
                refusals,
                self.say("Type why, or esc to leave it refused."),
                self.lang,
            )
            if reason is None:
                self._say(self.say("Refused: {reason}", reason="; ".join(refusals)), "warning")
                return
            if not await self.controller.override(what, refusals, reason):
                self._say(self.say("Refused: the override could not be journaled"), "error")
                return
        lines = [clean(prepared.description)] if prepared.description else []
        lines.append(f"$ {clean(prepared.line)}")
        dialog = ConfirmScreen(clean(title), lines, self.say("Run"), lang=self.lang)
        if not await ask(self.app, dialog):
            self._say(self.say("Cancelled: nothing ran."))
            return
        refusal = self.controller.refusal()
        if refusal is not None:
            self._say(self.say("Refused: {reason}", reason=refusal), "error")
            return
        self.controller.start(name, values)
        self.query_one(ActionOutput).focus()

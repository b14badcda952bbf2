"""An endpoint's state in words, one wording for the table, projector, alerts and report.

The words say what the hysteresis is holding back ("UP · 1 of 3 failing · 500") and
when the state cannot be trusted (FLAPPING), so no view has to colour-code it.
"""

from __future__ import annotations

from dataclasses import dataclass

from warroom.services.health.status import EndpointStatus, ProbeState, Reason


@dataclass(frozen=True)
class StateWords:
    """An endpoint's state as every view says it: the table, the projector, alerts, report.

    `key` names the state for styling and glyphs ("up", "down", "flapping", ...);
    `word` is the headline ("UP", "FLAPPING"); `detail` what qualifies it
    ("1 of 3 failing · 500"). One function (`state_words`) makes them, so two views of
    the same endpoint can never disagree.
    """

    key: str
    word: str
    detail: str = ""

    @property
    def text(self) -> str:
        """ "UP · 1 of 3 failing · 500", or just "UP"."""
        return f"{self.word} · {self.detail}" if self.detail else self.word


def _failure_detail(status: EndpointStatus) -> str:
    """What the latest failure was: the HTTP code when it answered, else the reason."""
    if status.status_code is not None and (status.reason is Reason.STATUS or not status.reason):
        return str(status.status_code)
    if status.reason is not None:
        return status.reason.value
    return ""


def state_words(status: EndpointStatus) -> StateWords:
    """The one wording of an endpoint's state, with what the hysteresis is holding back.

    An endpoint still UP under its failure threshold says so ("UP · 1 of 3 failing ·
    500"), one DOWN but passing again says how far it is from UP, and one whose state
    changed again and again in the window reads FLAPPING, with what it is right now.
    """
    state = status.state
    failure = _failure_detail(status)
    if status.flapping and state in (ProbeState.UP, ProbeState.WARN, ProbeState.DOWN):
        now = f"now {state.word}" + (
            f" · {failure}" if state is ProbeState.DOWN and failure else ""
        )
        return StateWords("flapping", "FLAPPING", f"{now} · {status.recent_flaps} changes")
    if state in (ProbeState.UP, ProbeState.WARN) and status.fail_streak > 0:
        failing = f"{status.fail_streak} of {status.failure_threshold} failing"
        return StateWords(state.value, state.word, " · ".join(p for p in (failing, failure) if p))
    if state is ProbeState.DOWN:
        parts = [failure] if failure else []
        if status.ok_streak > 0:
            parts.append(f"{status.ok_streak} of {status.success_threshold} passing")
        return StateWords("down", "DOWN", " · ".join(parts))
    if state is ProbeState.WARN and status.reason is not None:
        return StateWords("warn", "WARN", status.reason.value)
    return StateWords(state.value, state.word)

"""The checklist's state, derived by replaying journal events; never stored.

Every process reading the same journal folds the same events into the same
`RunbookState`, so two terminals on one incident show one checklist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from warroom.services.events import (
    ACTION_FINISHED,
    CHOICE_MADE,
    ITEM_DONE,
    ITEM_NA,
    ITEM_NOTE,
    ITEM_UNDONE,
)
from warroom.services.journal.format import by_seq
from warroom.services.journal.store import Event
from warroom.services.runbook.steps import Choice, Item, Phase, Runbook
from warroom.services.sanitize import clean

ItemStatus = Literal["open", "done", "na"]

RUNBOOK_KINDS = frozenset(
    {ITEM_DONE, ITEM_UNDONE, ITEM_NOTE, ITEM_NA, CHOICE_MADE, ACTION_FINISHED}
)
"""The journal event kinds the replay reads; every other kind passes it by."""


@dataclass(frozen=True)
class Note:
    """A note someone added to an item."""

    text: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ItemState:
    """An item with what the journal says about it."""

    item: Item
    status: ItemStatus = "open"
    by: str = ""
    """Who last changed the status."""
    at: datetime | None = None
    reason: str = ""
    """Why it is not applicable (status "na")."""
    notes: tuple[Note, ...] = ()
    gated: bool = False
    """Its requirements (or its phase's) are not yet met."""

    @property
    def note(self) -> str:
        """The latest note, or ""."""
        return self.notes[-1].text if self.notes else ""


@dataclass(frozen=True)
class ChoiceState:
    """A choice and the option picked, if any."""

    choice: Choice
    selected: str | None = None
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class PhaseState:
    """A phase with its items' states and progress."""

    phase: Phase
    items: tuple[ItemState, ...]
    choice: ChoiceState | None = None
    unmet: tuple[str, ...] = ()
    """Requirements not yet complete; non-empty means the phase is gated."""

    @property
    def done(self) -> int:
        return sum(1 for s in self.items if s.status == "done")

    @property
    def na(self) -> int:
        return sum(1 for s in self.items if s.status == "na")

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def finished(self) -> int:
        """Items done or not applicable: the progress numerator (3 of 3/5)."""
        return self.done + self.na

    @property
    def complete(self) -> bool:
        return self.finished == self.total

    @property
    def gated(self) -> bool:
        return bool(self.unmet)


@dataclass(frozen=True)
class RunbookState:
    """The checklist as the journal has it: what is done, by whom, and what is next."""

    runbook: Runbook
    phases: tuple[PhaseState, ...]
    orphaned: tuple[ItemState, ...] = ()
    """Items named by events but missing from this runbook, kept so nothing is lost."""
    orphan_events: tuple[Event, ...] = ()
    """Every runbook event naming an unknown item, choice or option."""
    last_seq: int = 0
    """The last event that changed the checklist (0 before any)."""

    @property
    def current(self) -> int | None:
        """Index of the first incomplete phase, or None when all are complete."""
        for index, phase in enumerate(self.phases):
            if not phase.complete:
                return index
        return None

    @property
    def finished(self) -> int:
        return sum(p.finished for p in self.phases)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.phases)

    def item(self, item_id: str) -> ItemState | None:
        """The state of `item_id`, orphaned ones included."""
        for phase in self.phases:
            for state in phase.items:
                if state.item.id == item_id:
                    return state
        for state in self.orphaned:
            if state.item.id == item_id:
                return state
        return None

    def open_items(self) -> list[tuple[PhaseState, ItemState]]:
        """Every item still open, in runbook order."""
        return [(p, s) for p in self.phases for s in p.items if s.status == "open"]


@dataclass
class _Mutable:
    status: ItemStatus = "open"
    by: str = ""
    at: datetime | None = None
    reason: str = ""
    notes: list[Note] = field(default_factory=list)


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key, "")
    return clean(value if isinstance(value, str) else str(value), 2000)


def replay(runbook: Runbook, events: Sequence[Event]) -> RunbookState:
    """Fold journal events, in seq order, into the checklist state. Pure."""
    replayer = Replayer(runbook)
    replayer.feed(sorted(events, key=by_seq))
    return replayer.state()


class Replayer:
    """The checklist fold kept between batches: `feed` new events, take `state()`.

    A session feeds each event once, as it arrives, so its cost does not grow with
    the journal; `replay` is the same fold over a whole journal at once.
    """

    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook
        self._known = {item.id for phase in runbook.phases for item in phase.items}
        self._performs: dict[str, list[str]] = {}
        for phase in runbook.phases:
            for item in phase.items:
                if item.action is not None:
                    self._performs.setdefault(item.action, []).append(item.id)
        self._choices = {p.choice.id: p.choice for p in runbook.phases if p.choice is not None}
        self._items: dict[str, _Mutable] = {}
        self._orphan_order: list[str] = []
        self._picked: dict[str, tuple[str, str, datetime]] = {}
        self._orphan_events: list[Event] = []
        self.last_seq = 0
        self._changed_seq = 0
        """The last event folded in that concerned the checklist."""
        self._state: RunbookState | None = None
        """The last `state()`, handed out again while no checklist event came."""

    def feed(self, events: Iterable[Event]) -> None:
        """Fold `events` in, in the order given (the journal's: by seq)."""
        items, picked, orphan_events = self._items, self._picked, self._orphan_events
        for event in events:
            self.last_seq = max(self.last_seq, event.seq)
            if event.kind not in RUNBOOK_KINDS:
                continue
            self._changed_seq = event.seq
            payload = event.payload
            if event.kind == ACTION_FINISHED:
                # A successful run of a command ticks the items it performs (open ones
                # only: an item someone marked N/A stays N/A).
                if payload.get("state") == "succeeded":
                    for item_id in self._performs.get(str(payload.get("name", "")), ()):
                        done = items.setdefault(item_id, _Mutable())
                        if done.status == "open":
                            done.status, done.by, done.at = "done", event.actor, event.at
                continue
            if event.kind == CHOICE_MADE:
                choice = self._choices.get(str(payload.get("choice", "")))
                option = str(payload.get("option", ""))
                if choice is None or option not in {o.id for o in choice.options}:
                    orphan_events.append(event)
                    continue
                picked[choice.id] = (option, event.actor, event.at)
                continue
            item_id = str(payload.get("item", ""))
            if item_id not in self._known:
                orphan_events.append(event)
                if item_id not in self._orphan_order:
                    self._orphan_order.append(item_id)
            state = items.setdefault(item_id, _Mutable())
            if event.kind == ITEM_DONE:
                state.status, state.by, state.at, state.reason = "done", event.actor, event.at, ""
                if _text(payload, "note").strip():
                    state.notes.append(Note(_text(payload, "note"), event.actor, event.at))
            elif event.kind == ITEM_UNDONE:
                state.status, state.by, state.at, state.reason = "open", event.actor, event.at, ""
            elif event.kind == ITEM_NA:
                state.status, state.by, state.at = "na", event.actor, event.at
                state.reason = _text(payload, "reason")
            elif event.kind == ITEM_NOTE and _text(payload, "text").strip():
                state.notes.append(Note(_text(payload, "text"), event.actor, event.at))

    def state(self) -> RunbookState:
        """The checklist as fed so far (a frozen value: later feeds do not change it).

        While only other events (alerts, health, escalation) came, it is the same value
        as last time: a screen redraws the checklist only when the checklist changed.
        """
        kept = self._state
        if kept is not None and kept.last_seq == self._changed_seq:
            return kept
        self._state = self._fold()
        return self._state

    def _fold(self) -> RunbookState:
        runbook, items, picked = self.runbook, self._items, self._picked
        orphan_order, orphan_events, last_seq = (
            self._orphan_order,
            self._orphan_events,
            self._changed_seq,
        )

        def frozen(item: Item, phase: Phase | None) -> ItemState:
            state = items.get(item.id, _Mutable())
            status, by, at, reason = state.status, state.by, state.at, state.reason
            if phase is not None and phase.choice is not None and item.option is not None:
                chosen = picked.get(phase.choice.id)
                if chosen is not None and chosen[0] != item.option and status == "open":
                    status, by, at = "na", chosen[1], chosen[2]
                    reason = f"{phase.choice.title}: {phase.choice.label(chosen[0])}"
            return ItemState(item, status, by, at, reason, tuple(state.notes))

        draft = [(phase, [frozen(item, phase) for item in phase.items]) for phase in runbook.phases]
        finished_items = {
            s.item.id for _, states in draft for s in states if s.status in ("done", "na")
        }
        complete_phases = {
            phase.id for phase, states in draft if all(s.item.id in finished_items for s in states)
        }

        def unmet(refs: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(r for r in refs if r not in finished_items and r not in complete_phases)

        phases: list[PhaseState] = []
        for phase, states in draft:
            phase_unmet = unmet(phase.requires)
            gated_states = tuple(
                ItemState(
                    s.item,
                    s.status,
                    s.by,
                    s.at,
                    s.reason,
                    s.notes,
                    gated=bool(phase_unmet or unmet(s.item.requires)),
                )
                for s in states
            )
            choice_state = None
            if phase.choice is not None:
                chosen = picked.get(phase.choice.id)
                choice_state = (
                    ChoiceState(phase.choice, chosen[0], chosen[1], chosen[2])
                    if chosen
                    else ChoiceState(phase.choice)
                )
            phases.append(PhaseState(phase, gated_states, choice_state, phase_unmet))
        orphaned = tuple(frozen(Item(id=i, text=i), None) for i in orphan_order)
        return RunbookState(runbook, tuple(phases), orphaned, tuple(orphan_events), last_seq)

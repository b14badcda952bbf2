"""The runbook's shape: phases of checklist items, choices and guidance, in one language.

These frozen values are what the schema (`schema.py`) builds from TOML and what the
replay (`replay.py`), the report and the widgets read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Lang = Literal["en", "ja"]
"""The languages a runbook is written in."""

BUILTIN_NAME = "hotfix.toml"
"""The file name of the built-in runbook, also its `source`."""


@dataclass(frozen=True)
class Item:
    """One thing to do or check; `commands` is reference text to copy, never run here."""

    id: str
    text: str
    commands: str = ""
    requires: tuple[str, ...] = ()
    """Phase or item ids that must be complete first."""
    option: str | None = None
    """The option of the phase's choice this item belongs to, if any."""
    action: str | None = None
    """The `[actions]` command that performs it: a successful run ticks the item."""
    marks_deploy: bool = False
    """Ticking it means production now runs the hotfix: the deploy is marked."""


@dataclass(frozen=True)
class ChoiceOption:
    """One alternative of a choice (Blue-Green, Rolling)."""

    id: str
    label: str


@dataclass(frozen=True)
class Choice:
    """Alternatives within a phase: choosing one makes the others' items not applicable."""

    id: str
    title: str
    options: tuple[ChoiceOption, ...]

    def label(self, option_id: str | None) -> str:
        """The label of `option_id`, or the id itself when unknown."""
        for option in self.options:
            if option.id == option_id:
                return option.label
        return option_id or ""


@dataclass(frozen=True)
class Phase:
    """One numbered step of the runbook."""

    id: str
    title: str
    items: tuple[Item, ...]
    requires: tuple[str, ...] = ()
    choice: Choice | None = None


@dataclass(frozen=True)
class Guidance:
    """Text shown with the runbook but not ticked: best practices, notes, escalation."""

    id: str
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Runbook:
    """A whole runbook in one language."""

    id: str
    title: str
    lang: Lang
    phases: tuple[Phase, ...]
    guidance: tuple[Guidance, ...] = ()
    summary: str = ""
    source: str = BUILTIN_NAME

    def item(self, item_id: str) -> Item | None:
        """The item with `item_id`, or None when this runbook has no such item."""
        return self._items_by_id.get(item_id)

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        # The report looks up an item for each of thousands of events.
        index: dict[str, Item] = {}
        for phase in self.phases:
            for item in phase.items:
                index.setdefault(item.id, item)
        return index

    @property
    def item_count(self) -> int:
        """How many items all phases hold."""
        return sum(len(phase.items) for phase in self.phases)

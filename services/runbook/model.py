"""The runbook: phases of checklist items, loaded from TOML, and its state as a replay.

The built-in runbook is the hotfix deploy procedure (`services/runbook/hotfix.toml`) in
English and Japanese; a team can point `runbook.path` at its own file with the same
schema. The state of the checklist is never stored: `replay` derives it from journal
events, so every process reading the same journal shows the same checklist.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from warroom.services.config import ConfigError, LoadedConfig
from warroom.services.events import ACTION_FINISHED as ACTION_FINISHED  # re-exported
from warroom.services.events import CHOICE_MADE as CHOICE_MADE
from warroom.services.events import ITEM_DONE as ITEM_DONE
from warroom.services.events import ITEM_NA as ITEM_NA
from warroom.services.events import ITEM_NOTE as ITEM_NOTE
from warroom.services.events import ITEM_UNDONE as ITEM_UNDONE
from warroom.services.journal.store import Event
from warroom.services.sanitize import clean, clean_block

Lang = Literal["en", "ja"]
ItemStatus = Literal["open", "done", "na"]

RUNBOOK_KINDS = frozenset(
    {ITEM_DONE, ITEM_UNDONE, ITEM_NOTE, ITEM_NA, CHOICE_MADE, ACTION_FINISHED}
)

BUILTIN_NAME = "hotfix.toml"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


# --- the model -------------------------------------------------------------------


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


# --- language ----------------------------------------------------------------------


def choose_language(configured: str | None, env: Mapping[str, str] | None = None) -> Lang:
    """`runbook.lang` if set, else Japanese when LANG starts with "ja", else English."""
    if configured in ("en", "ja"):
        return "ja" if configured == "ja" else "en"
    env = os.environ if env is None else env
    return "ja" if env.get("LANG", "").lower().startswith("ja") else "en"


# --- loading -----------------------------------------------------------------------


class _Reader:
    """Walks raw TOML data and raises one-line `ConfigError`s naming the key path."""

    def __init__(self, file: str, lang: Lang) -> None:
        self.file = file
        self.lang = lang

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(self.file, path, problem)

    def table(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        return value

    def keys(self, data: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
        known = set(allowed)
        for key in data:
            if key not in known:
                raise self.fail(f"{path}.{key}" if path else key, "unknown key")

    def text(self, data: Mapping[str, Any], path: str, name: str, required: bool = True) -> str:
        """`name_<lang>`, else `name`, else the other language's text."""
        other = "ja" if self.lang == "en" else "en"
        for key in (f"{name}_{self.lang}", name, f"{name}_{other}"):
            if key in data:
                value = data[key]
                if not isinstance(value, str) or not value.strip():
                    raise self.fail(f"{path}.{key}", "must be a non-empty string")
                return clean(value.strip(), 2000)
        if required:
            raise self.fail(f"{path}.{name}", "missing required key")
        return ""

    def ident(self, data: Mapping[str, Any], path: str) -> str:
        if "id" not in data:
            raise self.fail(f"{path}.id", "missing required key")
        value = data["id"]
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(f"{path}.id", f"must be letters, digits, . _ : - (got {value!r})")
        return value

    def strings(self, data: Mapping[str, Any], path: str, name: str) -> tuple[str, ...]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{path}.{name}", "must be a list of strings")
        return tuple(value)

    def lines(self, data: Mapping[str, Any], path: str) -> tuple[str, ...]:
        other = "ja" if self.lang == "en" else "en"
        for key in (f"lines_{self.lang}", "lines", f"lines_{other}"):
            if key in data:
                return tuple(clean(line, 2000) for line in self.strings(data, path, key))
        return ()

    def tables(self, data: Mapping[str, Any], path: str, name: str) -> list[dict[str, Any]]:
        value = data.get(name, [])
        if not isinstance(value, list):
            raise self.fail(f"{path}.{name}" if path else name, "must be an array of tables")
        where = f"{path}.{name}" if path else name
        return [self.table(v, f"{where}[{i}]") for i, v in enumerate(value, start=1)]


_TEXT_KEYS = ("{}", "{}_en", "{}_ja")


def _text_keys(*names: str) -> list[str]:
    return [pattern.format(name) for name in names for pattern in _TEXT_KEYS]


def parse_runbook(raw: Mapping[str, Any], file: str, lang: Lang) -> Runbook:
    """Validate parsed TOML into a `Runbook` in `lang`, or raise a one-line ConfigError."""
    r = _Reader(file, lang)
    r.keys(raw, "", ["id", "phase", "guidance", *_text_keys("title", "summary")])
    runbook_id = str(raw.get("id", Path(file).stem))
    title = r.text(raw, "", "title", required=False) or runbook_id
    summary = r.text(raw, "", "summary", required=False)
    raw_phases = r.tables(raw, "", "phase")
    if not raw_phases:
        raise r.fail("phase", "a runbook needs at least one [[phase]]")
    phase_ids: dict[str, str] = {}
    item_ids: dict[str, str] = {}
    phases: list[Phase] = []
    pending: list[tuple[str, tuple[str, ...]]] = []
    for p_index, raw_phase in enumerate(raw_phases, start=1):
        p_path = f"phase[{p_index}]"
        r.keys(raw_phase, p_path, ["id", "item", "requires", "choice", *_text_keys("title")])
        phase_id = r.ident(raw_phase, p_path)
        if phase_id in phase_ids or phase_id in item_ids:
            raise r.fail(f"{p_path}.id", f"duplicate id {phase_id!r}")
        phase_ids[phase_id] = p_path
        phase_title = r.text(raw_phase, p_path, "title")
        choice = _parse_choice(r, raw_phase, p_path)
        requires = r.strings(raw_phase, p_path, "requires")
        pending.append((f"{p_path}.requires", requires))
        raw_items = r.tables(raw_phase, p_path, "item")
        if not raw_items:
            raise r.fail(f"{p_path}.item", "a phase needs at least one [[phase.item]]")
        items: list[Item] = []
        for i_index, raw_item in enumerate(raw_items, start=1):
            i_path = f"{p_path}.item[{i_index}]"
            r.keys(
                raw_item,
                i_path,
                [
                    "id",
                    "commands",
                    "requires",
                    "option",
                    "action",
                    "marks_deploy",
                    *_text_keys("text"),
                ],
            )
            item_id = r.ident(raw_item, i_path)
            if item_id in item_ids or item_id in phase_ids:
                raise r.fail(f"{i_path}.id", f"duplicate id {item_id!r}")
            item_ids[item_id] = i_path
            commands = raw_item.get("commands", "")
            if not isinstance(commands, str):
                raise r.fail(f"{i_path}.commands", "must be a string")
            option = raw_item.get("option")
            if option is not None:
                if choice is None:
                    raise r.fail(f"{i_path}.option", "the phase has no [phase.choice]")
                if option not in {o.id for o in choice.options}:
                    raise r.fail(f"{i_path}.option", f"no option {option!r} in {choice.id!r}")
            action = raw_item.get("action")
            if action is not None and (not isinstance(action, str) or not action):
                raise r.fail(f"{i_path}.action", "must be the name of an [actions] command")
            marks_deploy = raw_item.get("marks_deploy", False)
            if not isinstance(marks_deploy, bool):
                raise r.fail(f"{i_path}.marks_deploy", "must be true or false")
            item_requires = r.strings(raw_item, i_path, "requires")
            pending.append((f"{i_path}.requires", item_requires))
            items.append(
                Item(
                    id=item_id,
                    text=r.text(raw_item, i_path, "text"),
                    commands=clean_block(commands.strip("\n")),
                    requires=item_requires,
                    option=option,
                    action=action,
                    marks_deploy=marks_deploy,
                )
            )
        phases.append(
            Phase(
                id=phase_id,
                title=phase_title,
                items=tuple(items),
                requires=requires,
                choice=choice,
            )
        )
    for where, refs in pending:
        for ref in refs:
            if ref not in phase_ids and ref not in item_ids:
                raise r.fail(where, f"no phase or item {ref!r}")
            if (
                where.startswith(phase_ids.get(ref, "\0") + ".")
                or where == f"{item_ids.get(ref)}.requires"
            ):
                raise r.fail(where, f"{ref!r} cannot require itself or its own phase")
    guidance: list[Guidance] = []
    for g_index, raw_guide in enumerate(r.tables(raw, "", "guidance"), start=1):
        g_path = f"guidance[{g_index}]"
        r.keys(raw_guide, g_path, ["id", *_text_keys("title", "lines")])
        guidance.append(
            Guidance(
                id=r.ident(raw_guide, g_path),
                title=r.text(raw_guide, g_path, "title"),
                lines=r.lines(raw_guide, g_path),
            )
        )
    return Runbook(
        id=runbook_id,
        title=title,
        lang=lang,
        phases=tuple(phases),
        guidance=tuple(guidance),
        summary=summary,
        source=file,
    )


def _parse_choice(r: _Reader, raw_phase: Mapping[str, Any], p_path: str) -> Choice | None:
    if "choice" not in raw_phase:
        return None
    c_path = f"{p_path}.choice"
    data = r.table(raw_phase["choice"], c_path)
    r.keys(data, c_path, ["id", "options", *_text_keys("title")])
    options: list[ChoiceOption] = []
    for o_index, raw_option in enumerate(r.tables(data, c_path, "options"), start=1):
        o_path = f"{c_path}.options[{o_index}]"
        r.keys(raw_option, o_path, ["id", *_text_keys("label")])
        options.append(
            ChoiceOption(id=r.ident(raw_option, o_path), label=r.text(raw_option, o_path, "label"))
        )
    if len(options) < 2:
        raise r.fail(f"{c_path}.options", "a choice needs at least two options")
    return Choice(
        id=r.ident(data, c_path), title=r.text(data, c_path, "title"), options=tuple(options)
    )


def load_runbook_text(text: str, file: str, lang: Lang) -> Runbook:
    """Parse runbook TOML text; syntax errors become the one-line ConfigError."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "", f"TOML syntax error: {exc}") from None
    return parse_runbook(raw, file, lang)


def builtin_runbook(lang: Lang = "en") -> Runbook:
    """The hotfix deploy runbook shipped with warroom."""
    text = resources.files("warroom.services.runbook").joinpath(BUILTIN_NAME).read_text("utf-8")
    return load_runbook_text(text, BUILTIN_NAME, lang)


def load_runbook(path: Path | None, lang: Lang, shown: str | None = None) -> Runbook:
    """The runbook at `path` (the built-in one when None), in `lang`."""
    if path is None:
        return builtin_runbook(lang)
    label = shown or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(label, "", "runbook file not found") from None
    except IsADirectoryError:
        raise ConfigError(label, "", "is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(label, "", "permission denied") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(label, "", f"not UTF-8 text (byte {exc.start})") from None
    return load_runbook_text(text, label, lang)


def runbook_for(loaded: LoadedConfig, env: Mapping[str, str] | None = None) -> Runbook:
    """The runbook a config asks for (`runbook.path`, `runbook.lang`)."""
    section = loaded.config.runbook
    lang = choose_language(section.lang, env)
    if section.path is None:
        return builtin_runbook(lang)
    return load_runbook(loaded.resolve(section.path), lang, section.path)


# --- state: the replay -------------------------------------------------------------


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
    known = {item.id for phase in runbook.phases for item in phase.items}
    performs: dict[str, list[str]] = {}
    for phase in runbook.phases:
        for item in phase.items:
            if item.action is not None:
                performs.setdefault(item.action, []).append(item.id)
    choices = {p.choice.id: p.choice for p in runbook.phases if p.choice is not None}
    items: dict[str, _Mutable] = {}
    orphan_order: list[str] = []
    picked: dict[str, tuple[str, str, datetime]] = {}
    orphan_events: list[Event] = []
    last_seq = 0
    for event in sorted(events, key=lambda e: e.seq):
        last_seq = max(last_seq, event.seq)
        if event.kind not in RUNBOOK_KINDS:
            continue
        payload = event.payload
        if event.kind == ACTION_FINISHED:
            # A successful run of a command ticks the items it performs (open ones only:
            # an item someone marked N/A stays N/A).
            if payload.get("state") == "succeeded":
                for item_id in performs.get(str(payload.get("name", "")), ()):
                    done = items.setdefault(item_id, _Mutable())
                    if done.status == "open":
                        done.status, done.by, done.at = "done", event.actor, event.at
            continue
        if event.kind == CHOICE_MADE:
            choice = choices.get(str(payload.get("choice", "")))
            option = str(payload.get("option", ""))
            if choice is None or option not in {o.id for o in choice.options}:
                orphan_events.append(event)
                continue
            picked[choice.id] = (option, event.actor, event.at)
            continue
        item_id = str(payload.get("item", ""))
        if item_id not in known:
            orphan_events.append(event)
            if item_id not in orphan_order:
                orphan_order.append(item_id)
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

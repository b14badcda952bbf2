"""The runbook file's schema in pydantic, and its translation into a `Runbook`.

A runbook file is checked in two passes, like `warroom.toml`: pydantic checks each
table on its own (types, unknown keys, ids, non-empty text), then `build_runbook`
checks what spans tables (unique ids, `requires` that name something, an item's
`option` among its phase's choice) while choosing the text of one language. Every
mistake is one `ConfigError` line, `warroom: <file>: <key.path>: <problem>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from warroom.services.config import ConfigError, key_path
from warroom.services.config.errors import problem_of
from warroom.services.runbook.steps import (
    Choice,
    ChoiceOption,
    Guidance,
    Item,
    Lang,
    Phase,
    Runbook,
)
from warroom.services.sanitize import clean, clean_block

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_TEXT_LIMIT = 2000


def _ident(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"must be letters, digits, . _ : - (got {value!r})")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


Ident = Annotated[str, AfterValidator(_ident)]
"""An id journal events refer to: letters, digits, . _ : - and no spaces."""

Text = Annotated[str, AfterValidator(_non_empty)]
"""Prose shown to people; blank text would leave an empty line on the dashboard."""


class _Table(BaseModel):
    # strict: TOML already has types, so 1 is never the text "1" and "yes" never true.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class OptionSchema(_Table):
    """`options = [{id, label}]`: one alternative of a choice."""

    id: Ident
    label: Text | None = None
    label_en: Text | None = None
    label_ja: Text | None = None


class ChoiceSchema(_Table):
    """`[phase.choice]`: alternatives within a phase (Blue-Green or Rolling)."""

    id: Ident
    title: Text | None = None
    title_en: Text | None = None
    title_ja: Text | None = None
    options: list[OptionSchema] = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _two_or_more(cls, value: list[OptionSchema]) -> list[OptionSchema]:
        if len(value) < 2:
            raise ValueError("a choice needs at least two options")
        return value


class ItemSchema(_Table):
    """`[[phase.item]]`: one thing to do or check."""

    id: Ident
    text: Text | None = None
    text_en: Text | None = None
    text_ja: Text | None = None
    commands: str = ""
    """Reference text to copy; may name `{production_tag}`, `{version}` and the like."""
    requires: list[str] = Field(default_factory=list)
    option: str | None = None
    action: str | None = None
    marks_deploy: bool = False

    @field_validator("action")
    @classmethod
    def _named(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("must be the name of an [actions] command")
        return value


class PhaseSchema(_Table):
    """`[[phase]]`: one numbered step of the runbook."""

    id: Ident
    title: Text | None = None
    title_en: Text | None = None
    title_ja: Text | None = None
    requires: list[str] = Field(default_factory=list)
    choice: ChoiceSchema | None = None
    item: list[ItemSchema] = Field(default_factory=list, validate_default=True)

    @field_validator("item")
    @classmethod
    def _has_items(cls, value: list[ItemSchema]) -> list[ItemSchema]:
        if not value:
            raise ValueError("a phase needs at least one [[phase.item]]")
        return value


class GuidanceSchema(_Table):
    """`[[guidance]]`: text shown beside the checklist, never ticked."""

    id: Ident
    title: Text | None = None
    title_en: Text | None = None
    title_ja: Text | None = None
    lines: list[str] | None = None
    lines_en: list[str] | None = None
    lines_ja: list[str] | None = None


class RunbookSchema(_Table):
    """A whole runbook file."""

    id: str | None = None
    title: Text | None = None
    title_en: Text | None = None
    title_ja: Text | None = None
    summary: Text | None = None
    summary_en: Text | None = None
    summary_ja: Text | None = None
    phase: list[PhaseSchema] = Field(default_factory=list, validate_default=True)
    guidance: list[GuidanceSchema] = Field(default_factory=list)

    @field_validator("phase")
    @classmethod
    def _has_phases(cls, value: list[PhaseSchema]) -> list[PhaseSchema]:
        if not value:
            raise ValueError("a runbook needs at least one [[phase]]")
        return value


# --- pydantic's errors as runbook problems -------------------------------------------

_ARRAYS_OF_TABLES = frozenset({"phase", "item", "guidance", "options"})
_STRING_LISTS = frozenset({"requires", "lines", "lines_en", "lines_ja"})
_TEXTS = frozenset({"title", "text", "label", "summary"})


def _problem(error: Mapping[str, Any]) -> tuple[tuple[int | str, ...], str]:
    """Where and what, in the words a runbook author knows ("array of tables", not "list")."""
    loc = tuple(error["loc"])
    kind = str(error.get("type", ""))
    keys = [part for part in loc if isinstance(part, str)]
    last = keys[-1] if keys else ""
    if last in _STRING_LISTS:
        # An element's error is the list's: "requires[2]" would point inside one line.
        while loc and isinstance(loc[-1], int):
            loc = loc[:-1]
        return loc, "must be a list of strings"
    if (
        kind in ("list_type", "too_short")
        and last in _ARRAYS_OF_TABLES
        and not isinstance(loc[-1], int)
    ):
        return loc, "must be an array of tables"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, "must be a table"
    if kind == "bool_type":
        return loc, "must be true or false"
    if kind == "string_type":
        base = last.removesuffix("_en").removesuffix("_ja")
        if base in _TEXTS:
            return loc, "must be a non-empty string"
        if last == "id":
            return loc, f"must be letters, digits, . _ : - (got {error.get('input')!r})"
        return loc, "must be a string"
    return loc, problem_of(error)


def _first(exc: ValidationError) -> Mapping[str, Any]:
    # An unknown key is reported before anything else: a misspelt `tittle` explains
    # the "missing title" that follows from it.
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def validate_schema(raw: Mapping[str, Any], file: str) -> RunbookSchema:
    """Parsed TOML checked table by table, or the one-line `ConfigError` of its first mistake."""
    try:
        return RunbookSchema.model_validate(raw)
    except ValidationError as exc:
        loc, problem = _problem(_first(exc))
        raise ConfigError(file, key_path(loc), problem) from None


# --- from the schema to a Runbook in one language ------------------------------------


class _Builder:
    """Picks one language's text and checks what spans tables, failing with key paths."""

    def __init__(self, file: str, lang: Lang) -> None:
        self.file = file
        self.lang = lang
        self.other: Lang = "ja" if lang == "en" else "en"

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(self.file, path, problem)

    def text(self, table: BaseModel, path: str, name: str, required: bool = True) -> str:
        """`name_<lang>`, else `name`, else the other language's text."""
        for key in (f"{name}_{self.lang}", name, f"{name}_{self.other}"):
            value = getattr(table, key)
            if value is not None:
                return clean(value.strip(), _TEXT_LIMIT)
        if required:
            raise self.fail(f"{path}.{name}" if path else name, "missing required key")
        return ""

    def lines(self, guide: GuidanceSchema) -> tuple[str, ...]:
        for key in (f"lines_{self.lang}", "lines", f"lines_{self.other}"):
            value: list[str] | None = getattr(guide, key)
            if value is not None:
                return tuple(clean(line, _TEXT_LIMIT) for line in value)
        return ()

    def choice(self, data: ChoiceSchema, path: str) -> Choice:
        options = tuple(
            ChoiceOption(id=o.id, label=self.text(o, f"{path}.options[{n}]", "label"))
            for n, o in enumerate(data.options, start=1)
        )
        return Choice(id=data.id, title=self.text(data, path, "title"), options=options)


def build_runbook(schema: RunbookSchema, file: str, lang: Lang) -> Runbook:
    """A validated schema as a `Runbook` in `lang`, after the checks across tables."""
    b = _Builder(file, lang)
    runbook_id = schema.id if schema.id is not None else Path(file).stem
    phase_ids: dict[str, str] = {}
    item_ids: dict[str, str] = {}
    pending: list[tuple[str, tuple[str, ...]]] = []
    phases: list[Phase] = []
    for p_index, raw_phase in enumerate(schema.phase, start=1):
        p_path = f"phase[{p_index}]"
        if raw_phase.id in phase_ids or raw_phase.id in item_ids:
            raise b.fail(f"{p_path}.id", f"duplicate id {raw_phase.id!r}")
        phase_ids[raw_phase.id] = p_path
        title = b.text(raw_phase, p_path, "title")
        choice = b.choice(raw_phase.choice, f"{p_path}.choice") if raw_phase.choice else None
        pending.append((f"{p_path}.requires", tuple(raw_phase.requires)))
        items: list[Item] = []
        for i_index, raw_item in enumerate(raw_phase.item, start=1):
            i_path = f"{p_path}.item[{i_index}]"
            if raw_item.id in item_ids or raw_item.id in phase_ids:
                raise b.fail(f"{i_path}.id", f"duplicate id {raw_item.id!r}")
            item_ids[raw_item.id] = i_path
            option = raw_item.option
            if option is not None:
                if choice is None:
                    raise b.fail(f"{i_path}.option", "the phase has no [phase.choice]")
                if option not in {o.id for o in choice.options}:
                    raise b.fail(f"{i_path}.option", f"no option {option!r} in {choice.id!r}")
            pending.append((f"{i_path}.requires", tuple(raw_item.requires)))
            items.append(
                Item(
                    id=raw_item.id,
                    text=b.text(raw_item, i_path, "text"),
                    commands=clean_block(raw_item.commands.strip("\n")),
                    requires=tuple(raw_item.requires),
                    option=option,
                    action=raw_item.action,
                    marks_deploy=raw_item.marks_deploy,
                )
            )
        phases.append(
            Phase(
                id=raw_phase.id,
                title=title,
                items=tuple(items),
                requires=tuple(raw_phase.requires),
                choice=choice,
            )
        )
    for where, refs in pending:
        for ref in refs:
            if ref not in phase_ids and ref not in item_ids:
                raise b.fail(where, f"no phase or item {ref!r}")
            # A phase may not wait on itself, nor an item on itself or its own phase:
            # neither could ever be met.
            if (
                where.startswith(phase_ids.get(ref, "\0") + ".")
                or where == f"{item_ids.get(ref)}.requires"
            ):
                raise b.fail(where, f"{ref!r} cannot require itself or its own phase")
    guidance = tuple(
        Guidance(
            id=guide.id,
            title=b.text(guide, f"guidance[{g_index}]", "title"),
            lines=b.lines(guide),
        )
        for g_index, guide in enumerate(schema.guidance, start=1)
    )
    return Runbook(
        id=runbook_id,
        title=b.text(schema, "", "title", required=False) or runbook_id,
        lang=lang,
        phases=tuple(phases),
        guidance=guidance,
        summary=b.text(schema, "", "summary", required=False),
        source=file,
    )


def parse_runbook(raw: Mapping[str, Any], file: str, lang: Lang) -> Runbook:
    """Validate parsed TOML into a `Runbook` in `lang`, or raise a one-line ConfigError."""
    return build_runbook(validate_schema(raw, file), file, lang)

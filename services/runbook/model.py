"""The runbook: phases of checklist items, loaded from TOML, and its state as a replay.

The built-in runbook is the hotfix deploy procedure (`services/runbook/hotfix.toml`) in
English and Japanese; a team can point `runbook.path` at its own file with the same
schema. The state of the checklist is never stored: `replay` derives it from journal
events, so every process reading the same journal shows the same checklist.

This module is the runbook's one import point; the parts live beside it: `steps`
(the shape), `schema` (the file's pydantic schema), `loader` (which file, which
language), `replay` (the state) and `placeholders` (commands filled with versions).
"""

from __future__ import annotations

from warroom.services.events import ACTION_FINISHED as ACTION_FINISHED
from warroom.services.events import CHOICE_MADE as CHOICE_MADE
from warroom.services.events import ITEM_DONE as ITEM_DONE
from warroom.services.events import ITEM_NA as ITEM_NA
from warroom.services.events import ITEM_NOTE as ITEM_NOTE
from warroom.services.events import ITEM_UNDONE as ITEM_UNDONE
from warroom.services.runbook.loader import builtin_runbook as builtin_runbook
from warroom.services.runbook.loader import choose_language as choose_language
from warroom.services.runbook.loader import load_runbook as load_runbook
from warroom.services.runbook.loader import load_runbook_text as load_runbook_text
from warroom.services.runbook.loader import runbook_for as runbook_for
from warroom.services.runbook.replay import RUNBOOK_KINDS as RUNBOOK_KINDS
from warroom.services.runbook.replay import ChoiceState as ChoiceState
from warroom.services.runbook.replay import ItemState as ItemState
from warroom.services.runbook.replay import ItemStatus as ItemStatus
from warroom.services.runbook.replay import Note as Note
from warroom.services.runbook.replay import PhaseState as PhaseState
from warroom.services.runbook.replay import RunbookState as RunbookState
from warroom.services.runbook.replay import replay as replay
from warroom.services.runbook.schema import parse_runbook as parse_runbook
from warroom.services.runbook.steps import BUILTIN_NAME as BUILTIN_NAME
from warroom.services.runbook.steps import Choice as Choice
from warroom.services.runbook.steps import ChoiceOption as ChoiceOption
from warroom.services.runbook.steps import Guidance as Guidance
from warroom.services.runbook.steps import Item as Item
from warroom.services.runbook.steps import Lang as Lang
from warroom.services.runbook.steps import Phase as Phase
from warroom.services.runbook.steps import Runbook as Runbook

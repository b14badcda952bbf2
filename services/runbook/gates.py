"""What a runbook item or a deploy command waits for, named as a person reads it.

A gate written as ids (`p10.db-backup`) means nothing on the projector; these pure
functions turn the unmet requirements of the replayed checklist into phase numbers
and titles ("phase 8: Staging deployment and validation"), and say when a command
belongs to a strategy other than the one chosen (Blue-Green vs Rolling).
"""

from __future__ import annotations

from warroom.services.runbook.model import Item, Phase, RunbookState

_PHASE_WORD = {"en": "phase", "ja": "フェーズ"}


def phase_label(state: RunbookState, phase_id: str) -> str:
    """`phase 8: Staging deployment and validation` (the phase's place and title)."""
    for number, phase_state in enumerate(state.phases, start=1):
        if phase_state.phase.id == phase_id:
            word = _PHASE_WORD.get(state.runbook.lang, "phase")
            return f"{word} {number}: {phase_state.phase.title}"
    return phase_id


def ref_label(state: RunbookState, ref: str) -> str:
    """A requirement (a phase or an item id) in words: its title, or its text and phase."""
    for phase_state in state.phases:
        if phase_state.phase.id == ref:
            return phase_label(state, ref)
        for item_state in phase_state.items:
            if item_state.item.id == ref:
                return f"“{item_state.item.text}” ({phase_label(state, phase_state.phase.id)})"
    return ref


def unmet(state: RunbookState, refs: tuple[str, ...]) -> tuple[str, ...]:
    """The requirements among `refs` that are not complete yet (ids, in order)."""
    finished = {s.item.id for p in state.phases for s in p.items if s.status in ("done", "na")}
    complete = {p.phase.id for p in state.phases if p.complete}
    return tuple(r for r in refs if r not in finished and r not in complete)


def _locate(state: RunbookState, item_id: str) -> tuple[Phase, Item] | None:
    for phase_state in state.phases:
        for item_state in phase_state.items:
            if item_state.item.id == item_id:
                return phase_state.phase, item_state.item
    return None


def item_waits(state: RunbookState, item_id: str) -> tuple[str, ...]:
    """What must be complete before `item_id` may be ticked, in words; () when nothing."""
    found = _locate(state, item_id)
    if found is None:
        return ()
    phase, item = found
    refs = tuple(dict.fromkeys((*phase.requires, *item.requires)))
    return tuple(f"waits for {ref_label(state, ref)}" for ref in unmet(state, refs))


def phase_waits(state: RunbookState, phase_id: str) -> tuple[str, ...]:
    """The phase's own unmet requirements, in words (what its gated line shows)."""
    for phase_state in state.phases:
        if phase_state.phase.id == phase_id:
            return tuple(ref_label(state, ref) for ref in phase_state.unmet)
    return ()


def command_refusals(state: RunbookState, command: str) -> tuple[str, ...]:
    """Why the runbook does not want the `[actions]` command `command` run now.

    Two rules: the items the command performs must have their requirements complete;
    and once a strategy is chosen, a command of another option is refused, as is a
    deploy command outside the chosen option when that option deploys with its own
    command (Rolling deploys in batches, so the one-shot `production` is not its way).
    """
    reasons: list[str] = []
    for phase_state in state.phases:
        for item_state in phase_state.items:
            if item_state.item.action == command:
                reasons.extend(item_waits(state, item_state.item.id))
    for phase_state in state.phases:
        choice = phase_state.choice
        if choice is None or choice.selected is None:
            continue
        chosen = choice.choice.label(choice.selected)
        owners = {
            s.item.action: s.item.option
            for s in phase_state.items
            if s.item.action is not None and s.item.option is not None
        }
        own_commands = {a for a, option in owners.items() if option == choice.selected}
        if command in owners and owners[command] != choice.selected:
            other = choice.choice.label(owners[command])
            reasons.append(f"{choice.choice.title} is {chosen}: `{command}` is the {other} way")
        elif command not in owners and own_commands and _deploys(state, command):
            way = ", ".join(f"`{a}`" for a in sorted(own_commands))
            reasons.append(f"{choice.choice.title} is {chosen}: deploy with {way}, not `{command}`")
    return tuple(dict.fromkeys(reasons))


def _deploys(state: RunbookState, command: str) -> bool:
    """Whether a successful run of `command` puts the hotfix in production."""
    return any(
        s.item.action == command and s.item.marks_deploy for p in state.phases for s in p.items
    )

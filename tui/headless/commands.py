"""The headless subcommands: `check`, `tail`, `report` and `journal`, for scripts and CI.

They share the dashboard's services; nothing here draws a screen. `report` and
`journal check` only read the journal (they never create, change or repair it);
`journal recover` is the one explicit way to rebuild a damaged journal from a shell.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from warroom.services.clock import SystemClock
from warroom.services.config import ConfigError, LoadedConfig
from warroom.services.journal.backend import journal_name, read_incident
from warroom.services.journal.format import describe_damaged
from warroom.services.journal.readers import recover_journal
from warroom.services.journal.report import build_report, render_json, render_markdown
from warroom.services.journal.store import Event, JournalError, JournalMissing, journal_path
from warroom.services.redact import mask
from warroom.services.release.git import read_release_sync
from warroom.services.release.release_info import release_to_json
from warroom.services.runbook.model import runbook_for
from warroom.tui.headless.check import exit_code, format_table, report_to_json, run_check
from warroom.tui.headless.tail import tail


def run_check_command(loaded: LoadedConfig, *, as_json: bool, watch: float = 0.0) -> int:
    """Probe every endpoint and metric once (or for `watch` seconds): 0 when all is UP."""
    config = loaded.config
    report = asyncio.run(run_check(config, watch=watch))
    code = exit_code(report)
    if as_json:
        document = report_to_json(report)
        if config.git is not None:
            info = read_release_sync(config.git, loaded.resolve(config.git.repo))
            document["git"] = release_to_json(info)
            if info.error:
                code = max(code, 1)
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(format_table(report))
    return code


def run_tail_command(
    files: list[str], *, config: str | None, filter_expr: str | None, lines: int
) -> int:
    """Follow the logs to stdout until interrupted (130 on ctrl+c, like other tools)."""
    try:
        return asyncio.run(tail(files, config_path=config, filter_expr=filter_expr, lines=lines))
    except KeyboardInterrupt:
        return 130


EXIT_JOURNAL = 1
"""The journal cannot be read (damaged, unreadable, missing when it must exist)."""


def _say(message: str) -> None:
    print(f"warroom: {message}", file=sys.stderr)


def run_report_command(loaded: LoadedConfig, *, fmt: str, output: str | None) -> int:
    """Write the incident report from the journal (every item open if never opened).

    A damaged or unreadable journal is one line on stderr and exit 1, never the report
    of an empty incident; damaged events are listed in the report, the rest is shown.
    """
    config = loaded.config
    clock = SystemClock()
    path = journal_name(loaded)
    events: list[Event] = []
    try:
        events = read_incident(loaded)
    except JournalMissing:
        _say(f"journal {path}: does not exist (the incident was never opened): every item is open")
    except JournalError as exc:
        _say(str(exc))
        return EXIT_JOURNAL
    if any(e.damaged for e in events):
        _say(f"journal {path}: {describe_damaged(events)}: the report shows the rest")
    report = build_report(config.incident, runbook_for(loaded), events, clock.now())
    # Events are masked as they are journaled; config strings reach the report too.
    text = mask(render_json(report) if fmt == "json" else render_markdown(report))
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(output, "", f"cannot write the report: {exc.strerror}") from None
    return 0


def run_journal_command(loaded: LoadedConfig, *, action: str) -> int:
    """`journal check`: is the journal sound (0) or not (1); `journal recover`: move a
    damaged journal aside and rebuild it from its readable events, saying what was lost."""
    path = journal_path(loaded.state_dir, loaded.config.incident.id)
    if action == "check":
        try:
            events = read_incident(loaded)
        except JournalError as exc:
            _say(str(exc))
            return EXIT_JOURNAL
        if any(e.damaged for e in events):
            _say(f"journal {journal_name(loaded)}: {describe_damaged(events)}")
            return EXIT_JOURNAL
        print(f"warroom: journal {journal_name(loaded)}: sound, {len(events)} events")
        return 0
    try:
        recovery = recover_journal(path, SystemClock())
    except JournalError as exc:
        _say(str(exc))
        return EXIT_JOURNAL
    if recovery is None:
        print(f"warroom: journal {path}: sound, nothing to recover")
    else:
        print(f"warroom: {recovery.message}")
    return 0

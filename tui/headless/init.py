"""`warroom init`: write a commented `warroom.toml` for the repository it runs in.

From flags (`--url`, `--log`, `--prometheus`), or from a few questions when run in
a terminal without them; with neither it writes a minimal config and says what to
add. Each thing named is looked at once and reported in one line; the config is
validated by the real loader before it is written, and an existing one is never
replaced without `--force`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from warroom.services.clock import Clock, SystemClock
from warroom.services.config import DEFAULT_NAME, ConfigError, parse_config
from warroom.services.release.survey import TagSurvey, survey_tags
from warroom.services.sanitize import clean, describe, first_unsafe
from warroom.services.starter.look import look
from warroom.services.starter.plan import StarterPlan, incident_id, written_path
from warroom.services.starter.render import render_starter

EXIT_OK = 0
EXIT_REFUSED = 1
"""The config exists (no `--force`), or it could not be written."""
EXIT_USAGE = 2
"""A bad flag or answer: one line naming it."""

_URL = re.compile(r"https?://[^/\s?#]+[^\s]*")


class UsageError(Exception):
    """A bad flag value, said in one line naming the flag."""


class _Parser(argparse.ArgumentParser):
    """argparse with errors in one line (`warroom: init: ...`), never the usage dump."""

    def error(self, message: str) -> NoReturn:
        print(f"warroom: init: {message} (see warroom init --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def parser() -> argparse.ArgumentParser:
    """The flags of `warroom init`."""
    p = _Parser(
        prog="warroom init",
        description="Write a commented warroom.toml for the git repository here, "
        "probing each URL once. Without flags, in a terminal, it asks.",
    )
    p.add_argument(
        "--url", action="append", default=[], metavar="URL", help="an endpoint (repeatable)"
    )
    p.add_argument(
        "--log", action="append", default=[], metavar="PATH", help="a log file (repeatable)"
    )
    p.add_argument("--prometheus", metavar="URL", help="a Prometheus /metrics page")
    p.add_argument("--output", metavar="PATH", help=f"write here (default ./{DEFAULT_NAME})")
    p.add_argument("--force", action="store_true", help="replace an existing config")
    return p


@dataclass
class Answers:
    """What to watch, from the flags or the questions."""

    urls: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    prometheus: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing given: the minimal config."""
        return not (self.urls or self.logs or self.prometheus)


def check_url(flag: str, value: str) -> str:
    """`value` if it is an http(s) URL a config can hold, else a `UsageError` naming `flag`."""
    bad = first_unsafe(value)
    if bad is not None:
        raise UsageError(f"{flag} {clean(value)!r}: control character {describe(bad)}")
    if not _URL.fullmatch(value):
        raise UsageError(f"{flag} {value!r}: not an http:// or https:// URL")
    return value


def check_log(value: str) -> str:
    """`value` if it can name a log file, else a `UsageError`."""
    bad = first_unsafe(value)
    if bad is not None:
        raise UsageError(f"--log {clean(value)!r}: control character {describe(bad)}")
    if not value:
        raise UsageError("--log '': an empty path")
    if Path(os.path.expanduser(value)).is_dir():
        raise UsageError(f"--log {value!r}: a directory, not a log file")
    return value


def checked(answers: Answers) -> Answers:
    """Every value checked, or the first `UsageError`."""
    return Answers(
        urls=[check_url("--url", u) for u in answers.urls],
        logs=[check_log(p) for p in answers.logs],
        prometheus=(
            check_url("--prometheus", answers.prometheus)
            if answers.prometheus is not None
            else None
        ),
    )


Ask = Callable[[str], str]
"""`input`, or a stand-in: shows a prompt, returns the line typed."""


def _ask_many(ask: Ask, prompt: str, check: Callable[[str], str], most: int = 0) -> list[str]:
    """Answers until an empty one (or `most` of them); a bad answer is said and asked again."""
    values: list[str] = []
    while not most or len(values) < most:
        try:
            line = ask(prompt).strip()
        except EOFError:
            break
        if not line:
            break
        try:
            values.append(check(line))
        except UsageError as exc:
            print(f"  {exc}; try again (or an empty answer)")
    return values


def ask_questions(ask: Ask) -> Answers:
    """The three questions of an interactive `warroom init`; empty answers skip."""
    print("warroom init: a few questions (an empty answer skips or finishes one).")
    urls = _ask_many(ask, "Endpoint URL to probe (empty when done): ", _url("--url"))
    logs = _ask_many(ask, "Log file to follow (empty when done): ", check_log)
    prompt = "Prometheus /metrics URL (empty for none): "
    prometheus = _ask_many(ask, prompt, _url("--prometheus"), most=1)
    return Answers(urls, logs, prometheus[0] if prometheus else None)


def _url(flag: str) -> Callable[[str], str]:
    return lambda value: check_url(flag, value)


def _target(output: str | None) -> Path:
    target = Path(os.path.expanduser(output)) if output else Path.cwd() / DEFAULT_NAME
    if not target.parent.is_dir():
        raise UsageError(f"--output {str(target)!r}: no such folder {str(target.parent)!r}")
    if target.is_dir():
        raise UsageError(f"--output {str(target)!r}: a folder; name the file to write")
    return target


def _write(target: Path, text: str, force: bool) -> None:
    """Write `text` to `target`: created exclusively, or (with force) replaced atomically."""
    if not force:
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
        return
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def build_plan(answers: Answers, target: Path, survey: TagSurvey, clock: Clock) -> StarterPlan:
    """Look at everything named and gather what the config will say."""
    config_dir = target.parent
    logs = [Path(os.path.expanduser(p)) for p in answers.logs]
    found = asyncio.run(look(answers.urls, logs, answers.prometheus, config_dir, clock))
    now = clock.now()
    repo = written_path(survey.repo_dir, config_dir) if survey.repo_dir is not None else None
    title = f"Hotfix of {survey.repo_dir.name}" if survey.repo_dir is not None else "Hotfix"
    return StarterPlan(
        written_at=now,
        incident_id=incident_id(now),
        title=title,
        survey=survey,
        repo=repo,
        endpoints=found.endpoints,
        logs=found.logs,
        prometheus=found.prometheus,
    )


def findings(plan: StarterPlan) -> list[str]:
    """One line per thing looked at, as printed."""
    lines: list[str] = []
    survey = plan.survey
    if survey.repo_dir is None:
        lines.append("git: no repository here ([git] left as a commented example)")
    elif survey.error is not None:
        lines.append(f"git: {survey.repo_dir}: {survey.error}")
    else:
        count = len(survey.tags)
        tags = f"{count} version tag{'s' if count != 1 else ''}"
        prod = f"production {survey.production}" if survey.production else "no release tag yet"
        left = (
            f" ({', '.join(survey.prereleases)} left out: pre-release)"
            if survey.prereleases
            else ""
        )
        lines.append(f"git: {survey.repo_dir}: {tags}; {prod}{left}")
    for endpoint in plan.endpoints:
        extra = "" if endpoint.reachable else "; written, commented as unreachable"
        lines.append(f"{endpoint.url}: {endpoint.finding}{extra}")
    for log in plan.logs:
        lines.append(f"{log.shown}: {log.finding}")
    if plan.prometheus is not None:
        page = plan.prometheus
        extra = "" if page.reachable else "; written, commented as unreachable"
        lines.append(f"{page.url}: {page.finding}{extra}")
    return [clean(line, 2000) for line in lines]


def run_init(
    argv: Sequence[str],
    *,
    ask: Ask | None = None,
    interactive: bool | None = None,
    clock: Clock | None = None,
) -> int:
    """`warroom init [flags]`: the exit status (0 written, 1 refused, 2 bad flag)."""
    args = parser().parse_args(list(argv))
    answers = Answers(args.url, args.log, args.prometheus)
    tty = sys.stdin.isatty() if interactive is None else interactive
    try:
        target = _target(args.output)
        shown = args.output or DEFAULT_NAME
        if target.exists() and not args.force:
            print(
                f"warroom: init: {shown} already exists; pass --force to replace it, "
                "or --output PATH",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        if answers.empty and tty:
            answers = ask_questions(ask or input)
        answers = checked(answers)
    except UsageError as exc:
        print(f"warroom: init: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\nwarroom: init: stopped; nothing written", file=sys.stderr)
        return 130
    clock = clock or SystemClock()
    try:
        survey = survey_tags(Path.cwd())
        plan = build_plan(answers, target, survey, clock)
    except KeyboardInterrupt:
        print("warroom: init: stopped while looking; nothing written", file=sys.stderr)
        return 130
    text = render_starter(plan)
    # What is written must load: a config init writes and the loader refuses is a bug,
    # and it is caught here rather than on the next `warroom`.
    try:
        parse_config(text, shown)
    except ConfigError as exc:
        print(f"warroom: init: the config to write does not load: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        _write(target, text, args.force)
    except FileExistsError:
        print(f"warroom: init: {shown} appeared meanwhile; nothing replaced", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        problem = clean(exc.strerror or str(exc), 300)
        print(f"warroom: init: {shown}: cannot write: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    for line in findings(plan):
        print(line)
    if plan.minimal:
        print(
            f"wrote {shown}: a minimal config. Add what to watch: [[endpoint]], [[log]] and "
            "[[metric]] (or run warroom init --force --url URL --log PATH --prometheus URL)"
        )
    else:
        print(f"wrote {shown}: check it with `warroom config --validate`, then run `warroom`")
    return EXIT_OK

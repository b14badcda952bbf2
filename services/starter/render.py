"""The commented `warroom.toml` that `warroom init` writes, from its findings.

Every value is written through `toml_value` and every comment through `comment`, so
nothing found outside (a URL, a tag, a probe's answer) can change the file's meaning.
A section init could not fill is written as a commented example, so the file always
says what to add next.
"""

from __future__ import annotations

from warroom.services.config.toml_text import TomlValue, comment, toml_key, toml_value
from warroom.services.starter.plan import (
    EndpointPlan,
    LogPlan,
    MetricPlan,
    PrometheusPlan,
    StarterPlan,
)

MAX_TAGS_LISTED = 30
"""Tags named in the comment above `[git]`; the rest are counted."""


def _key(key: str, value: TomlValue, note: str = "") -> str:
    line = f"{toml_key(key)} = {toml_value(value)}"
    return f"{line}  {comment(note)}" if note else line


def render_starter(plan: StarterPlan) -> str:
    """The whole config text, ending in a newline."""
    when = plan.written_at.strftime("%Y-%m-%d %H:%M UTC")
    where = str(plan.survey.repo_dir) if plan.survey.repo_dir else "this folder"
    lines = [
        comment(f"warroom.toml, written by `warroom init` on {when} for {where}."),
        "# Check it with `warroom config --validate`; open the dashboard with `warroom`.",
        "# Every section and key is documented in examples/warroom.toml (warroom's source).",
        "",
        "# One incident = one journal, kept in state_dir beside this file: give the next",
        "# incident its own id.",
        "[incident]",
        _key("id", plan.incident_id),
        _key("title", plan.title),
        _key("severity", "SEV2", "SEV1 (worst) to SEV4"),
        _key("state_dir", ".warroom"),
        "",
    ]
    lines += _endpoints(plan.endpoints)
    lines += _logs(plan.logs)
    lines += _metrics(plan.prometheus)
    lines += _git(plan)
    return "\n".join(lines).rstrip("\n") + "\n"


def _endpoints(endpoints: tuple[EndpointPlan, ...]) -> list[str]:
    if not endpoints:
        return [
            "# Health: add the URLs production answers on (`warroom init --url URL` writes them).",
            "# [[endpoint]]",
            '# name = "api health"',
            '# url = "https://api.example.com/health"',
            "",
        ]
    lines: list[str] = []
    for endpoint in endpoints:
        if endpoint.reachable:
            lines.append(comment(f"Probed by warroom init: {endpoint.finding}."))
        else:
            why = endpoint.finding.removeprefix("unreachable ")
            lines.append(comment(f"UNREACHABLE when warroom init probed it {why}."))
            lines.append("# Written anyway: fix the URL, or expect it DOWN until it answers.")
        lines += [
            "[[endpoint]]",
            _key("name", endpoint.name),
            _key("url", endpoint.url),
            _key("interval", "5s", "how often it is probed"),
            _key("timeout", "2s", "an answer later than this is a failure"),
        ]
        if endpoint.health_json:
            lines.append(_key("health_json", True, 'application/health+json: its "status" counts'))
        lines.append("")
    return lines


def _logs(logs: tuple[LogPlan, ...]) -> list[str]:
    if not logs:
        return [
            "# Error log: add the files to follow (`warroom init --log PATH` writes them).",
            "# [[log]]",
            '# name = "error.log"',
            '# path = "/var/log/app/error.log"',
            "",
        ]
    lines: list[str] = []
    for log in logs:
        lines += [
            comment(f"{log.shown}: {log.finding}."),
            "[[log]]",
            _key("name", log.name),
            _key("path", log.path, "followed like tail -F: rotation and truncation survive"),
            _key("filter", "", "words (all must match), /regex/, -exclude"),
            "",
        ]
    return lines


def _example_metric(url: str) -> list[str]:
    return [
        "# [[metric]]",
        '# name = "Requests/s"',
        '# source = "prometheus"',
        comment(f"url = {toml_value(url)}", limit=4000),
        '# metric = "http_requests_total"',
        "# rate = true",
        '# unit = "/s"',
        "",
    ]


def _metrics(prometheus: PrometheusPlan | None) -> list[str]:
    if prometheus is None:
        return [
            "# Metrics: add figures to graph (`warroom init --prometheus URL` picks them from",
            "# a /metrics page; psutil, JSON, log and health sources are in the example).",
            *_example_metric("https://api.example.com/metrics"),
        ]
    if not prometheus.reachable or not prometheus.metrics:
        return [
            comment(f"Prometheus at {prometheus.url}: {prometheus.finding}."),
            "# Nothing to graph was found there yet; name its figures like this:",
            *_example_metric(prometheus.url),
        ]
    lines = [comment(f"Prometheus at {prometheus.url}: {prometheus.finding}.")]
    if prometheus.others:
        lines.append("# Also exposed there (add a [[metric]] to graph one):")
        lines += [comment(f"  {other}") for other in prometheus.others]
    lines.append("")
    for metric in prometheus.metrics:
        lines += _metric(metric)
    return lines


def _metric(metric: MetricPlan) -> list[str]:
    lines = [comment(metric.note)] if metric.note else []
    lines += ["[[metric]]", _key("name", metric.name)]
    lines += [_key(key, value) for key, value in metric.keys]
    return [*lines, ""]


def _git(plan: StarterPlan) -> list[str]:
    survey = plan.survey
    if survey.repo_dir is None or plan.repo is None:
        return [
            "# Release: no git repository here. Point [git] at the service's repository for",
            "# the release bar (production tag, next version, blast radius):",
            "# [git]",
            '# repo = "path/to/repo"',
        ]
    lines = [comment(f"Release: the git repository {survey.repo_dir}.")]
    if survey.error is not None:
        lines.append(comment(f"It could not be read when warroom init ran: {survey.error}"))
    shown = survey.tags[-MAX_TAGS_LISTED:]
    if survey.tags:
        more = len(survey.tags) - len(shown)
        listed = ", ".join(shown)
        head = f"Version tags found ({len(survey.tags)}, lowest first)"
        lines.append(comment(f"{head}: {'... ' if more else ''}{listed}", limit=4000))
    else:
        lines.append(comment(f"No version tags matching {survey.pattern} yet."))
    if survey.production is not None:
        lines.append(
            comment(
                "Production, as the release bar shows it (the highest release; "
                f"pre-releases left out): {survey.production}"
            )
        )
    if survey.prereleases:
        lines.append(comment(f"Left out as pre-releases: {', '.join(survey.prereleases)}", 4000))
    lines += [
        "[git]",
        _key("repo", plan.repo),
        _key("tag_pattern", survey.pattern, "version tags; others are ignored"),
        _key("scheme", "patch", 'the hotfix after v1.2.3 is v1.2.4 ("hotfix": v1.2.3-hotfix.1)'),
        _key("main_branch", survey.main_branch),
    ]
    pin = toml_value(survey.production or "v1.2.3")
    lines.append(f"# production = {pin}  # pin it when production runs an older tag")
    source = next((e for e in plan.endpoints if e.version_path is not None), None)
    if source is not None and source.version_path is not None:
        lines += [
            _key("version_url", source.url, "the service says which version it runs"),
            _key("version_path", source.version_path),
        ]
    return lines

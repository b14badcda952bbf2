"""The rules that span keys or sections, checked after each section is valid on its own.

Names must be unique and references must name something; timeouts fit their
intervals; the escalation ladder climbs. Each failure names the key to fix.
"""

from __future__ import annotations

from collections.abc import Collection

from warroom.services.config.errors import ConfigError
from warroom.services.config.sections import Config


def semantic_checks(config: Config, file: str, themes: Collection[str] | None) -> None:
    """Raise the first cross-key mistake as a `ConfigError`; `themes` limits ui.theme."""
    names: dict[str, int] = {}
    for i, endpoint in enumerate(config.endpoint, start=1):
        where = f"endpoint[{i}]"
        if endpoint.name in names:
            raise ConfigError(file, f"{where}.name", f"duplicate endpoint name {endpoint.name!r}")
        names[endpoint.name] = i
        if endpoint.timeout >= endpoint.interval:
            raise ConfigError(
                file,
                f"{where}.timeout",
                f"must be below the interval ({endpoint.timeout:g}s >= {endpoint.interval:g}s)",
            )
        if endpoint.timeout <= 0:
            raise ConfigError(file, f"{where}.timeout", "must be above zero")
        if endpoint.json_body is not None and endpoint.method != "POST":
            raise ConfigError(file, f"{where}.json", 'a JSON body needs method = "POST"')
    metric_names: set[str] = set()
    logs = {log.name for log in config.log}
    for i, metric in enumerate(config.metric, start=1):
        where = f"metric[{i}]"
        if metric.name in metric_names:
            raise ConfigError(file, f"{where}.name", f"duplicate metric name {metric.name!r}")
        metric_names.add(metric.name)
        needs: dict[str, tuple[str, ...]] = {
            "psutil": ("query",),
            "prometheus": ("url", "metric"),
            "promql": ("url", "query"),
            "health": ("endpoint",),
            "log": ("log",),
            "json": ("url", "path"),
            "ratio": ("numerator", "denominator"),
        }
        for key in needs[metric.source]:
            if getattr(metric, key) is None:
                raise ConfigError(
                    file, f"{where}.{key}", f"required when source = {metric.source!r}"
                )
        if metric.source == "psutil" and metric.query not in PSUTIL_QUERIES:
            problem = f"must be {_one_of(PSUTIL_QUERIES)} (got {metric.query!r})"
            raise ConfigError(file, f"{where}.query", problem)
        if metric.source == "promql":
            if not (metric.url or "").startswith(("http://", "https://")):
                problem = f"must be the Prometheus server's http(s):// URL (got {metric.url!r})"
                raise ConfigError(file, f"{where}.url", problem)
            if not (metric.query or "").strip():
                raise ConfigError(file, f"{where}.query", "must be a PromQL expression")
        if metric.source == "health" and metric.endpoint not in names:
            raise ConfigError(file, f"{where}.endpoint", f"no endpoint named {metric.endpoint!r}")
        if metric.source == "log" and metric.log not in logs:
            raise ConfigError(file, f"{where}.log", f"no log named {metric.log!r}")
        if metric.verdict is not None and metric.crit is None and not metric.verdict.baseline:
            # A verdict table with neither would be Inconclusive for ever.
            problem = "nothing to judge: set the metric's crit or baseline = true"
            raise ConfigError(file, f"{where}.verdict", problem)
    for i, metric in enumerate(config.metric, start=1):
        if metric.source == "ratio":
            for key in ("numerator", "denominator"):
                ref = getattr(metric, key)
                if ref not in metric_names or ref == metric.name:
                    raise ConfigError(file, f"metric[{i}].{key}", f"no other metric named {ref!r}")
    log_names: set[str] = set()
    for i, log in enumerate(config.log, start=1):
        if log.name in log_names:
            raise ConfigError(file, f"log[{i}].name", f"duplicate log name {log.name!r}")
        log_names.add(log.name)
        if (log.path is None) == (log.command is None):
            raise ConfigError(file, f"log[{i}]", "needs exactly one of path or command")
    for i, gate in enumerate(config.actions.gates, start=1):
        # A rolling deploy waits for its gates; one that names nothing would never hold.
        if gate not in names and gate not in metric_names:
            raise ConfigError(file, f"actions.gates[{i}]", f"no endpoint or metric named {gate!r}")
    previous = 0.0
    for i, level in enumerate(config.escalation.levels, start=1):
        if level.after <= previous and i > 1:
            raise ConfigError(
                file, f"escalation.levels[{i}].after", "must be later than the level before"
            )
        previous = level.after
    if not 2 * 3600 <= config.escalation.watch <= 4 * 3600:
        raise ConfigError(file, "escalation.watch", "must be between 2h and 4h")
    if themes is not None and config.ui.theme not in themes:
        raise ConfigError(file, "ui.theme", unknown_theme(config.ui.theme, themes))


PSUTIL_QUERIES = ("cpu", "memory", "load", "process_cpu", "process_rss")
"""What a `source = "psutil"` metric can read (`query` is a PromQL text for promql)."""


def _one_of(values: tuple[str, ...]) -> str:
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def unknown_theme(name: str, themes: Collection[str]) -> str:
    """The problem of a theme name that is not among `themes`, listing those there are."""
    return f"unknown theme {name!r} (one of: {', '.join(sorted(themes))})"

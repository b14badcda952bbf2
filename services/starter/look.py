"""`warroom init`'s one look at what it was pointed at: each URL probed, the page scraped.

Endpoints are probed by `sample_once`, the path `warroom check` takes, so what init
reports ("UP 200 in 12 ms") is what the check and the dashboard will see. The
Prometheus page is scraped once by the metrics' own scraper, and log files are
looked at without being read. Nothing here raises for what it finds: an endpoint
that does not answer is a finding, written and commented as unreachable.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

from warroom.services.clock import Clock
from warroom.services.config import Config, EndpointConfig
from warroom.services.health.classify import parse_health_json
from warroom.services.health.client import make_client
from warroom.services.health.status import ProbeResult
from warroom.services.metrics.prometheus import PrometheusError, scrape
from warroom.services.release.versions import parse_version
from warroom.services.sanitize import clean
from warroom.services.session.once import sample_once
from warroom.services.starter.metrics import suggest_metrics
from warroom.services.starter.plan import (
    EndpointPlan,
    LogPlan,
    PrometheusPlan,
    endpoint_name,
    unique,
    written_path,
)

SCRAPE_TIMEOUT = 5.0
"""Seconds the one scrape of `--prometheus` may take."""

VERSION_KEYS = ("releaseId", "release", "version", "appVersion", "app_version")
"""Keys of a health answer that may name the release the service runs, in that order."""


@dataclass(frozen=True)
class Look:
    """Everything the look found, ready for the plan."""

    endpoints: tuple[EndpointPlan, ...]
    logs: tuple[LogPlan, ...]
    prometheus: PrometheusPlan | None


def probe_finding(result: ProbeResult) -> str:
    """One line for a probe: "UP 200 in 12 ms", or why nothing answered."""
    if result.status_code is None:
        reason = result.reason.value if result.reason is not None else "no answer"
        detail = f": {result.detail}" if result.detail else ""
        return f"unreachable ({reason}{detail})"
    latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
    line = f"{result.state.word} {result.status_code}{latency}"
    if result.detail and result.detail != f"HTTP {result.status_code}":
        line += f" ({result.detail})"
    return line


def version_key(body: str) -> str | None:
    """The top-level key of a JSON answer whose value is a version (`"releaseId": "1.2.3"`)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    for key in VERSION_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and parse_version(value.strip()) is not None:
            return key
    return None


def _is_health_json(result: ProbeResult) -> bool:
    kind = next((v for k, v in result.headers if k.lower() == "content-type"), "")
    if "health+json" in kind:
        return True
    status, _ = parse_health_json(result.body.encode())
    return status is not None


async def probe_urls(urls: list[str], clock: Clock) -> tuple[EndpointPlan, ...]:
    """Each URL probed once, as `warroom check` probes it."""
    if not urls:
        return ()
    names = unique(endpoint_name(u) for u in urls)
    endpoints = [EndpointConfig(name=n, url=u) for n, u in zip(names, urls, strict=True)]
    reading = await sample_once(Config(endpoint=endpoints), clock)
    plans: list[EndpointPlan] = []
    for endpoint, result in reading.probes:
        answered = result.status_code is not None
        plans.append(
            EndpointPlan(
                name=endpoint.name,
                url=endpoint.url,
                finding=probe_finding(result),
                reachable=answered,
                health_json=answered and _is_health_json(result),
                version_path=version_key(result.body) if answered else None,
            )
        )
    return tuple(plans)


async def scrape_page(url: str) -> PrometheusPlan:
    """The page scraped once and the metrics worth graphing chosen from it."""
    async with make_client([]) as client:
        try:
            samples = await scrape(client, url, SCRAPE_TIMEOUT)
        except PrometheusError as exc:
            problem = clean(str(exc).removeprefix(f"{url}: "), 300)
            return PrometheusPlan(url, f"unreachable ({problem})", reachable=False)
    metrics, others, families = suggest_metrics(url, samples)
    graphed = ", ".join(m.name for m in metrics if ("graph", False) not in m.keys)
    finding = f"{families} metric families" + (f"; graphing {graphed}" if graphed else "")
    return PrometheusPlan(url, finding, reachable=True, metrics=metrics, others=others)


def _log_finding(path: Path) -> tuple[str, bool]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "not there yet (written anyway: it is followed once it appears)", False
    except OSError as exc:
        return f"cannot be looked at ({clean(exc.strerror or str(exc), 200)})", False
    if not os.access(path, os.R_OK):
        return "not readable by this user (written anyway)", True
    return f"{stat.st_size:,} bytes", True


def look_at_logs(paths: list[Path], config_dir: Path) -> tuple[LogPlan, ...]:
    """Each log file as the config will name it, and whether it is there (no reading)."""
    names = unique(p.name or str(p) for p in paths)
    plans: list[LogPlan] = []
    for name, path in zip(names, paths, strict=True):
        finding, found = _log_finding(path)
        shown = clean(os.path.abspath(path), 1000)
        plans.append(LogPlan(name, written_path(path, config_dir), shown, finding, found))
    return tuple(plans)


async def look(
    urls: list[str], logs: list[Path], prometheus: str | None, config_dir: Path, clock: Clock
) -> Look:
    """Probe, scrape and look at the files at once; a few seconds at worst."""
    scraping = scrape_page(prometheus) if prometheus is not None else None
    endpoints, page = await asyncio.gather(
        probe_urls(urls, clock), scraping if scraping is not None else _none()
    )
    files = await asyncio.to_thread(look_at_logs, logs, config_dir)
    return Look(endpoints, files, page)


async def _none() -> None:
    return None

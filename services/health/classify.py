"""The verdict of an answered probe: its status code, its body checks, its latency.

The HTTP status decides first, then an application/health+json body or a keyword, then
the latency SLO. Health+json text is sanitized as it is read: it is untrusted.
"""

from __future__ import annotations

import functools
import json

from warroom.services.config import EndpointConfig
from warroom.services.health.status import HealthCheck, ProbeState, Reason
from warroom.services.sanitize import clean

_STATUS_ALIASES = {
    "pass": "pass",
    "ok": "pass",
    "up": "pass",
    "warn": "warn",
    "fail": "fail",
    "down": "fail",
    "error": "fail",
}


def normalize_health_status(value: object) -> str | None:
    """ "pass", "warn" or "fail" from a health+json status (aliases, any case), else None."""
    if not isinstance(value, str):
        return None
    return _STATUS_ALIASES.get(value.strip().lower())


REMEMBERED_BODY = 4 * 1024
"""Bodies up to this size have their verdict remembered (`parse_health_json`)."""


def parse_health_json(body: bytes) -> tuple[str | None, tuple[HealthCheck, ...]]:
    """The overall status and checks of an application/health+json body.

    The status is None when the body is not JSON or has no recognisable status.
    """
    # A healthy endpoint answers the same small body every interval: its parse (JSON,
    # and every check's text sanitized) is remembered; the result is immutable.
    if len(body) <= REMEMBERED_BODY:
        return _parse_remembered(bytes(body))
    return _parse(body)


@functools.lru_cache(maxsize=1024)
def _parse_remembered(body: bytes) -> tuple[str | None, tuple[HealthCheck, ...]]:
    return _parse(body)


def _parse(body: bytes) -> tuple[str | None, tuple[HealthCheck, ...]]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, ()
    if not isinstance(doc, dict):
        return None, ()
    status = normalize_health_status(doc.get("status"))
    checks: list[HealthCheck] = []
    raw_checks = doc.get("checks")
    if isinstance(raw_checks, dict):
        for key, entries in raw_checks.items():
            items = entries if isinstance(entries, list) else [entries]
            for item in items:
                if not isinstance(item, dict):
                    continue
                item_status = normalize_health_status(item.get("status")) or "?"
                output = item.get("output", item.get("observedValue", ""))
                checks.append(
                    HealthCheck(clean(str(key), 200), item_status, clean(str(output), 500))
                )
    return status, tuple(checks)


def classify(
    endpoint: EndpointConfig,
    status_code: int,
    body: bytes,
    truncated: bool,
    latency_ms: float,
) -> tuple[ProbeState, Reason | None, str, tuple[HealthCheck, ...]]:
    """The verdict of an answered probe: (state, reason, detail, health checks).

    The HTTP status decides first (503 with a "pass" body is DOWN/status); then the
    body checks (health+json, keyword), then the latency SLO.
    """
    if not any(low <= status_code <= high for low, high in endpoint.expect_status):
        return ProbeState.DOWN, Reason.STATUS, f"HTTP {status_code}", ()
    checks: tuple[HealthCheck, ...] = ()
    if endpoint.health_json:
        status, checks = parse_health_json(body)
        if status is None:
            if truncated:
                return ProbeState.DOWN, Reason.OVERSIZE, "body over 64 KiB", ()
            return ProbeState.DOWN, Reason.INVALID_JSON, "not a health+json body", ()
        if status != "pass":
            return ProbeState.WARN, Reason.BODY_FAIL, f"body status {status}", checks
    if endpoint.keyword is not None and endpoint.keyword.encode() not in body:
        if truncated:
            return ProbeState.DOWN, Reason.OVERSIZE, "keyword not in the first 64 KiB", checks
        return ProbeState.DOWN, Reason.KEYWORD, "keyword missing", checks
    if endpoint.latency_warn is not None and latency_ms > endpoint.latency_warn * 1000.0:
        return ProbeState.WARN, Reason.SLOW, f"slower than {endpoint.latency_warn:g}s", checks
    return ProbeState.UP, None, "", checks

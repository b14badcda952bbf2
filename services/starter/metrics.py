"""Which figures of a Prometheus page are worth graphing first, chosen by their names.

A /metrics page exposes dozens of families; a hotfix needs the few the runbook
watches: response time (a `*duration*`/`*latency*` histogram), request rate (a
`*request*` counter) and, when its series carry an HTTP status label, the error
rate. Anything else is listed, not graphed, for the user to add. A pure function of
the scraped samples, so the rule has table tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from warroom.services.metrics.prometheus import PromSample
from warroom.services.sanitize import clean
from warroom.services.starter.plan import MetricPlan

MAX_OTHERS = 20
"""Families listed (not graphed) in the config's comment; the rest are counted."""

_STATUS_LABELS = ("status", "code", "status_code")
_HTTP_CODE = re.compile(r"[1-5]\d\d")


def _families(samples: Sequence[PromSample]) -> dict[str, str]:
    """Family name -> kind, in the page's order."""
    kinds: dict[str, str] = {}
    for sample in samples:
        kinds.setdefault(sample.family, sample.kind)
    return kinds


def _counter_name(family: str, samples: Sequence[PromSample]) -> str:
    """The name a counter is written under on the page (`http_requests_total`)."""
    total = family + "_total"
    return total if any(s.name == total for s in samples) else family


def _prefer(names: list[str], best: str) -> str | None:
    return best if best in names else (names[0] if names else None)


def _status_label(family: str, samples: Sequence[PromSample]) -> str | None:
    """The label holding an HTTP status on the family's series, if one does."""
    for label in _STATUS_LABELS:
        values = {s.label(label) for s in samples if s.family == family}
        values.discard(None)
        if values and all(_HTTP_CODE.fullmatch(v or "") for v in values):
            return label
    return None


def suggest_metrics(
    url: str, samples: Sequence[PromSample]
) -> tuple[tuple[MetricPlan, ...], tuple[str, ...], int]:
    """The metrics to write for the page at `url`, the families left out, and the count."""
    kinds = _families(samples)
    chosen: list[MetricPlan] = []
    used: set[str] = set()
    histograms = [
        f
        for f, k in kinds.items()
        if k == "histogram" and ("duration" in f or "latency" in f) and f.endswith("seconds")
    ]
    latency = _prefer(histograms, "http_request_duration_seconds")
    if latency is not None:
        used.add(latency)
        chosen.append(
            MetricPlan(
                "Response time p95",
                (
                    ("source", "prometheus"),
                    ("url", url),
                    ("metric", latency),
                    ("quantile", 0.95),
                    ("scale", 1000.0),
                    ("unit", "ms"),
                ),
                note=f"The 95th percentile of {latency}, over each interval, in ms.",
            )
        )
    counters = [f for f, k in kinds.items() if k == "counter" and "request" in f]
    requests = _prefer(counters, "http_requests")
    if requests is not None:
        used.add(requests)
        name = _counter_name(requests, samples)
        chosen.append(
            MetricPlan(
                "Requests/s",
                (("source", "prometheus"), ("url", url), ("metric", name), ("rate", True),
                 ("unit", "/s")),
                note=f"{name} as a rate per second (counter resets survived).",
            )
        )  # fmt: skip
        label = _status_label(requests, samples)
        if label is not None:
            chosen.append(
                MetricPlan(
                    "5xx/s",
                    (("graph", False), ("source", "prometheus"), ("url", url),
                     ("metric", name), ("labels", {label: "~5.."}), ("rate", True),
                     ("unit", "/s")),
                    note=f"Answers with a 5xx {label}: the numerator of the error rate.",
                )
            )  # fmt: skip
            chosen.append(
                MetricPlan(
                    "Error rate",
                    (("source", "ratio"), ("numerator", "5xx/s"), ("denominator", "Requests/s"),
                     ("scale", 100.0), ("unit", "%"), ("warn", 1.0), ("crit", 5.0)),
                    note="5xx answers as a share of all requests; warn and crit are a start.",
                )
            )  # fmt: skip
    if not chosen:
        # Nothing recognisable: graph the first counter as a rate, else the first gauge.
        first = next(((f, k) for f, k in kinds.items() if k in ("counter", "gauge")), None)
        if first is not None:
            family, kind = first
            used.add(family)
            rate = kind == "counter"
            name = _counter_name(family, samples) if rate else family
            keys: tuple[tuple[str, str | bool], ...] = (
                ("source", "prometheus"),
                ("url", url),
                ("metric", name),
            )
            chosen.append(
                MetricPlan(
                    clean(f"{name}/s" if rate else name, 100),
                    (*keys, ("rate", True)) if rate else keys,
                    note=f"The first {kind} on the page: replace it with the figure you watch.",
                )
            )
    others = [
        f"{clean(_counter_name(f, samples) if k == 'counter' else f, 200)} ({k})"
        for f, k in kinds.items()
        if f not in used
    ]
    left = len(others) - MAX_OTHERS
    shown = others[:MAX_OTHERS] + ([f"... and {left} more"] if left > 0 else [])
    return tuple(chosen), tuple(shown), len(kinds)

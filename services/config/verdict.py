"""`[metric.verdict]` and `[endpoint.verdict]`: how the deploy verdict judges a figure.

A metric or endpoint named in `[actions] gates` is judged with the defaults below; a
verdict table changes them, or makes any other metric or endpoint part of the
verdict. The rules themselves live in `services/release/verdict.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.services.config.values import Duration


class MetricVerdictConfig(BaseModel):
    """`[metric.verdict]`: the metric's window, sample floor and baseline comparison."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    critical: bool = True
    """True: a Fail fails the verdict. False: report-only, shown but never deciding."""
    direction: Literal["higher_is_worse", "lower_is_worse"] | None = None
    """Which way is bad; default from the metric's `direction` (above: higher is worse)."""
    window: Duration = Field(default=300.0, gt=0)
    """How much post-deploy data is judged ("5m"); Pass waits until it has passed."""
    min_samples: int = Field(default=5, ge=1)
    """Fewer samples in the window (or in the baseline) is Inconclusive, never Pass."""
    baseline: bool = False
    """Also compare the window with the pre-deploy baseline (Mann-Whitney rank test)."""
    baseline_window: Duration = Field(default=900.0, gt=0)
    """How much pre-deploy data is the baseline ("15m")."""
    alpha: float = Field(default=0.05, gt=0, lt=1)
    """Significance level of the rank test: p below it means the metric got worse."""
    min_change: float = Field(default=0.0, ge=0)
    """Percent the median must also move the bad way to fail (0: significance alone)."""


class EndpointVerdictConfig(BaseModel):
    """`[endpoint.verdict]`: the endpoint's window, sample floor and success share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    critical: bool = True
    """True: a Fail fails the verdict. False: report-only."""
    window: Duration = Field(default=300.0, gt=0)
    """How much post-deploy probing is judged (at most the last 20 probes are kept)."""
    min_samples: int = Field(default=5, ge=1)
    """Fewer probes in the window is Inconclusive, never Pass."""
    min_success: float = Field(default=100.0, ge=0, le=100)
    """Percent of probes that must be UP or WARN; 100: one failed probe fails it."""

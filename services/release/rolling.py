"""Rolling deploys as a pure state machine: batch n of N, offered once the gates held.

The screen feeds a `RollingPlan` batch results and gate observations (plain booleans
and monotonic times) and asks it whether the next batch may be offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from warroom.services.config import ActionsConfig


@dataclass(frozen=True)
class RollingPlan:
    """Where a rolling deploy stands: batch n of N, and whether the gates have held.

    A pure value: the screen feeds it batch results and gate observations (plain
    booleans and monotonic times) and asks `offer_next(now)`.
    """

    total: int
    gate_for: float
    gates: tuple[str, ...] = ()
    done: int = 0
    """Batches finished successfully."""
    running: bool = False
    held_since: float | None = None
    """Since when every gate has held, counted from the last batch's end."""
    failed_gates: tuple[str, ...] = field(default=())
    failed: str | None = None
    """Why the rollout stopped (a batch failed); no more batches are offered."""

    @classmethod
    def from_config(cls, config: ActionsConfig) -> RollingPlan:
        """A fresh plan for the configured batches, gates and hold time."""
        return cls(total=config.batches, gate_for=config.gate_for, gates=tuple(config.gates))

    @property
    def complete(self) -> bool:
        """Every batch is deployed."""
        return self.done >= self.total

    @property
    def next_batch(self) -> int:
        """The 1-based number of the batch to run next (or running now)."""
        return min(self.done + 1, self.total)

    @property
    def progress(self) -> str:
        """`batch n/N` for the screen."""
        if self.complete:
            return f"batch {self.total}/{self.total} done"
        verb = "running" if self.running else "next"
        return f"batch {self.next_batch}/{self.total} {verb}"

    def start_batch(self) -> RollingPlan:
        """The next batch has started."""
        return replace(self, running=True, held_since=None)

    def batch_finished(self, ok: bool, now: float) -> RollingPlan:
        """The running batch ended; gates must now hold from `now` on."""
        if not ok:
            return replace(self, running=False, failed=f"batch {self.next_batch} failed")
        return replace(self, running=False, done=self.done + 1, held_since=None)

    def observe_gates(self, gates: Mapping[str, bool], now: float) -> RollingPlan:
        """Record one evaluation of the gates (a missing gate counts as not holding)."""
        if self.running or self.done == 0:
            return self
        failing = tuple(g for g in self.gates if not gates.get(g, False))
        if failing:
            return replace(self, held_since=None, failed_gates=failing)
        return replace(
            self,
            held_since=self.held_since if self.held_since is not None else now,
            failed_gates=(),
        )

    def offer_next(self, now: float) -> bool:
        """Whether the next batch may be offered now."""
        if self.running or self.complete or self.failed is not None:
            return False
        if self.done == 0:
            return True
        return self.held_since is not None and now - self.held_since >= self.gate_for

    def waiting_for(self, now: float) -> str:
        """One line saying what the rollout waits for."""
        if self.failed is not None:
            return self.failed
        if self.complete:
            return "all batches deployed"
        if self.running:
            return f"batch {self.next_batch}/{self.total} running"
        if self.offer_next(now):
            return f"batch {self.next_batch}/{self.total} ready"
        if self.failed_gates:
            return "gates not holding: " + ", ".join(self.failed_gates)
        if self.held_since is None:
            return "waiting for the gates to be checked"
        held = now - self.held_since
        return f"gates held {held:.0f}s of {self.gate_for:.0f}s"

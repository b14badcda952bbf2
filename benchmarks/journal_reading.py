"""Reading a journal: what `warroom report`, a viewer and the driver pay before showing it.

Measured in a temp dir on a real disk, medians of several runs:

1. 10,000 events: `read_journal` (the report's read-only read, integrity check
   included), `Journal.open(read_only=True)` + `events()` (a projector viewer), and
   `Journal.open` + `events()` (the driver, which checks the file on open).
2. 200 long notes (2,000 characters each, English and Japanese): `read_journal`,
   `replay`, `build_report` + `render_markdown`, and the runbook pane's line wrapping
   of every note, cold (first rebuild) and warm (every rebuild after a new event).
   Goal: warm wrapping well under a frame (16 ms), so a new event never stalls the
   dashboard however long the notes are.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.style import Style

from warroom.services.clock import ManualClock
from warroom.services.config import IncidentConfig
from warroom.services.journal.readers import read_journal
from warroom.services.journal.report import build_report, render_markdown
from warroom.services.journal.store import Journal
from warroom.services.runbook.model import builtin_runbook, replay
from warroom.widgets.runbook_rows import detail_lines as _detail_lines
from warroom.widgets.runbook_rows import wrapped as _wrapped

RUNS = 5
WIDTH = 60
_STYLE = Style()


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    """The median wall time of `action` over `runs` runs, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def make_journal(path: Path, count: int, text: Callable[[int], str]) -> None:
    clock = ManualClock()
    journal = Journal.open(path, clock, "bench")
    items = [i.id for p in builtin_runbook("en").phases for i in p.items]
    for n in range(count):
        clock.advance(1)
        journal.append("item.note", {"item": items[n % len(items)], "text": text(n)})
    journal.close()


def open_and_read(path: Path, read_only: bool) -> None:
    journal = Journal.open(path, ManualClock(), "bench", read_only=read_only)
    journal.events()
    journal.close()


def wrap_all(notes: list[str]) -> None:
    for note in notes:
        _detail_lines(f"      note: {note} (bench)", WIDTH, _STYLE)


def cold_wrap(notes: list[str]) -> None:
    _wrapped.cache_clear()
    _detail_lines.cache_clear()
    wrap_all(notes)


def measure_notes(path: Path, lang: str, word: str) -> dict[str, float]:
    """The costs of a journal holding 200 notes of 2,000 characters each."""
    runbook = builtin_runbook("en")
    incident = IncidentConfig(id="BENCH", title="bench")
    make_journal(path, 200, lambda n: (f"{n} " + word * 400)[:2000])
    events = read_journal(path)
    notes = [str(e.payload["text"]) for e in events]

    def report() -> None:
        render_markdown(build_report(incident, runbook, events, ManualClock().now()))

    results = {
        f"200 notes {lang} read_journal": median_ms(lambda: read_journal(path)),
        f"200 notes {lang} replay": median_ms(lambda: replay(runbook, events)),
        f"200 notes {lang} report": median_ms(report),
        f"200 notes {lang} wrap cold": median_ms(lambda: cold_wrap(notes)),
    }
    wrap_all(notes)
    results[f"200 notes {lang} wrap warm"] = median_ms(lambda: wrap_all(notes))
    return results


def main() -> None:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="warroom-bench-", dir=Path.home()) as tmp:
        base = Path(tmp)
        big = base / "big.sqlite3"
        make_journal(big, 10_000, lambda n: f"note {n}")
        results["10k read_journal"] = median_ms(lambda: read_journal(big))
        results["10k viewer open+events"] = median_ms(lambda: open_and_read(big, True))
        results["10k driver open+events"] = median_ms(lambda: open_and_read(big, False))
        for lang, word in (("en", "long note "), ("ja", "長いメモです")):
            results.update(measure_notes(base / f"notes-{lang}.sqlite3", lang, word))
    print(f"{'journal reading (median of 5)':<40}{'ms':>10}")
    for label, value in results.items():
        print(f"{label:<40}{value:>10.2f}")
    print(json.dumps({"benchmark": "journal_reading", "ms": results}))


if __name__ == "__main__":
    main()

"""The one door to Textual's private internals.

Every hook that reads or overrides something private in Textual lives here (or is
switched on from here), so a maintainer finds them in one place. Each is enabled only
on the Textual version it was written against; on any other version warroom uses
Textual's stock behaviour.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import sys
import threading
from codecs import getincrementaldecoder
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

from textual import events
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

if TYPE_CHECKING:
    from textual.geometry import Region
    from textual.screen import Screen
    from textual.strip import Strip
    from textual.style import Style
    from textual.widget import Widget

    _WidgetBase = Widget
else:
    # Mixins are plain classes at run time: Textual follows a widget's first DOM base
    # class for its default CSS, which must stay the widget's own base.
    _WidgetBase = object

WRITTEN_FOR = "8.2.8"
"""The Textual release every private hook here was read from and tested against."""


def _installed() -> str:
    # Read from the name of the one `textual-<version>.dist-info` folder beside the
    # package, as every wheel install writes it: asked before the first frame (which
    # driver to run), and importlib.metadata alone costs that frame about 30 ms.
    # Any other layout (an editable textual, several records) asks importlib.metadata.
    import textual

    prefix, suffix = "textual-", ".dist-info"
    with contextlib.suppress(OSError):
        records = [
            name[len(prefix) : -len(suffix)]
            for name in os.listdir(os.path.dirname(os.path.dirname(textual.__file__ or "")))
            if name.startswith(prefix) and name.endswith(suffix)
        ]
        if len(records) == 1:
            return records[0]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("textual")
    except PackageNotFoundError:  # pragma: no cover - textual is a dependency
        return ""


INSTALLED = _installed()
"""The Textual version installed now."""

HOOKS_ENABLED = INSTALLED == WRITTEN_FOR and not os.environ.get("WARROOM_STOCK_TEXTUAL")
"""Whether the private hooks are used: only on the version they were written for, and
not when `WARROOM_STOCK_TEXTUAL` is set (to compare against stock Textual)."""

HOOKS = ("paint_cache", "scrollbar_cache", "line_paint", "quiet_driver")
"""The hooks by name, for `WARROOM_HOOKS_OFF` (a benchmark turns them off one by one).

benchmarks/idle_cpu.py, the demo idling 30 s at 80x24 on a shared 2-core machine:
idle CPU 1.52% of a core with every hook (median of 5; 1.49-1.56); without
`line_paint` (row painting, widgets/text_line.py: the countdown, status and header
lines, and the wrapped rows of the pinned error and the escalation's "Next:" line,
repainted each second) 1.66% and 1.56% against 1.30% and 1.56% with it, run in turn;
without `scrollbar_cache` (widgets/paint_cache.py: the Runbook's and Metrics pane's
scrollbars, which Textual repainted with every frame touching their panes) 1.59%
against 1.56% in an earlier round, within the noise of a run (about +-0.1), though the
scrollbars hand back their lines in 9 paints of 10.
Earlier, benchmarks/idle_hooks.py over 60 s (medians of 3 interleaved rounds): 1.73%
with the hooks of then, 2.27% with none; without `paint_cache` 1.91%, without
`quiet_driver` (`QuietDriver` below) 1.61%: the quiet driver buys no idle CPU
measurable here; it is kept for what stock Textual does not do: a paste never acts,
and a hung-up terminal ends the input thread."""

_OFF = frozenset(os.environ.get("WARROOM_HOOKS_OFF", "").replace(",", " ").split())


def enabled(hook: str) -> bool:
    """Whether the named hook is used: hooks are on, and it is not in `WARROOM_HOOKS_OFF`."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}; known: {', '.join(HOOKS)}")
    return HOOKS_ENABLED and hook not in _OFF


def painted_lines(screen: Screen[object]) -> list[Strip]:
    """What the terminal shows while `screen` is on top: every row, as Textual composes it.

    Textual offers the composed screen only as an SVG screenshot; tests that look at
    cells (is a graph glyph inside a dialog?) read its compositor here instead.
    """
    return list(screen._compositor.render_strips())


class RepaintWatch(_WidgetBase):
    """A mixin told of every repaint request, so a cache of painted lines can drop them.

    Every request (a refresh, a style change, a scroll, a resize) reaches Textual's
    private `_set_dirty`; Textual has no public notice of it. With the hooks off this
    adds nothing and `repaint_requested` is never called.
    """

    def repaint_requested(self) -> None:
        """The widget will be painted again: what was painted before is stale."""

    if HOOKS_ENABLED:

        def _set_dirty(self, *regions: Region) -> None:
            self.repaint_requested()
            super()._set_dirty(*regions)


def styles_key(widget: Widget) -> tuple[object, ...]:
    """What `widget`'s computed style depends on: the theme and the style versions of it
    and every ancestor (Textual counts each node's rule, class and pseudo-class updates)."""
    return (widget.app.theme, *(node.styles._cache_key for node in widget.ancestors_with_self))


def style_parser(widget: Widget) -> Callable[[str | Style], Style]:
    """How `widget` turns a style name in content into a style, as Textual paints it."""
    return widget._get_style


_Bar = TypeVar("_Bar", bound="Widget")

_SLOTS = {
    "vertical": "_vertical_scrollbar",
    "horizontal": "_horizontal_scrollbar",
    "corner": "_scrollbar_corner",
}


def own_scrollbar(
    widget: Widget, slot: Literal["vertical", "horizontal", "corner"], make: Callable[[], _Bar]
) -> _Bar:
    """`widget`'s scrollbar (or corner) in `slot`, made by `make` and started the way
    Textual starts its own, the first time it is asked for."""
    bar: _Bar | None = getattr(widget, _SLOTS[slot])
    if bar is None:
        bar = make()
        setattr(widget, _SLOTS[slot], bar)
        widget.app._start_widget(widget, bar)
    return bar


# --- the terminal driver -------------------------------------------------------------
#
# The terminal driver: Textual's own, with an input thread that sleeps while idle.
#
# Textual's Linux driver reads the keyboard in a thread that wakes ten times a second,
# input or not, to notice a lone Escape (sent alone, it is the Escape key; followed by
# more bytes within a moment, it starts a sequence) and to notice that it must stop.
# Here the thread sleeps until there is input, wakes for the Escape only while a
# sequence is unfinished, and is woken at once to stop. Keys, mouse, paste and resize
# are parsed and dispatched exactly as Textual does.
#
# Two more things Textual leaves to chance are settled here:
#
# - A terminal that hangs up (its window closed, the SSH session dropped) reads as
#   end-of-file or EIO: the thread stops reading (Textual's would spin on the empty
#   read) and raises SIGHUP, which ends the app (see `warroom.tui.stopping`). Writes to the
#   gone terminal are dropped instead of ending Textual's writer thread, whose full
#   queue would otherwise block the UI loop for good.
# - A bracketed paste never acts: Textual's parser turns an escape sequence inside a
#   paste (`ESC[31m` in a pasted log line) into single keys, which reach the bindings.
#   Keys parsed between the paste's start and end markers are dropped; the Paste event
#   itself, with the text, is delivered as usual.
#
# It copies Textual's input loop and reads its parser's pending timeout, which is
# safe only because Textual is pinned to one version: the app uses it only when
# `warroom.widgets.internals.HOOKS_ENABLED` says so.

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"


class _WakingEvent(threading.Event):
    """The driver's stop flag; setting it also wakes the sleeping input thread."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd: int | None = wake_fd

    def set(self) -> None:
        super().set()
        if self._wake_fd is not None:
            # A full pipe means the thread is woken already.
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_fd, b"x")

    def close(self) -> None:
        """Stop waking (the pipe is about to close)."""
        self._wake_fd = None


class TerminalOutput:
    """The terminal as Textual's writer thread sees it; writes after a hangup are dropped.

    Textual's writer thread ends on the first failed write, and the UI loop then
    blocks on its full queue: a dashboard whose terminal closed could never exit.
    """

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.gone = False
        """Set once a write failed: the terminal is no longer there."""

    def write(self, text: str) -> int:
        """Write `text`, or drop it once the terminal is gone."""
        if self.gone:
            return len(text)
        try:
            return self._file.write(text)
        except OSError:
            self.gone = True
            return len(text)

    def flush(self) -> None:
        """Flush, or do nothing once the terminal is gone."""
        if self.gone:
            return
        try:
            self._file.flush()
        except OSError:
            self.gone = True

    def fileno(self) -> int:
        """The terminal's descriptor (Textual asks it for the size)."""
        return self._file.fileno()

    def isatty(self) -> bool:
        """Whether the output is a terminal."""
        return self._file.isatty()


class PasteTracker:
    """Splits input as it is read into runs inside and outside a bracketed paste.

    A run ends where a paste marker completes, so what the parser emits while fed a
    run belongs to that run's side. Markers split across two reads are found too.
    """

    def __init__(self) -> None:
        self.inside = False
        self._tail = ""

    def split(self, data: str) -> Iterator[tuple[str, bool]]:
        """Yield (run, inside a paste) for `data`, in order."""
        seen = self._tail + data
        offset = len(self._tail)
        start = 0
        while True:
            marker = PASTE_END if self.inside else PASTE_START
            # At the start of the read a marker may begin in the carried-over tail (it
            # cannot lie wholly inside it: the tail is one character shorter).
            found = seen.find(marker, offset + start if start else 0)
            if found < 0:
                break
            end = found + len(marker) - offset
            yield data[start:end], self.inside
            self.inside = not self.inside
            start = end
        if start < len(data):
            yield data[start:], self.inside
        self._tail = seen[-(len(PASTE_START) - 1) :]


class QuietDriver(LinuxDriver):
    """Textual's Linux driver whose input thread uses no CPU while nothing is typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        self._wake_write = wake_write
        self._waking = _WakingEvent(wake_write)
        self.exit_event = self._waking
        self.output = TerminalOutput(sys.__stderr__ or sys.stderr)
        self._file = self.output  # type: ignore[assignment]  # duck-typed like Textual's own

    def run_input_thread(self) -> None:
        """Wait for input (or the stop flag) and dispatch events."""
        selector = selectors.DefaultSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_read, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        paste = PasteTracker()
        reading = True

        def wait() -> float | None:
            # Sleep until input, unless an unfinished sequence must time out.
            pending = parser._timeout_time
            if pending is None:
                return None
            return max(0.0, min(0.1, pending - get_time()))

        def feed(data: str) -> None:
            for run, inside in paste.split(data):
                for event in parser.feed(run):
                    if inside and isinstance(event, events.Key):
                        continue  # pasted text is text, never a key press
                    self.process_message(event)

        def dispatch(ready: list[tuple[selectors.SelectorKey, int]], final: bool) -> None:
            nonlocal reading
            for key, _mask in ready:
                if key.fd == self._wake_read:
                    self._drain_wake()
                    continue
                if not reading:
                    continue
                try:
                    raw = os.read(self.fileno, 1024 * 4)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EINTR):
                        continue
                    raw = b""  # EIO: the terminal hung up
                if not raw:
                    reading = False
                    self._input_ended(selector)
                    continue
                feed(decode(raw, final=final))
            for event in parser.tick():
                self.process_message(event)

        try:
            self._drain_wake()  # a stop flag set (and cleared) before this thread began
            while not self.exit_event.is_set():
                dispatch(selector.select(wait()), final=False)
            if reading:
                selector.unregister(self.fileno)
            # Only what is already there: Textual's own loop waits 0.1 s here, and the
            # app's quit waits for this thread (a tenth of a second on every `q`).
            dispatch(selector.select(0), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass

    def _input_ended(self, selector: selectors.BaseSelector) -> None:
        """End-of-file or EIO: stop reading (not spin on it); a terminal hung up."""
        with contextlib.suppress(KeyError, ValueError, OSError):
            selector.unregister(self.fileno)
        if self.input_tty:
            # The same path as the kernel's SIGHUP: the app ends (see warroom.tui.stopping).
            signal.raise_signal(signal.SIGHUP)

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 512):
                pass

    def close(self) -> None:
        super().close()
        self._waking.close()
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

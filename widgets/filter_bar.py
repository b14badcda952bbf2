"""The filter box opened with `/`: applied as you type, with a history on ↑ and ↓."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from warroom.services.logs.filter import LogFilter


class FilterBar(Input):
    """An input for a log filter; posts `FilterChanged` on every keystroke.

    An invalid term (a broken regex) sets the `-invalid` class and the tooltip to its
    one-line message; the rest of the filter still applies.
    """

    DEFAULT_CSS = """
    FilterBar { border: tall $accent 50%; }
    FilterBar.-invalid { border: tall $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history_back", "Previous filter", show=False),
        Binding("down", "history_forward", "Next filter", show=False),
    ]

    class FilterChanged(Message):
        """The filter text changed; carries the parsed filter."""

        def __init__(self, filter_bar: FilterBar, log_filter: LogFilter) -> None:
            super().__init__()
            self.filter_bar = filter_bar
            self.log_filter = log_filter

        @property
        def control(self) -> FilterBar:
            return self.filter_bar

        def can_replace(self, message: Message) -> bool:
            # Typing fast: only the newest filter needs applying.
            return isinstance(message, FilterBar.FilterChanged)

    def __init__(
        self,
        value: str = "",
        history: Sequence[str] = (),
        max_history: int = 50,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            value=value,
            placeholder="filter: words  /regex/  -exclude",
            id=id,
            classes=classes,
        )
        self.max_history = max_history
        self._history: list[str] = list(history)[-max_history:]
        self._position = len(self._history)

    @property
    def history(self) -> tuple[str, ...]:
        """Filters submitted with Enter, oldest first."""
        return tuple(self._history)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self:
            return
        parsed = LogFilter.parse(event.value)
        self.set_class(parsed.error is not None, "-invalid")
        self.tooltip = parsed.error
        self.post_message(self.FilterChanged(self, parsed))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self:
            return
        value = event.value.strip()
        if value:
            if value in self._history:
                self._history.remove(value)
            self._history.append(value)
            del self._history[: -self.max_history]
        self._position = len(self._history)

    def action_history_back(self) -> None:
        """Show the previous filter from the history."""
        if self._position > 0:
            self._position -= 1
            self.value = self._history[self._position]
            self.cursor_position = len(self.value)

    def action_history_forward(self) -> None:
        """Show the next filter, or an empty box after the newest."""
        if self._position < len(self._history):
            self._position += 1
            self.value = (
                self._history[self._position] if self._position < len(self._history) else ""
            )
            self.cursor_position = len(self.value)

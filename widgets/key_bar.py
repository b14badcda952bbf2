"""The key bar: the screen's active key bindings on one line at the bottom.

It shows what Textual's Footer shows (each shown binding's key and description, the
command palette key on the right) as one widget drawn as a single line of text,
instead of a widget per key restyled on every focus change. A click on a key presses
it. Descriptions are plain text, never markup, in the language the screen hands
down (`lang`). When the keys do not all fit, the bar shows the ones that fit whole
and an ellipsis: a key is never drawn without its word, nor half a wide character.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget

from warroom.widgets.paint_cache import PaintCache
from warroom.widgets.words import say

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyBar(PaintCache, Widget):
    """One line of `key description` pairs for the focused screen's bindings."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--disabled",
    }

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
        }
        & > .key-bar--disabled {
            text-style: dim;
        }
    }
    """

    lang: reactive[str] = reactive("en")
    """The language of the descriptions ("en" or "ja"): the runbook's, from the screen."""

    def __init__(self, *, lang: str = "en", id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(KeyBar.lang, lang)
        self._keys: list[tuple[int, int, str]] = []
        """Where each key is drawn: (first cell, cell after the last, key to press)."""
        self._disabled: set[str] = set()
        """Keys drawn dimmed: their binding is not available now."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        desc_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        active = self.screen.active_bindings
        palette_key = self.app.COMMAND_PALETTE_BINDING
        text = Text(no_wrap=True, overflow="crop", end="")
        entries: list[tuple[Text, str, bool]] = []
        seen_actions: set[str] = set()
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if not binding.show or key == palette_key or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            dim = disabled_style if not enabled else None
            entry = Text(" ")
            entry.append(self.app.get_key_display(binding), key_style + dim if dim else key_style)
            entry.append(" ")
            description = say(binding.description, self.lang)
            entry.append(description, desc_style + dim if dim else desc_style)
            entries.append((entry, binding.key, enabled))
        label: Text | None = None
        palette = active.get(palette_key)
        if self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            # The palette key always shows, on the right; the other keys give way to it.
            binding = palette.binding
            label = Text.assemble(
                "▏",
                (self.app.get_key_display(binding), key_style),
                " ",
                (say(binding.description, self.lang), desc_style),
                " ",
            )
        room = self.size.width - (label.cell_len if label is not None else 0)
        keys: list[tuple[int, int, str]] = []
        disabled: set[str] = set()
        for index, (entry, key, enabled) in enumerate(entries):
            # The last key may use the ellipsis' cell; any other keeps one cell for it.
            more = index < len(entries) - 1
            if text.cell_len + entry.cell_len + (1 if more else 0) > room:
                if text.cell_len < room:
                    text.append("…", desc_style)
                break
            start = text.cell_len
            text.append_text(entry)
            keys.append((start, text.cell_len, key))
            if not enabled:
                disabled.add(key)
        self._disabled = disabled
        if label is not None:
            room = max(0, room)
            text.truncate(room)
            text.pad_right(room - text.cell_len)
            keys.append((room, room + label.cell_len, palette_key))
            text.append_text(label)
        self._keys = keys
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                event.stop()
                if key in self._disabled:
                    self.app.bell()
                else:
                    self.app.simulate_key(key)
                return

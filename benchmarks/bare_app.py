"""The floor for start-up: a one-widget Textual app."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    """One widget saying it is ready."""

    BINDINGS = [("q", "quit", "Quit")]  # noqa: RUF012

    def compose(self) -> ComposeResult:
        yield Static("BARE-READY")


if __name__ == "__main__":
    Bare().run()

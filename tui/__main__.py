"""`python -m tui` runs the `warroom` command."""

from tui.cli import entry

entry()

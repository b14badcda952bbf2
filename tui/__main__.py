"""`python -m warroom.tui` runs the `warroom` command (as does `python -m warroom`)."""

from warroom.tui.cli import entry

entry()

"""`python -m warroom`: the same as the `warroom` command."""

from warroom.tui.cli import main

raise SystemExit(main())

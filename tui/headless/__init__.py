"""The headless subcommands: check, tail, report and journal."""

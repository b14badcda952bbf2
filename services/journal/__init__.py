"""The incident journal: append-only events, their repair, the report."""

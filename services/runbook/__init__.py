"""The hotfix runbook: its schema, the built-in procedure, the replay."""

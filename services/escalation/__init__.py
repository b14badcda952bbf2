"""The incident clock, the escalation ladder and the webhooks."""

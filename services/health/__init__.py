"""Endpoint health: probes, their HTTP transport, and alerts."""

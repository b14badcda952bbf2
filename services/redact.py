"""Secrets out of what is kept: values from the environment never reach the journal.

A deploy command's argv, a webhook error or a note may carry a token that came from
`${env:NAME}`; every string in a payload has those values replaced before it is written.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

MASK = "***"


def redact(value: Any, secrets: Collection[str]) -> Any:
    """`value` (a JSON-like payload) with every secret inside its strings masked."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    return value

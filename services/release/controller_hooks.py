"""What the session hands the release controller: callbacks into the journal and the gates.

The controller takes these as plain callables, so it can be tested without a session
and never reaches up into the code that wires it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from warroom.services.release.deploy_verdict import DeployVerdict
from warroom.services.runbook.model import RunbookState

Record = Callable[[str, dict[str, Any]], Awaitable[bool]]
"""Journals one event; True once it is committed (the session's `record`)."""

Gates = Callable[[], Mapping[str, bool]]
"""The health and metric gates by name, True while each holds."""

Listener = Callable[[], None]

Announce = Callable[[str, str, Mapping[str, Any]], None]
"""Sends one step of the deploy path to the webhooks: (event kind, text, fields)."""

VerdictNow = Callable[[], DeployVerdict | None]
"""The verdict on the deploy in production now (the session's `verdict_now`)."""

RunbookNow = Callable[[], RunbookState | None]
"""The checklist as the journal has it now (None when there is no runbook to ask)."""

"""Webhooks (`[[notify]]`): tell a chat channel or an incident bot what just happened.

A webhook must never slow the war room down: `Notifier.send` returns at once and each
delivery runs as a background task, retried with exponential backoff. A delivery that
finally fails is a value (`Delivery`) handed to a callback and journaled as
`notify.failed`, with the URL masked, because webhook URLs carry their secret in the
path or the query string.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from warroom.services.clock import Clock
from warroom.services.config import NotifyConfig
from warroom.services.events import NOTIFY_FAILED as NOTIFY_FAILED
from warroom.services.redact import mask, mask_payload
from warroom.services.sanitize import clean

SLACK_TEXT_LIMIT = 2900
"""Slack rejects a section text longer than 3000 characters."""

EVENT_KINDS = ("escalation", "status", "deploy", "rollback", "resolved")

Record = Callable[[str, dict[str, Any]], object]


@dataclass(frozen=True)
class Delivery:
    """The outcome of one webhook delivery, after its retries."""

    url: str
    """The masked URL (scheme, host and port only)."""
    event: str
    ok: bool
    attempts: int
    status_code: int | None = None
    error: str = ""
    """One line saying why it failed; empty on success."""


def mask_url(url: str) -> str:
    """The URL without credentials, path or query: "https://hooks.slack.com/…".

    The host stays (it says which service failed) unless a secret is in it: URL
    parsing lower-cases it, and `mask` matches a secret in any case or IDNA form.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid url>"
    hidden = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return mask(clean(f"{parts.scheme}://{host}{port}{hidden}", 300))


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions (<!channel>); escape so text stays text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(event: str, text: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook body: `text` plus a section block per part."""
    body = _slack_escape(text)[:SLACK_TEXT_LIMIT]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]
    items = [
        {"type": "mrkdwn", "text": f"*{_slack_escape(str(k))}*\n{_slack_escape(str(v))}"}
        for k, v in fields.items()
    ]
    # Slack accepts at most 10 fields in one section.
    for start in range(0, len(items), 10):
        blocks.append({"type": "section", "fields": items[start : start + 10]})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"warroom · {event}"}]}
    )
    return {"text": body, "blocks": blocks}


def json_payload(
    event: str, text: str, fields: Mapping[str, Any], at: str, incident: str
) -> dict[str, Any]:
    """A plain JSON body for bots: event, incident, time, text and the fields."""
    return {"event": event, "incident": incident, "at": at, "text": text, "fields": dict(fields)}


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 425, 429)


class Notifier:
    """Sends each event to the webhooks subscribed to it, in the background, with retries."""

    def __init__(
        self,
        configs: Sequence[NotifyConfig],
        client: httpx.AsyncClient,
        clock: Clock,
        record: Record | None = None,
        *,
        incident: str = "",
        attempts: int = 4,
        base_delay: float = 1.0,
        timeout: float = 5.0,
        on_result: Callable[[Delivery], None] | None = None,
    ) -> None:
        self._configs = list(configs)
        self._client = client
        self._clock = clock
        self._record = record
        self._incident = incident
        self._attempts = max(1, attempts)
        self._base_delay = base_delay
        self._timeout = timeout
        self._on_result = on_result
        self._tasks: set[asyncio.Task[Delivery]] = set()
        self.last_failure: Delivery | None = None
        """The latest delivery that gave up, for a persistent warning in the UI."""

    @property
    def pending(self) -> int:
        """Deliveries still in flight (including their retries)."""
        return len(self._tasks)

    async def send(self, event_kind: str, text: str, fields: Mapping[str, Any]) -> None:
        """Queue `text` for every webhook subscribed to `event_kind`; returns at once."""
        for config in self._configs:
            if event_kind in config.events:
                task = asyncio.create_task(self._deliver(config, event_kind, text, dict(fields)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def drain(self) -> list[Delivery]:
        """Wait for the deliveries in flight (for shutdown and tests)."""
        results: list[Delivery] = []
        seen: set[asyncio.Task[Delivery]] = set()
        while pending := [task for task in self._tasks if task not in seen]:
            seen.update(pending)
            done = await asyncio.gather(*pending, return_exceptions=True)
            results.extend(d for d in done if isinstance(d, Delivery))
        return results

    async def aclose(self) -> None:
        """Cancel the deliveries in flight (on exit; retries may be sleeping)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _body(self, config: NotifyConfig, event: str, text: str, fields: dict[str, Any]) -> bytes:
        # A status update may quote anything (a metric's error, a pasted line): no
        # secret from the environment leaves in a body, whatever its case or encoding.
        text = mask(text)
        fields = mask_payload(fields)
        if config.format == "slack":
            payload = slack_payload(event, text, fields)
        else:
            at = self._clock.now().isoformat()
            payload = json_payload(event, text, fields, at, self._incident)
        return json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")

    async def _deliver(
        self, config: NotifyConfig, event: str, text: str, fields: dict[str, Any]
    ) -> Delivery:
        masked = mask_url(config.url)
        body = self._body(config, event, text, fields)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        status: int | None = None
        error = ""
        attempt = 0
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.post(
                    config.url, content=body, headers=headers, timeout=self._timeout
                )
            except httpx.HTTPError as exc:
                status = None
                error = self._describe(exc, config.url, masked)
            else:
                status = response.status_code
                if status < 300:
                    return self._finish(Delivery(masked, event, True, attempt, status))
                error = f"HTTP {status}"
                if not _retryable(status):
                    break
            if attempt < self._attempts:
                await asyncio.sleep(self._base_delay * 2 ** (attempt - 1))
        return self._finish(Delivery(masked, event, False, attempt, status, error))

    @staticmethod
    def _describe(exc: Exception, url: str, masked: str) -> str:
        detail = str(exc).replace(url, masked)
        secret = urlsplit(url).path
        if len(secret) > 1:
            detail = detail.replace(secret, "/…")
        detail = detail or type(exc).__name__
        # Masked before the length cap, so a cut cannot leave half a secret behind.
        return clean(mask(f"{type(exc).__name__}: {detail}"), 300)

    def _finish(self, delivery: Delivery) -> Delivery:
        if not delivery.ok:
            self.last_failure = delivery
            if self._record is not None:
                payload = {
                    "url": delivery.url,
                    "event": delivery.event,
                    "attempts": delivery.attempts,
                    "status": delivery.status_code,
                    "error": delivery.error,
                }
                # A journal write that fails shows its own NOT SAVED banner; a webhook
                # failure must not turn into an exception in the caller.
                with contextlib.suppress(Exception):
                    self._record(NOTIFY_FAILED, payload)
        if self._on_result is not None:
            self._on_result(delivery)
        return delivery

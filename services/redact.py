"""Secrets out of everything shown or kept: one mechanism for every output path.

A value taken from the environment (`${env:NAME}`) is a secret. It comes back in
many shapes: a webhook host lower-cased by URL parsing (or IDNA-encoded), a query
string percent-encoded, an argv shell-quoted, an error JSON- or repr-escaped. A
`Redactor` knows every such form of its secrets and masks them all, whatever their
case, so each output path (screen, stderr, journal, report, webhooks) needs a single
call and no knowledge of where the text came from.

`load_config` registers the config's secrets here (`register`); code that has no
config at hand (a log follower's "running ..." line, an action's argv, a metric's
error) calls `mask` / `mask_payload`, which use every secret registered so far.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import re
import shlex
import threading
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

MIN_SECRET = 4
"""Shorter values are not masked: "1" or "on" would blot out unrelated text."""


def _host_forms(secret: str) -> set[str]:
    """How a secret reads once it has been part of a host name (IDNA / punycode)."""
    forms: set[str] = set()
    lowered = secret.lower()
    # Not every secret is a valid host name as a whole; its labels may still be.
    with contextlib.suppress(UnicodeError):
        forms.add(lowered.encode("idna").decode("ascii"))
    labels = []
    for label in lowered.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except UnicodeError:
            labels.append(label)
    forms.add(".".join(labels))
    return forms


def forms_of(secret: str) -> set[str]:
    """Every spelling of `secret` an output may carry (matched ignoring case)."""
    cased = {secret, secret.lower(), secret.upper(), secret.casefold()}
    forms = set(cased)
    for text in cased:
        forms.add(quote(text, safe=""))
        forms.add(quote(text))  # "/" kept, as in a URL path
        forms.add(quote_plus(text))
        forms.add(json.dumps(text)[1:-1])
        forms.add(json.dumps(text, ensure_ascii=False)[1:-1])
        forms.add(repr(text)[1:-1])
        forms.add(html.escape(text, quote=False))  # Slack's &amp; &lt; &gt;
        forms.add(shlex.quote(text))
    forms |= _host_forms(secret)
    return {form for form in forms if len(form) >= MIN_SECRET}


class Redactor:
    """Masks a fixed set of secrets, in every form `forms_of` knows, in text and payloads."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = frozenset(s for s in secrets if len(s) >= MIN_SECRET)
        forms: set[str] = set()
        for secret in self.secrets:
            forms |= forms_of(secret)
        # Longest first, so a form containing another is masked whole.
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in ordered), re.IGNORECASE) if ordered else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        """`text` with every form of every secret replaced by `MASK`."""
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def payload(self, value: Any) -> Any:
        """`value` (a JSON-like payload) with every secret inside its strings masked."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.payload(key): self.payload(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.payload(item) for item in value]
        return value


@functools.lru_cache(maxsize=16)
def redactor_for(secrets: frozenset[str]) -> Redactor:
    """The (cached) redactor of a set of secrets: building the pattern is not free."""
    return Redactor(secrets)


def redact(value: Any, secrets: Collection[str]) -> Any:
    """`value` (a JSON-like payload) with every secret inside its strings masked."""
    if not secrets:
        return value
    return redactor_for(frozenset(secrets)).payload(value)


# --- the process's registry -----------------------------------------------------------

_lock = threading.Lock()
_active = Redactor(())


def register(secrets: Iterable[str]) -> None:
    """Add secrets to those `mask` hides; never removes one (masking more is harmless)."""
    global _active
    with _lock:
        added = frozenset(secrets) | _active.secrets
        if added != _active.secrets:
            # Readers on other threads see the old or the new redactor, never half of one.
            _active = Redactor(added)


def registered() -> frozenset[str]:
    """The secrets `mask` hides now."""
    return _active.secrets


def mask(text: str) -> str:
    """`text` with every registered secret masked, in any case or encoding."""
    return _active.text(text)


def mask_payload(value: Any) -> Any:
    """A JSON-like payload with every registered secret masked in its strings."""
    return _active.payload(value)

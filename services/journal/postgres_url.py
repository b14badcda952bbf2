"""How a PostgreSQL journal is named: its URL, shown without the password, and the
server's messages, one line each with the password masked.

The password (from `${env:PGPASSWORD}` or the URL itself) is never in a message.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from warroom.services.redact import mask
from warroom.services.sanitize import clean

SCHEMES = ("postgresql", "postgres")
"""URL schemes that name a PostgreSQL journal (libpq accepts both)."""


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL journal."""
    return urlsplit(url).scheme in SCHEMES


def display_url(url: str) -> str:
    """The URL without its password: how the journal is named in every message."""
    parts = urlsplit(url)
    if parts.password is None:
        return clean(url, 300)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return clean(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), 300)


def server_message(exc: BaseException, url: str) -> str:
    """A server or driver message fit for the screen: one line, no password."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = urlsplit(url).password
    if password:
        text = text.replace(unquote(password), "***")
    return clean(mask(text), 300)

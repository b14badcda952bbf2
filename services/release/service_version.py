"""What the running service says it runs, read from its own HTTP answer.

Tags say what was released; only the service knows what it is running. `[git]
version_url` names a URL that answers with the version, either as JSON (with
`version_path`, a dotted path such as "build.version" or "items.0.version") or as
plain text (the first line). The answer is untrusted: it is capped, decoded with
replacement and sanitized here, once, and every failure becomes a one-line value.
"""

from __future__ import annotations

import functools
import json
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from warroom.services.sanitize import clean

VERSION_TIMEOUT = 3.0
"""Seconds allowed for the whole answer; the release bar waits for it in a thread."""

MAX_BODY = 64 * 1024
"""Most bytes read from the answer; a version document is far smaller."""

MAX_VERSION = 100
"""Longest version string kept (characters); longer ones are cut and marked."""


@dataclass(frozen=True)
class ServiceVersion:
    """The version the service reported (sanitized), or why it could not be read."""

    url: str
    """Where it was asked, without query or credentials (those may hold secrets)."""
    version: str | None = None
    error: str | None = None


class _Unreadable(Exception):
    """The answer came but holds no usable version; the message is the one line."""


def shown_url(url: str) -> str:
    """`url` as it may be shown: scheme, host, port and path only, sanitized."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return clean(url, 200)
    port = f":{parsed.port}" if parsed.port is not None else ""
    return clean(f"{parsed.scheme}://{parsed.host}{port}{parsed.path}", 200)


def value_at(doc: Any, path: str) -> Any:
    """The value at the dotted `path` in a JSON document; list items by index."""
    current = doc
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise _Unreadable(f"no {clean(path, 200)!r} in the answer (stopped at {clean(part)!r})")
    return current


def version_from_body(body: bytes, path: str | None) -> str:
    """The version in an answer body: at `path` in JSON, else the first line of the text."""
    if path is None:
        lines = body.decode("utf-8", errors="replace").strip().splitlines()
        text = lines[0].strip() if lines else ""
    else:
        try:
            doc = json.loads(body.decode("utf-8", errors="replace"))
        except ValueError:
            raise _Unreadable("the answer is not JSON") from None
        value = value_at(doc, path)
        # A number is taken as written ("2" for a major version); anything else is not a version.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            kind = "null" if value is None else type(value).__name__
            raise _Unreadable(f"{clean(path, 200)!r} is {kind}, not a version string")
        text = str(value).strip()
    if not text:
        raise _Unreadable("the answer holds an empty version")
    return clean(text, MAX_VERSION)


@functools.cache
def _tls(https: bool) -> ssl.SSLContext:
    """The TLS context of a read, built once per process (each build of httpx's own
    loads certifi's bundle: 20-40 ms). A plain-http URL gets one that trusts no
    authority: it never speaks TLS, and anything that tried would fail verification."""
    if https:
        return httpx.create_ssl_context(trust_env=False)
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def read_service_version(
    url: str, path: str | None = None, *, timeout: float = VERSION_TIMEOUT
) -> ServiceVersion:
    """Ask the service once what it runs (blocking: call it from a thread)."""
    where = shown_url(url)
    try:
        # Environment proxies are ignored, as for the probed endpoints: the war room
        # asks production directly unless the config says otherwise.
        with (
            httpx.Client(
                timeout=timeout,
                trust_env=False,
                verify=_tls(url.lower().startswith("https:")),
            ) as client,
            client.stream("GET", url, headers={"Accept": "application/json, text/plain"}) as answer,
        ):
            ok = 200 <= answer.status_code < 300
            # A health document answers 503 while production is failing (during an
            # incident, that is) and still names the release; a JSON version at the
            # path is taken whatever the status. Plain text needs a 2xx: an error
            # page's first line is not a version.
            if not ok and path is None:
                return ServiceVersion(where, error=f"HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    return ServiceVersion(where, error=f"the answer is over {MAX_BODY} bytes")
        try:
            return ServiceVersion(where, version=version_from_body(bytes(body), path))
        except _Unreadable as exc:
            problem = str(exc) if ok else f"HTTP {answer.status_code}, {exc}"
            return ServiceVersion(where, error=problem)
    except httpx.TimeoutException:
        return ServiceVersion(where, error=f"no answer within {timeout:g}s")
    except httpx.ConnectError as exc:
        return ServiceVersion(where, error=f"cannot connect: {clean(str(exc), 200)}")
    except httpx.HTTPError as exc:
        detail = clean(str(exc), 200) or type(exc).__name__
        return ServiceVersion(where, error=f"request failed: {detail}")

"""A probe's request, built as the shared client builds it, without rebuilding it each time.

An endpoint sends the same request every interval. `client.build_request` merges the
client's headers with the endpoint's, copies the cookie jar, parses the URL, encodes
the body and adds Host, once per probe: as much CPU as a probe's whole exchange over
a kept-alive connection. Here the request's method, URL, headers and body are built
once by httpx's own `Request` from exactly what the client would merge, and each probe
gets a fresh `httpx.Request` of those parts (its own headers and extensions).

The client's own merge is still used whenever its parts would differ from one probe to
the next or depend on more than the headers: cookies in the jar (the Cookie header
follows the jar), query parameters on the client, a relative URL (joined to the
client's base URL; configured endpoints are absolute), or a JSON body (not hashable,
and only the rare login smoke check sends one).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import httpx

NO_TIMEOUTS: dict[str, float | None] = httpx.Timeout(None).as_dict()
"""httpx's timeouts, all off: the probe's asyncio deadline decides."""

_HeaderItems = tuple[tuple[bytes, bytes], ...]


@functools.lru_cache(maxsize=4096)
def parsed_url(url: str) -> httpx.URL:
    """`url` parsed once: parsing it again for every probe costs more than the probe."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=4096)
def _parts(
    client_headers: _HeaderItems,
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
) -> tuple[str, httpx.URL, httpx.Headers, bytes]:
    """(method, URL, headers, body) of the request the client would build.

    The merge is the client's (its headers, then the endpoint's over them), and the
    request is httpx's, so Host and Content-Length come out as they always did.
    """
    merged = httpx.Headers(list(client_headers))
    merged.update(dict(headers))
    built = httpx.Request(method, parsed_url(url), headers=merged)
    return built.method, built.url, built.headers, built.read()


def probe_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: Mapping[str, str],
    json: Any,
    trace: Any,
) -> httpx.Request:
    """The request `client.build_request` would build, with the trace and no httpx timeouts."""
    extensions = {"trace": trace, "timeout": dict(NO_TIMEOUTS)}
    if json is not None or client.params or client.cookies or parsed_url(url).is_relative_url:
        return client.build_request(
            method, parsed_url(url), headers=headers, json=json, extensions=extensions
        )
    method, target, merged, body = _parts(
        tuple(client.headers.raw), method, url, tuple(headers.items())
    )
    request = httpx.Request(
        method, target, headers=merged, stream=httpx.ByteStream(body), extensions=extensions
    )
    request.read()  # the body is known: sent with the head, as a built request's is
    return request

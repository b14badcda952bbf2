"""One probe of one endpoint, cut at its total deadline, and what of the answer is kept.

A probe is one HTTP request cut at the endpoint's deadline, its body decoded up to
64 KiB (a bounded piece at a time, so a gzip bomb costs what a plain body does),
redirects followed only within the same host. A deadline is a deadline: an answer
that ends after it is a failure, whatever the server sent. Request headers (which carry
secrets) are never kept; response headers and the body excerpt are sanitized and
their secrets redacted.
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from warroom.services.clock import Clock
from warroom.services.config import EndpointConfig
from warroom.services.health.body import CappedDecoder, DecodeError
from warroom.services.health.classify import classify
from warroom.services.health.probe_request import probe_request
from warroom.services.health.status import ProbeResult, ProbeState, Reason
from warroom.services.sanitize import clean, clean_block

BODY_CAP = 64 * 1024
"""Most bytes of a response body kept, decoded; the rest is never read."""
COMPRESSED_CAP = 1024 * 1024
"""Most compressed bytes read of a body; one that decodes to little more is cut there."""
EXCERPT_CAP = 4 * 1024
"""Characters of the body kept in a result for the drill-down."""

MAX_REDIRECTS = 5

# --- sanitizing what is kept --------------------------------------------------------

_SECRET_HEADERS = {
    "set-cookie",
    "cookie",
    "authorization",
    "proxy-authorization",
    "www-authenticate",
}
_SECRET_JSON = re.compile(
    r'("[^"]*(?:token|secret|password|passwd|session|api[_-]?key)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


# A server answers the same headers and, when healthy, the same small body every
# interval: what is kept of them is remembered rather than sanitized and redacted again
# for every probe. The results are immutable strings; a header that changes every
# answer (Date) costs one miss per new value.


def _safe_headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    return tuple(_safe_header(key, value) for key, value in headers.multi_items())


@functools.lru_cache(maxsize=4096)
def _safe_header(key: str, value: str) -> tuple[str, str]:
    shown = "***" if key.lower() in _SECRET_HEADERS else clean(value, 500)
    return clean(key, 100), shown


def _excerpt(body: bytes) -> str:
    return _excerpt_of(bytes(body[:EXCERPT_CAP]))


@functools.lru_cache(maxsize=1024)
def _excerpt_of(head: bytes) -> str:
    text = head.decode("utf-8", errors="replace")
    text = _SECRET_JSON.sub(r'\1"***"', text)
    return clean_block(text, EXCERPT_CAP)


def _error_reason(exc: BaseException) -> Reason | None:
    """The reason hidden in an exception chain (DNS, refused, TLS), if recognisable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return Reason.DNS
        if isinstance(current, ssl.SSLError):
            return Reason.TLS
        if isinstance(current, ConnectionRefusedError):
            return Reason.REFUSED
        text = str(current).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return Reason.DNS
        if "temporary failure in name resolution" in text or "no address associated" in text:
            return Reason.DNS
        if "certificate" in text or "ssl" in text or "tls" in text:
            return Reason.TLS
        if "connection refused" in text or "errno 111" in text:
            return Reason.REFUSED
        current = current.__cause__ or current.__context__
    return None


_PHASES = {
    "connection.connect_tcp.started": "connect",  # again: a retry on a fresh connection
    "http11.send_request_headers.started": "request",
    "http11.receive_response_headers.started": "headers",
    "http11.receive_response_body.started": "body",
    "http2.send_request_headers.started": "request",
    "http2.receive_response_headers.started": "headers",
    "http2.receive_response_body.started": "body",
}
"""The trace events (httpcore's names) at which a probe enters a phase."""


class _Phase:
    """Where a probe is, so a deadline can say what it interrupted."""

    def __init__(self) -> None:
        self.name = "connect"

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        # Called seven times a probe: one lookup, not a chain of suffix tests.
        name = _PHASES.get(event)
        if name is not None:
            self.name = name


_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def _same_host(a: str, b: str) -> bool:
    return (urlsplit(a).hostname or "").lower() == (urlsplit(b).hostname or "").lower()


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    """The body decoded up to BODY_CAP, and whether it was cut there.

    The raw bytes are decoded here, a bounded piece per call, rather than by httpx,
    whose decoders inflate each received chunk whole: a gzip bomb would take
    hundreds of MB and block the event loop, and with it every other probe.
    """
    decoder = CappedDecoder(response.headers.get("content-encoding", ""), BODY_CAP, COMPRESSED_CAP)
    parts: list[bytes] = []
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):  # pragma: no cover - a sync transport
        raise httpx.StreamError("a synchronous response body")
    try:
        # The stream itself, not `aiter_raw`: its chunker, byte count and context add
        # a generator and more per chunk, and the caller closes the response anyway.
        async for raw in stream:
            parts.append(decoder.feed(raw))
            if decoder.cut:  # a body of exactly the cap is read to its end, and not cut
                break
    except DecodeError as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from None
    return b"".join(parts), decoder.cut


async def probe_endpoint(
    endpoint: EndpointConfig, client: httpx.AsyncClient, clock: Clock
) -> ProbeResult:
    """Probe `endpoint` once within its total deadline; never raises for network trouble."""
    at = clock.now()
    start = clock.monotonic()
    phase = _Phase()

    def failed(reason: Reason, detail: str) -> ProbeResult:
        return ProbeResult(ProbeState.DOWN, reason, at, detail=clean(detail, 300))

    url = endpoint.url
    method = endpoint.method
    body_json = endpoint.json_body
    loop = asyncio.get_running_loop()
    deadline = loop.time() + endpoint.timeout
    try:
        async with asyncio.timeout_at(deadline):
            for hop in range(MAX_REDIRECTS + 1):
                # The asyncio deadline decides; httpx's own timeouts are off.
                request = probe_request(
                    client, method, url, endpoint.headers, body_json, phase.trace
                )
                response = await client.send(request, stream=True)
                try:
                    location = (
                        response.headers.get("location")
                        if response.status_code in _REDIRECT_CODES
                        else None
                    )
                    if location is not None:
                        target = str(response.url.join(location))
                        if not _same_host(url, target):
                            return failed(Reason.REDIRECT, "redirect to another host")
                        if hop == MAX_REDIRECTS:
                            return failed(Reason.REDIRECT, "too many redirects")
                        if response.status_code in (301, 302, 303) and method == "POST":
                            method, body_json = "GET", None
                        url = target
                        continue
                    body, truncated = await _read_capped(response)
                finally:
                    await response.aclose()
                if loop.time() > deadline:
                    # The answer ended past the deadline (the loop was held up before
                    # the timer could fire): a deadline is a deadline, whatever came.
                    raise TimeoutError
                latency = (clock.monotonic() - start) * 1000.0
                state, reason, detail, checks = classify(
                    endpoint, response.status_code, body, truncated, latency
                )
                return ProbeResult(
                    state,
                    reason,
                    at,
                    status_code=response.status_code,
                    latency_ms=latency,
                    detail=detail,
                    body=_excerpt(body),
                    headers=_safe_headers(response.headers),
                    checks=checks,
                    bytes_read=len(body),
                    truncated=truncated,
                )
            return failed(Reason.REDIRECT, "too many redirects")  # pragma: no cover
    except TimeoutError:
        if phase.name == "connect":
            return failed(Reason.CONNECT_TIMEOUT, f"no connection within {endpoint.timeout:g}s")
        if phase.name in ("request", "headers"):
            return failed(Reason.READ_TIMEOUT, f"no answer within {endpoint.timeout:g}s")
        return failed(Reason.DEADLINE, f"body not complete within {endpoint.timeout:g}s")
    except httpx.ConnectTimeout:
        return failed(Reason.CONNECT_TIMEOUT, "connect timeout")
    except httpx.TimeoutException:
        return failed(Reason.READ_TIMEOUT, "read timeout")
    except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
        reason = _error_reason(exc)
        message = str(exc) or type(exc).__name__
        if reason is None:
            # A connection dropped mid-answer, a malformed response: it did not answer.
            reason = Reason.REFUSED if phase.name == "connect" else Reason.READ_TIMEOUT
        return failed(reason, message)

"""The one HTTP client every probe shares, built from the configured endpoints.

Its transport keeps an idle connection per endpoint between probes; an endpoint's own
TLS settings or proxy apply to its host only, and the environment's are ignored.
"""

from __future__ import annotations

import ssl
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from warroom.services.config import EndpointConfig
from warroom.services.health.transport import ProbeTransport

ACCEPT_ENCODING = "gzip, deflate"
"""The codings offered: those decoded a bounded piece at a time (services/health/body.py)."""

PROXY_KEEPALIVE = 16
"""Connections kept alive by the transport of an endpoint that goes through a proxy."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"all://{parts.hostname or ''}"


def _ssl_context(endpoint: EndpointConfig) -> ssl.SSLContext | bool:
    if not endpoint.verify_tls:
        return False
    if endpoint.ca_file is not None:
        return ssl.create_default_context(cafile=endpoint.ca_file)
    return True


def _origin_key(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
    )


_SET_COOKIE = (b"set-cookie", b"set-cookie2")


class _Cookies(httpx.Cookies):
    """The client's cookie jar; an answer that sets no cookie skips the jar's costly lookup."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if any(name.lower() in _SET_COOKIE for name, _ in response.headers.raw):
            super().extract_cookies(response)


class _Client(httpx.AsyncClient):
    """An `httpx.AsyncClient` whose cookie jar is a `_Cookies`: the same cookies, kept faster."""

    def __init__(self, **kwargs: Any) -> None:
        self._jar = _Cookies(kwargs.pop("cookies", None))
        super().__init__(**kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = _Cookies(cookies)


def make_client(endpoints: Sequence[EndpointConfig]) -> httpx.AsyncClient:
    """The one shared client for every probe.

    Its transport is `ProbeTransport`, which keeps one idle connection per endpoint
    alive between probes. Proxies and CA bundles from the environment are ignored
    (trust_env=False); an endpoint's own `verify_tls = false` or `ca_file` applies to
    its host only, and an endpoint with a `proxy` goes through httpx's own transport.
    """
    per_origin = Counter(_origin_key(e.url) for e in endpoints if e.proxy is None)
    idle = max(per_origin.values(), default=1)
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for endpoint in endpoints:
        if endpoint.proxy is not None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=PROXY_KEEPALIVE)
            mounts[_origin(endpoint.url)] = httpx.AsyncHTTPTransport(
                verify=_ssl_context(endpoint), proxy=endpoint.proxy, trust_env=False, limits=limits
            )
        elif not endpoint.verify_tls or endpoint.ca_file is not None:
            mounts[_origin(endpoint.url)] = ProbeTransport(
                verify=_ssl_context(endpoint), max_idle_per_origin=idle
            )
    return _Client(
        trust_env=False,
        follow_redirects=False,
        transport=ProbeTransport(max_idle_per_origin=idle),
        mounts=mounts,
        headers={"user-agent": "warroom-probe", "accept-encoding": ACCEPT_ENCODING},
    )

"""The probes' HTTP/1.1 transport: h11 for the framing, asyncio protocols, keep-alive pools.

`ProbeTransport` is an `httpx.AsyncBaseTransport`, so probes still go through one
shared `httpx.AsyncClient`. The wire format (status line, headers, Content-Length,
chunked and read-until-close bodies, no body for HEAD, 1xx, 204 and 304, interim 1xx
answers, `Connection: close` both ways) is h11's: one connection moves bytes between an
`asyncio.Protocol` and an `h11.Connection` and maps h11's errors to httpx's in one
place (services/health/h11_connection.py); one request and its streamed answer are
services/health/h11_exchange.py; this module holds the pool, the connecting and TLS.

What it adds around h11: idle connections are kept per origin (scheme, host, port)
and reused last-in first-out; one the server closed while idle is dropped, and a
request that finds its reused connection closed before any byte of the answer is
sent again once on a fresh connection. Bodies are streamed, with reading from the
socket paused while the reader lags, so a huge body is never buffered; bytes are
handed to h11 only when it needs more. The status line and headers together are
capped at `HEAD_CAP` bytes, interim answers at `MAX_INTERIM`, and a buffer of tiny
events gives the loop to other tasks every `EVENTS_PER_TURN` events. The httpx
"trace" extension is called at the same points httpcore calls it
("connection.connect_tcp", "connection.start_tls",
"http11.send_request_headers", "http11.send_request_body",
"http11.receive_response_headers", "http11.receive_response_body",
"http11.response_closed"), so the probes can tell where a failure struck, and
httpx's connect and read timeouts apply.

Not supported: proxies (mount an `httpx.AsyncHTTPTransport` for those), HTTP/2,
`Expect: 100-continue`, protocol upgrades and pipelining; an HTTP/1.0 answer closes
its connection (h11 keeps only HTTP/1.1 connections alive). A connection is returned
to its pool only when its answer was read to the end (or had fully arrived by the
time the response was closed); a body left unread, an error or a cancellation
closes it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque

import httpx

from warroom.services.health.h11_connection import H11Connection, StaleConnection
from warroom.services.health.h11_exchange import Origin, Trace, exchange

KEEPALIVE_EXPIRY = 30.0
"""Seconds an idle connection is kept; older ones are closed instead of reused."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


class ProbeTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio with a keep-alive pool per origin; `http` and `https`.

    `verify` is True (the default CA bundle, loaded on the first https request),
    False (no certificate check) or an `ssl.SSLContext`. At most
    `max_idle_per_origin` idle connections are kept per origin, each at most
    `keepalive_expiry` seconds.
    """

    def __init__(
        self,
        verify: ssl.SSLContext | bool = True,
        max_idle_per_origin: int = 16,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._max_idle = max_idle_per_origin
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, deque[H11Connection]] = {}
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # loading the CA bundle takes ~0.1 s: only when needed
            self._ssl = httpx.create_ssl_context(verify=self._verify, trust_env=False)
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    # --- the pool

    def _acquire(self, origin: Origin, now: float) -> H11Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable and now - conn.idle_since < self._expiry:
                return conn
            conn.close()
        return None

    def release(self, origin: Origin, conn: H11Connection) -> None:
        """Keep `conn` for the next request to `origin`, or close it if it cannot serve one."""
        if self._closed or not conn.usable:
            conn.close()
            return
        now = conn.loop.time()
        conn.idle_since = now
        idle = self._idle.get(origin)
        if idle is None:
            idle = self._idle[origin] = deque()
        idle.append(conn)
        # The oldest connections sit at the left: close those that expired or ended.
        while idle and (
            len(idle) > self._max_idle
            or now - idle[0].idle_since >= self._expiry
            or not idle[0].usable
        ):
            idle.popleft().close()

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()

    # --- one request

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        host = url.raw_host.decode("ascii")
        origin = (scheme, host, url.port or _DEFAULT_PORTS[scheme])
        extensions = request.extensions
        trace: Trace | None = extensions.get("trace")
        timeouts = extensions.get("timeout", {})
        loop = asyncio.get_running_loop()
        conn = self._acquire(origin, loop.time())
        if conn is not None:
            try:
                return await exchange(self, origin, conn, request, timeouts, trace, True)
            except StaleConnection:
                pass  # closed by the server while idle: once more on a new connection
        conn = await self._connect(loop, origin, timeouts.get("connect"), trace)
        try:
            return await exchange(self, origin, conn, request, timeouts, trace, False)
        except StaleConnection:  # pragma: no cover - only raised for reused connections
            raise httpx.RemoteProtocolError("server closed the connection") from None

    async def _connect(
        self,
        loop: asyncio.AbstractEventLoop,
        origin: Origin,
        timeout: float | None,
        trace: Trace | None,
    ) -> H11Connection:
        scheme, host, port = origin
        conn = H11Connection(loop)
        try:
            async with asyncio.timeout(timeout):
                if trace is not None:
                    await trace("connection.connect_tcp.started", {"host": host, "port": port})
                try:
                    await loop.create_connection(lambda: conn, host, port)
                except OSError as exc:  # gaierror (DNS), refused, unreachable
                    raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
                if trace is not None:
                    await trace("connection.connect_tcp.complete", {})
                if scheme == "https":
                    context = self._ssl_context()
                    if trace is not None:
                        await trace("connection.start_tls.started", {})
                    assert conn.transport is not None
                    try:
                        tls = await loop.start_tls(
                            conn.transport, conn, context, server_hostname=host
                        )
                    except (OSError, ssl.SSLError) as exc:
                        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
                    if tls is None:  # pragma: no cover - only when the transport closed
                        raise httpx.ConnectError("connection closed during the TLS handshake")
                    conn.transport = tls
                    if trace is not None:
                        await trace("connection.start_tls.complete", {})
        except TimeoutError:
            conn.close()
            raise httpx.ConnectTimeout(f"no connection within {timeout:g}s") from None
        except BaseException:
            conn.close()
            raise
        return conn

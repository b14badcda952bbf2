"""The probes' HTTP/1.1 transport: h11 for the framing, asyncio protocols, keep-alive pools.

`ProbeTransport` is an `httpx.AsyncBaseTransport`, so probes still go through one
shared `httpx.AsyncClient`. The wire format (status line, headers, Content-Length,
chunked and read-until-close bodies, no body for HEAD, 1xx, 204 and 304, interim 1xx
answers, `Connection: close` both ways) is h11's: this module moves bytes between an
`asyncio.Protocol` connection and an `h11.Connection`, and maps h11's errors to
httpx's in one place (`_remote_error` for the server's bytes, `_local_error` for a
request h11 refuses to write).

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
import functools
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, cast

import h11
import httpx

HEAD_CAP = 64 * 1024
"""Most bytes of a status line and headers (or of a chunk-size or trailer line)."""
READ_HIGH = 256 * 1024
"""Buffered bytes at which reading from the socket pauses until the reader catches up."""
READ_LOW = 64 * 1024
KEEPALIVE_EXPIRY = 30.0
"""Seconds an idle connection is kept; older ones are closed instead of reused."""
MAX_INTERIM = 8
"""Most interim (1xx) answers before the final one; more is a malformed response."""
EVENTS_PER_TURN = 64
"""Events parsed from bytes already here before other tasks get a turn of the loop."""

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]
Origin = tuple[str, str, int]
Event = h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_END = h11.EndOfMessage()
"""The end of a request; h11 events are immutable, so one serves every request."""


class _Stale(Exception):
    """A reused connection turned out closed before any byte of the answer."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: its socket's receive buffer, and h11's view of it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_CAP)
        self.buffer = bytearray()
        """Bytes received and not yet handed to h11."""
        self.received = 0
        """Bytes received since the current request was sent."""
        self.eof = False
        self.eof_told = False
        """Whether h11 was told that the server closed its side."""
        self.error: BaseException | None = None
        self.idle_since = 0.0
        self._waiter: asyncio.Future[bool] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self._streak = 0
        """Events returned in a row without waiting for the socket."""

    # --- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received += len(data)
        if len(self.buffer) >= READ_HIGH and not self._read_paused and self.transport:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # --- used by the transport

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    @property
    def usable(self) -> bool:
        """Whether the connection can carry a new request (open, idle, nothing unread)."""
        transport = self.transport
        return (
            not self.eof
            and not self.buffer
            and self.h11.our_state is h11.IDLE
            and transport is not None
            and not transport.is_closing()
        )

    def send(self, event: h11.Event) -> bytes:
        """The bytes of `event`; a request h11 refuses to write is httpx's LocalProtocolError."""
        try:
            return self.h11.send(event) or b""
        except h11.LocalProtocolError as exc:
            raise _local_error(exc) from exc

    def poll(self) -> Event:
        """The next event from the bytes already here; h11.NEED_DATA when they are not enough."""
        conn = self.h11
        while True:
            state = conn.their_state
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise _remote_error(self, exc, state) from exc
            if event is not h11.NEED_DATA or not self.buffer:
                return event
            # h11 copies what it is given: hand it the buffer only once it needs more,
            # so unread bytes wait here, where they pause the socket.
            conn.receive_data(bytes(self.buffer))
            self.buffer.clear()
            self.consumed()

    async def next_event(self, timeout: float | None, reused: bool = False) -> Event:
        """The next event, waiting for bytes as needed; httpx.ReadTimeout after `timeout`."""
        while True:
            event = self.poll()
            if event is not h11.NEED_DATA:
                self._streak += 1
                if self._streak >= EVENTS_PER_TURN:
                    # A buffer full of tiny chunks is tens of thousands of events that
                    # need no wait: let the other probes run now and then meanwhile.
                    self._streak = 0
                    await asyncio.sleep(0)
                return event
            if self.eof and not self.eof_told:
                if reused and self.received == 0:
                    raise _Stale
                self.eof_told = True
                self.h11.receive_data(b"")
                continue
            self._streak = 0
            await self.wait(timeout)

    async def wait(self, timeout: float | None) -> None:
        """Wait for more bytes or the end of the stream; httpx.ReadTimeout after `timeout`."""
        if self.eof:  # nothing more can come: the next poll decides
            return
        waiter: asyncio.Future[bool] = self.loop.create_future()
        self._waiter = waiter
        timer = None
        if timeout is not None:
            timer = self.loop.call_later(timeout, _expire, waiter)
        try:
            arrived = await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        if not arrived:
            raise httpx.ReadTimeout("no data within the read timeout")

    def consumed(self) -> None:
        """Resume reading once the reader has emptied the buffer enough."""
        if self._read_paused and len(self.buffer) <= READ_LOW and self.transport:
            self._read_paused = False
            self.transport.resume_reading()

    def finish_cycle(self) -> bool:
        """After a complete answer: make the connection ready for the next request.

        False when it cannot carry one (either side asked to close, or bytes beyond
        the answer arrived, which no request asked for).
        """
        conn = self.h11
        if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            return False
        if self.buffer or self.eof or conn.trailing_data[0]:  # bytes no request asked for
            return False
        conn.start_next_cycle()
        return True

    async def write(self, data: bytes) -> None:
        """Send `data`, waiting while the socket's send buffer is full."""
        transport = self.transport
        if transport is None or transport.is_closing():
            raise httpx.WriteError("connection closed")
        transport.write(data)
        while self._write_paused and not self.eof:
            self._drain = self.loop.create_future()
            try:
                await self._drain
            finally:
                self._drain = None

    def close(self) -> None:
        """Close the connection at once, whatever is still unsent or unread."""
        if self.transport is not None:
            self.transport.abort()
        self.eof = True


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _request_event(request: httpx.Request) -> h11.Request:
    """The h11 request line and headers of `request`, validated as h11 writes them."""
    headers = tuple(request.headers.raw)
    return _cached_request_event(request.method, request.url.raw_path, headers)


@functools.lru_cache(maxsize=1024)
def _cached_request_event(
    method: str, target: bytes, headers: tuple[tuple[bytes, bytes], ...]
) -> h11.Request:
    """An h11 request event, kept: a probe sends the same request every interval.

    h11 validates every header as the event is built, which costs as much as the
    rest of a probe's request; its events are immutable, so one can be sent again
    on any connection. A request h11 refuses is not kept (the error is raised).
    """
    try:
        return h11.Request(method=method, target=target, headers=list(headers))
    except h11.LocalProtocolError as exc:
        raise _local_error(exc) from exc


def _local_error(exc: h11.LocalProtocolError) -> httpx.LocalProtocolError:
    """The httpx error for a request h11 refuses to write.

    h11 quotes an invalid header value in its message; a header often carries a
    secret, so the value is left out.
    """
    text = str(exc)
    for what in ("header value", "header name"):
        if text.startswith(f"Illegal {what}"):
            return httpx.LocalProtocolError(
                f"a request {what} is not valid HTTP (a line break or control character)"
            )
    return httpx.LocalProtocolError(text)


def _remote_error(
    conn: _Connection, exc: h11.RemoteProtocolError, state: object
) -> httpx.TransportError:
    """The httpx error for what h11 found wrong with the server's bytes, in our words.

    `state` is the server's side before the failing event (h11 has set it to ERROR
    since). The wording names what broke: the head, the body, or the connection.
    """
    text = str(exc)
    in_head = state is h11.SEND_RESPONSE
    if conn.eof_told:  # the server closed its side before the answer was complete
        if conn.error is not None:  # a reset, not a clean close
            error: httpx.TransportError = httpx.ReadError(str(conn.error) or text)
            error.__cause__ = conn.error
            return error
        if not in_head:
            what = "before the end of the body"
        elif conn.received == 0:
            what = "without a response"
        else:
            what = "mid-head"
        return httpx.RemoteProtocolError(f"server closed the connection {what}")
    if exc.error_status_hint == 431 or text == "Receive buffer too long":
        if in_head:
            return httpx.RemoteProtocolError(f"response head over {HEAD_CAP // 1024} KiB")
        return httpx.RemoteProtocolError("chunked body line too long")
    if text.startswith("illegal status line"):
        return httpx.RemoteProtocolError(
            "malformed status line" + text[len("illegal status line") :]
        )
    if text.startswith("illegal chunk header"):
        return httpx.RemoteProtocolError(
            "malformed chunk size" + text[len("illegal chunk header") :]
        )
    return httpx.RemoteProtocolError(f"malformed response: {text}")


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection as the reader asks for it."""

    def __init__(
        self,
        pool: ProbeTransport,
        origin: Origin,
        conn: _Connection,
        timeout: float | None,
        trace: Trace | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: _Connection | None = conn
        self._timeout = timeout
        self._trace = trace
        self._started = False
        self._complete = False

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if conn is None or self._complete:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            if self._trace is not None:
                await self._trace("http11.receive_response_body.started", {})
        while True:
            event = await conn.next_event(self._timeout)
            if type(event) is h11.Data:
                if event.data:
                    return bytes(event.data)
                continue
            if type(event) is h11.EndOfMessage:
                self._complete = True
                raise StopAsyncIteration
            raise httpx.RemoteProtocolError(f"unexpected {event!r} in a response body")

    def _drain_arrived(self, conn: _Connection) -> None:
        """Read what is already here, never waiting: a short body (a redirect's) may be whole."""
        try:
            while True:
                event = conn.poll()
                if type(event) is h11.EndOfMessage:
                    self._complete = True
                    return
                if type(event) is not h11.Data:
                    return
        except httpx.RemoteProtocolError:
            return

    async def aclose(self) -> None:
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        if not self._complete and not conn.eof:
            self._drain_arrived(conn)
        if self._complete and conn.finish_cycle():
            self._pool.release(self._origin, conn)
        else:
            conn.close()
        if self._trace is not None:
            await self._trace("http11.response_closed.started", {})


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
        self._idle: dict[Origin, deque[_Connection]] = {}
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # loading the CA bundle takes ~0.1 s: only when needed
            self._ssl = httpx.create_ssl_context(verify=self._verify, trust_env=False)
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    # --- the pool

    def _acquire(self, origin: Origin, now: float) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable and now - conn.idle_since < self._expiry:
                return conn
            conn.close()
        return None

    def release(self, origin: Origin, conn: _Connection) -> None:
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
                return await self._exchange(origin, conn, request, timeouts, trace, True)
            except _Stale:
                pass  # closed by the server while idle: once more on a new connection
        conn = await self._connect(loop, origin, timeouts.get("connect"), trace)
        try:
            return await self._exchange(origin, conn, request, timeouts, trace, False)
        except _Stale:  # pragma: no cover - only raised for reused connections
            raise httpx.RemoteProtocolError("server closed the connection") from None

    async def _connect(
        self,
        loop: asyncio.AbstractEventLoop,
        origin: Origin,
        timeout: float | None,
        trace: Trace | None,
    ) -> _Connection:
        scheme, host, port = origin
        conn = _Connection(loop)
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

    async def _exchange(
        self,
        origin: Origin,
        conn: _Connection,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        trace: Trace | None,
        reused: bool,
    ) -> httpx.Response:
        """Send `request` on `conn` and read the answer's head; the body streams later."""
        try:
            conn.received = 0
            if trace is not None:
                await trace("http11.send_request_headers.started", {"request": request})
            head = conn.send(_request_event(request))
            try:
                body: bytes | None = request.content
            except httpx.RequestNotRead:
                body = None
            if body is not None:
                if body:
                    head += conn.send(h11.Data(data=body))
                head += conn.send(_END)
                try:
                    await conn.write(head)
                except httpx.WriteError:
                    if reused:
                        raise _Stale from None
                    raise
            else:
                await conn.write(head)
                if trace is not None:
                    await trace("http11.send_request_body.started", {"request": request})
                stream = request.stream
                if not isinstance(stream, httpx.AsyncByteStream):
                    raise httpx.LocalProtocolError("a synchronous request body")
                async for part in stream:
                    if part:
                        await conn.write(conn.send(h11.Data(data=part)))
                await conn.write(conn.send(_END))
            read_timeout = timeouts.get("read")
            if trace is not None:
                await trace("http11.receive_response_headers.started", {"request": request})
            for _ in range(MAX_INTERIM + 1):
                event = await conn.next_event(read_timeout, reused)
                if type(event) is h11.Response:
                    break
                if type(event) is not h11.InformationalResponse:  # pragma: no cover
                    raise httpx.RemoteProtocolError(f"unexpected {event!r} instead of an answer")
                reused = False  # an interim answer arrived: the connection is live
            else:
                raise httpx.RemoteProtocolError(f"more than {MAX_INTERIM} interim (1xx) answers")
            if trace is not None:
                await trace("http11.receive_response_headers.complete", {"request": request})
        except BaseException:
            conn.close()
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, origin, conn, read_timeout, trace),
            extensions={
                "http_version": b"HTTP/" + event.http_version,
                "reason_phrase": event.reason,
            },
        )

"""A lean HTTP/1.1 transport for the probes: asyncio protocols and keep-alive pools.

`ProbeTransport` is an `httpx.AsyncBaseTransport`, so probes still go through one
shared `httpx.AsyncClient`; it speaks HTTP/1.1 itself over `asyncio.Protocol`
connections, plain or TLS. Idle connections are kept per origin (scheme, host, port)
and reused last-in first-out; one the server closed while idle is dropped, and a
request that finds its reused connection closed before any byte of the answer is
sent again once on a fresh connection.

Supported: Content-Length, chunked and read-until-close bodies; no body for HEAD, 1xx,
204 and 304; `Connection: close` both ways; interim 1xx answers skipped; bodies
streamed, with reading paused while the reader lags, so a huge body is never
buffered. The status line and headers together are capped at `HEAD_CAP` bytes, and
anything longer or malformed is an `httpx.RemoteProtocolError`. The httpx "trace"
extension is called at the same points httpcore calls it ("connection.connect_tcp",
"connection.start_tls", "http11.send_request_headers", "http11.send_request_body",
"http11.receive_response_headers", "http11.receive_response_body",
"http11.response_closed"), and httpx's connect and read timeouts apply.

Not supported: proxies (mount an `httpx.AsyncHTTPTransport` for those), HTTP/2,
`Expect: 100-continue`, protocol upgrades and pipelining. A connection is returned to
its pool only when its answer was read to the end (or had fully arrived by the time
the response was closed); a body left unread, an error or a cancellation closes it.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx

HEAD_CAP = 64 * 1024
"""Most bytes of a status line and headers; a longer head is a malformed response."""
CHUNK_LINE_CAP = 4 * 1024
"""Most bytes of one chunk-size line or trailer line of a chunked body."""
READ_HIGH = 256 * 1024
"""Buffered bytes at which reading from the socket pauses until the reader catches up."""
READ_LOW = 64 * 1024
KEEPALIVE_EXPIRY = 30.0
"""Seconds an idle connection is kept; older ones are closed instead of reused."""

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]
Origin = tuple[str, str, int]

_BLANK_LINE = re.compile(rb"\n\r?\n")
_VERSION = re.compile(rb"HTTP/1\.[0-9]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Stale(Exception):
    """A reused connection turned out closed before any byte of the answer."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a receive buffer and a future to wait for more."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.received = 0
        """Bytes received since the current request was sent."""
        self.eof = False
        self.error: BaseException | None = None
        self.idle_since = 0.0
        self._waiter: asyncio.Future[bool] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False

    # --- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.received += len(data)
        if len(self.buffer) >= READ_HIGH and not self._read_paused and self.transport:
            self._read_paused = True
            self.transport.pause_reading()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

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
        """Whether the connection can carry a new request (open, nothing unread)."""
        transport = self.transport
        return (
            not self.eof
            and not self.buffer
            and transport is not None
            and not transport.is_closing()
        )

    async def wait(self, timeout: float | None) -> None:
        """Wait for more bytes or the end of the stream; httpx.ReadTimeout after `timeout`."""
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


def _closed_error(conn: _Connection, what: str) -> httpx.TransportError:
    """The error for a connection that ended while `what` was awaited."""
    if conn.error is not None:
        error: httpx.TransportError = httpx.ReadError(str(conn.error) or what)
        error.__cause__ = conn.error
        return error
    return httpx.RemoteProtocolError(f"server closed the connection {what}")


async def _read_head(
    conn: _Connection, timeout: float | None, reused: bool
) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    """(version, status, reason phrase, raw headers) of the next response head."""
    buffer = conn.buffer
    scan = 0
    while True:
        if scan == 0:  # blank lines before a status line are ignored
            while buffer and buffer[0] in b"\r\n":
                del buffer[:1]
        match = _BLANK_LINE.search(buffer, scan)
        if match is not None:
            end = match.start()
            if match.end() > HEAD_CAP:
                raise httpx.RemoteProtocolError(f"response head over {HEAD_CAP // 1024} KiB")
            head = bytes(buffer[:end])
            del buffer[: match.end()]
            conn.consumed()
            return _parse_head(head)
        if len(buffer) > HEAD_CAP:
            raise httpx.RemoteProtocolError(f"response head over {HEAD_CAP // 1024} KiB")
        scan = max(0, len(buffer) - 2)
        if conn.eof:
            if reused and conn.received == 0:
                raise _Stale
            if buffer:
                raise httpx.RemoteProtocolError("server closed the connection mid-head")
            raise _closed_error(conn, "without a response")
        await conn.wait(timeout)


def _parse_head(head: bytes) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\n")
    status_line = lines[0].rstrip(b"\r")
    parts = status_line.split(b" ", 2)
    if (
        len(parts) < 2
        or not _VERSION.fullmatch(parts[0])
        or len(parts[1]) != 3
        or not parts[1].isdigit()
    ):
        raise httpx.RemoteProtocolError(f"malformed status line {status_line[:80]!r}")
    reason = parts[2] if len(parts) == 3 else b""
    headers: list[tuple[bytes, bytes]] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):  # obsolete line folding: part of the previous value
            if not headers:
                raise httpx.RemoteProtocolError("malformed header line")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or name[-1:] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError(f"malformed header line {line[:80]!r}")
        headers.append((name, value.strip(b" \t")))
    return parts[0], int(parts[1]), reason, headers


def _tokens(value: bytes) -> list[bytes]:
    return [t.strip(b" \t").lower() for t in value.split(b",")]


_FIXED, _CHUNKED, _UNTIL_CLOSE = 0, 1, 2
# The states of a chunked body.
_SIZE, _DATA, _DATA_END, _TRAILER = 0, 1, 2, 3


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection as the reader asks for it."""

    def __init__(
        self,
        pool: ProbeTransport,
        origin: Origin,
        conn: _Connection,
        mode: int,
        length: int,
        keep_alive: bool,
        timeout: float | None,
        trace: Trace | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: _Connection | None = conn
        self._mode = mode
        self._left = length
        """Bytes left of a fixed body or of the current chunk."""
        self._chunk_state = _SIZE
        self._keep_alive = keep_alive
        self._timeout = timeout
        self._trace = trace
        self._started = False
        self._complete = mode == _FIXED and length == 0

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
            chunk = self._take(conn)
            if chunk:
                return chunk
            if self._complete:
                raise StopAsyncIteration
            if conn.eof:  # nothing more will come, and what is here is not enough
                if self._mode == _UNTIL_CLOSE:
                    self._complete = True
                    raise StopAsyncIteration
                raise _closed_error(conn, "before the end of the body")
            await conn.wait(self._timeout)

    def _take(self, conn: _Connection) -> bytes:
        """Body bytes already received (maybe none); marks the body complete at its end."""
        buffer = conn.buffer
        if self._mode == _FIXED:
            if not buffer:
                return b""
            n = self._left
            if len(buffer) <= n:
                chunk = bytes(buffer)
                buffer.clear()
            else:
                chunk = bytes(buffer[:n])
                del buffer[:n]
            self._left -= len(chunk)
            self._complete = self._left == 0
            conn.consumed()
            return chunk
        if self._mode == _UNTIL_CLOSE:
            chunk = bytes(buffer)
            buffer.clear()
            conn.consumed()
            return chunk
        return self._take_chunked(conn)

    def _take_chunked(self, conn: _Connection) -> bytes:
        buffer = conn.buffer
        while True:
            state = self._chunk_state
            if state == _DATA:
                if not buffer:
                    return b""
                n = self._left
                chunk = bytes(buffer[:n])
                del buffer[:n]
                self._left -= len(chunk)
                if self._left == 0:
                    self._chunk_state = _DATA_END
                conn.consumed()
                return chunk
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > CHUNK_LINE_CAP:
                    raise httpx.RemoteProtocolError("chunked body line too long")
                return b""
            if end > CHUNK_LINE_CAP:
                raise httpx.RemoteProtocolError("chunked body line too long")
            line = bytes(buffer[:end]).rstrip(b"\r")
            del buffer[: end + 1]
            if state == _SIZE:
                size_text = line.split(b";", 1)[0].strip(b" \t")
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise httpx.RemoteProtocolError("malformed chunk size") from None
                if size < 0 or size_text[:1] in (b"+", b"-"):
                    raise httpx.RemoteProtocolError("malformed chunk size")
                if size == 0:
                    self._chunk_state = _TRAILER
                else:
                    self._left = size
                    self._chunk_state = _DATA
            elif state == _DATA_END:
                if line:
                    raise httpx.RemoteProtocolError("chunk not followed by CRLF")
                self._chunk_state = _SIZE
            elif not line:  # the blank line after the trailers: the body is complete
                self._complete = True
                conn.consumed()
                return b""

    async def aclose(self) -> None:
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        if not self._complete and conn.buffer and not conn.eof:
            # A short body still unread (a redirect's) may already be here in full.
            try:
                while self._take(conn):
                    pass
            except httpx.RemoteProtocolError:
                pass
        if self._complete and self._keep_alive:
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
            head, keep_alive = _request_head(request)
            conn.received = 0
            if trace is not None:
                await trace("http11.send_request_headers.started", {"request": request})
            try:
                body: bytes | None = request.content
            except httpx.RequestNotRead:
                body = None
            if body is not None:
                try:
                    await conn.write(head + body if body else head)
                except httpx.WriteError:
                    if reused:
                        raise _Stale from None
                    raise
            else:
                await conn.write(head)
                if trace is not None:
                    await trace("http11.send_request_body.started", {"request": request})
                chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
                stream = request.stream
                if not isinstance(stream, httpx.AsyncByteStream):
                    raise httpx.LocalProtocolError("a synchronous request body")
                async for part in stream:
                    if part:
                        await conn.write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
                if chunked:
                    await conn.write(b"0\r\n\r\n")
            read_timeout = timeouts.get("read")
            if trace is not None:
                await trace("http11.receive_response_headers.started", {"request": request})
            while True:
                version, status, reason, headers = await _read_head(conn, read_timeout, reused)
                if status < 100 or status >= 200 or status == 101:
                    break
                reused = False  # an interim answer arrived: the connection is live
            mode, length, response_keep_alive = _framing(request.method, version, status, headers)
            if trace is not None:
                await trace("http11.receive_response_headers.complete", {"request": request})
        except BaseException:
            conn.close()
            raise
        body_stream = _Body(
            self,
            origin,
            conn,
            mode,
            length,
            keep_alive and response_keep_alive,
            read_timeout,
            trace,
        )
        return httpx.Response(
            status,
            headers=headers,
            stream=body_stream,
            extensions={"http_version": version, "reason_phrase": reason},
        )


def _request_head(request: httpx.Request) -> tuple[bytes, bool]:
    """The request line and headers, and whether the request lets the connection stay."""
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    has_host = False
    keep_alive = True
    for name, value in request.headers.raw:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise httpx.LocalProtocolError("a header contains a line break")
        lower = name.lower()
        if lower == b"host":
            has_host = True
        elif lower == b"connection" and b"close" in _tokens(value):
            keep_alive = False
        parts += (name, b": ", value, b"\r\n")
    if not has_host:
        parts[4:4] = (b"Host: ", request.url.netloc, b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts), keep_alive


def _framing(
    method: str, version: bytes, status: int, headers: list[tuple[bytes, bytes]]
) -> tuple[int, int, bool]:
    """(body mode, fixed length, keep-alive) of a response, per RFC 9112 section 6."""
    length: int | None = None
    chunked = False
    encoded = False
    close = False
    keep_alive_token = False
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            for item in value.split(b","):
                item = item.strip(b" \t")
                if not item.isdigit() or (length is not None and int(item) != length):
                    raise httpx.RemoteProtocolError("malformed Content-Length")
                length = int(item)
        elif lower == b"transfer-encoding":
            encoded = True
            chunked = _tokens(value)[-1] == b"chunked"
        elif lower == b"connection":
            tokens = _tokens(value)
            close = close or b"close" in tokens
            keep_alive_token = keep_alive_token or b"keep-alive" in tokens
    keep_alive = not close and (version != b"HTTP/1.0" or keep_alive_token)
    if method == "HEAD" or status < 200 or status in (204, 304):
        return _FIXED, 0, keep_alive and status != 101
    if encoded:
        if chunked:  # a Content-Length beside it is ignored, and the connection not kept
            return _CHUNKED, 0, keep_alive and length is None
        return _UNTIL_CLOSE, 0, False
    if length is not None:
        return _FIXED, length, keep_alive
    return _UNTIL_CLOSE, 0, False

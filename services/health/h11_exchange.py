"""One request and its answer over a probe connection: the head sent, the body streamed.

The httpx "trace" extension is called at the same points httpcore calls it, so a probe
can tell where a failure struck. A connection goes back to its pool only when its
answer was read to the end (or had fully arrived by the time the response was closed);
a body left unread, an error or a cancellation closes it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import h11
import httpx

from warroom.services.health.h11_connection import H11Connection, StaleConnection, local_error

MAX_INTERIM = 8
"""Most interim (1xx) answers before the final one; more is a malformed response."""

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]
Origin = tuple[str, str, int]
_END = h11.EndOfMessage()
"""The end of a request; h11 events are immutable, so one serves every request."""


class ConnectionPool(Protocol):
    """Where a connection whose answer was read to the end goes back for the next request."""

    def release(self, origin: Origin, conn: H11Connection) -> None:
        """Keep `conn` for the next request to `origin`, or close it."""


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
        raise local_error(exc) from exc


class ResponseBody(httpx.AsyncByteStream):
    """A response body read from its connection as the reader asks for it."""

    def __init__(
        self,
        pool: ConnectionPool,
        origin: Origin,
        conn: H11Connection,
        timeout: float | None,
        trace: Trace | None,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: H11Connection | None = conn
        self._timeout = timeout
        self._trace = trace
        self._started = False
        self._complete = False

    def __aiter__(self) -> ResponseBody:
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

    def _drain_arrived(self, conn: H11Connection) -> None:
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


async def exchange(
    pool: ConnectionPool,
    origin: Origin,
    conn: H11Connection,
    request: httpx.Request,
    timeouts: dict[str, float | None],
    trace: Trace | None,
    reused: bool,
) -> httpx.Response:
    """Send `request` on `conn` and read the answer's head; the body streams later.

    `reused` says the connection was idle in the pool: one the server closed meanwhile
    raises `StaleConnection` before any byte of the answer, so it can be sent again.
    """
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
                    raise StaleConnection from None
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
        stream=ResponseBody(pool, origin, conn, read_timeout, trace),
        extensions={
            "http_version": b"HTTP/" + event.http_version,
            "reason_phrase": event.reason,
        },
    )

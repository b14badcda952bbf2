"""One HTTP/1.1 connection of the probes' transport: an asyncio protocol read through h11.

The connection keeps its socket's received bytes and hands them to h11 only when h11
needs more, pausing the socket while the reader lags, so a huge body is never
buffered. The status line and headers together are capped at `HEAD_CAP` bytes, and a
buffer of tiny events gives the loop to other tasks every `EVENTS_PER_TURN` events.
h11's errors are mapped to httpx's here, in one place (`remote_error` for the
server's bytes, `local_error` for a request h11 refuses to write).
"""

from __future__ import annotations

import asyncio
from typing import cast

import h11
import httpx

HEAD_CAP = 64 * 1024
"""Most bytes of a status line and headers (or of a chunk-size or trailer line)."""
READ_HIGH = 256 * 1024
"""Buffered bytes at which reading from the socket pauses until the reader catches up."""
READ_LOW = 64 * 1024
EVENTS_PER_TURN = 64
"""Events parsed from bytes already here before other tasks get a turn of the loop."""

Event = h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]


class StaleConnection(Exception):
    """A reused connection turned out closed before any byte of the answer."""


class H11Connection(asyncio.Protocol):
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
        self._starved = True
        """Whether h11 has said it needs more bytes and has been given none since.

        Asking it again would only say so again (and cost a parse attempt): bytes that
        arrived are handed over first, and with none, NEED_DATA is the answer. True at
        the start of every request, when h11 holds no bytes at all.
        """

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
            raise local_error(exc) from exc

    def poll(self) -> Event:
        """The next event from the bytes already here; h11.NEED_DATA when they are not enough."""
        conn = self.h11
        while True:
            if self._starved:
                if not self.buffer:
                    return h11.NEED_DATA
                # h11 copies what it is given (any bytes-like object, its docs say;
                # its annotation says bytes), so the buffer itself is handed over, not
                # a copy. It gets the buffer only once it needs more, so unread bytes
                # wait here, where they pause the socket.
                conn.receive_data(cast(bytes, self.buffer))
                self.buffer.clear()
                self._starved = False
                self.consumed()
            state = conn.their_state
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise remote_error(self, exc, state) from exc
            if event is not h11.NEED_DATA:
                return event
            self._starved = True

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
                    raise StaleConnection
                self.eof_told = True
                self.h11.receive_data(b"")
                self._starved = False
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
        self._starved = True  # h11 holds no bytes: the next answer starts from nothing
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


def local_error(exc: h11.LocalProtocolError) -> httpx.LocalProtocolError:
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


def remote_error(
    conn: H11Connection, exc: h11.RemoteProtocolError, state: object
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

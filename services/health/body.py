"""Response bodies decoded (gzip, deflate) a bounded piece at a time, up to a cap.

A probe keeps only the first 64 KiB of a body, but a compressed body says nothing
about its decoded size: a 1 MB gzip of zeros is 1 GiB once inflated. Decoding a
whole received chunk at once (what httpx's decoders do) turns one 256 KiB chunk of
such a body into 256 MB of memory and seconds of a blocked event loop. Here every
zlib call is given an output limit (`max_length`), so one call never produces more
than the room left under the cap (plus one byte, to tell "exactly full" from "cut"),
and the input that was not needed yet stays in zlib's `unconsumed_tail`.

A stream that inflates to almost nothing (padding, empty blocks) could otherwise be
read until the deadline; the compressed bytes are capped as well (`raw_cap`).

Only the codings the probes' client offers in Accept-Encoding (gzip, deflate) are
decoded; "identity" and codings not understood are passed through as they are, as
httpx does.
"""

from __future__ import annotations

import zlib


class DecodeError(ValueError):
    """The body is not valid in its declared Content-Encoding."""


class _Inflate:
    """One zlib stage (gzip, or deflate with or without its zlib wrapper)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._gzip = coding in ("gzip", "x-gzip")
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._unsure: bytes | None = b"" if not self._gzip else None
        """A deflate body's first bytes, until they prove it zlib-wrapped (or not)."""
        self.tail = b""
        """Input received but not decoded yet because the output limit was reached."""

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most `limit` (> 0) decoded bytes from the pending input and `data`."""
        pending = self.tail + data if self.tail else data
        if not pending or self._z.eof:
            self.tail = b""
            return b""
        try:
            out = self._z.decompress(pending, limit)
        except zlib.error as exc:
            if self._unsure is None:
                raise DecodeError(f"{self.coding} body is corrupt: {exc}") from None
            # "deflate" is meant to be zlib-wrapped, but servers often send it raw:
            # start again on the bytes seen so far, as raw deflate.
            seen, self._unsure = self._unsure + pending, None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            self.tail = b""
            return self.decode(seen, limit)
        if self._unsure is not None:
            # Output proves the wrapper. Until then the bytes used are kept, to start
            # again from them: a few bytes of header, as output follows right after.
            if out:
                self._unsure = None
            else:
                used = len(pending) - len(self._z.unconsumed_tail)
                self._unsure += pending[:used]
        self.tail = self._z.unconsumed_tail
        return out


def _stages(content_encoding: str) -> list[_Inflate]:
    """The decoding stages for a Content-Encoding value, in the order to apply them."""
    if not content_encoding:  # most bodies: nothing to split
        return []
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    return [_Inflate(c) for c in reversed(codings) if c in ("gzip", "x-gzip", "deflate")]


class CappedDecoder:
    """Decodes a body as it arrives and keeps at most `cap` decoded bytes.

    `feed` each received piece and keep what it returns; stop reading once `cut`.
    `cut` says the body went on past the cap, or that its last decoding stage was
    fed more than `raw_cap` compressed bytes (for a single coding: the body as sent).
    """

    def __init__(self, content_encoding: str, cap: int, raw_cap: int) -> None:
        self._stages = _stages(content_encoding)
        self._cap = cap
        self._raw_cap = raw_cap
        self.decoded = 0
        """Decoded bytes returned so far (never above the cap)."""
        self.compressed = 0
        """Bytes fed to the last decoding stage."""
        self.cut = False

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes `raw` adds, never taking the total past the cap."""
        if self.cut:
            return b""
        if not self._stages:
            return self._keep(raw)
        out, _ = self._run(raw)
        # Input held back while an output limit was reached: decode it now, still a
        # bounded piece per call, until it is used up or the cap is met.
        while not self.cut and any(stage.tail for stage in self._stages):
            more, progressed = self._run(b"")
            out += more
            if not progressed:
                break
        if not self.cut and self.compressed > self._raw_cap:
            self.cut = True
        return out

    def _run(self, data: bytes) -> tuple[bytes, bool]:
        """One bounded pass through every stage: (decoded bytes kept, any progress)."""
        # One byte over the room tells a body that fills the cap exactly from one
        # that goes on past it.
        limit = self._cap - self.decoded + 1
        last = len(self._stages) - 1
        progressed = False
        for i, stage in enumerate(self._stages):
            if i == last:
                self.compressed += len(data)
            before = len(stage.tail)
            data = stage.decode(data, limit)
            progressed = progressed or bool(data) or len(stage.tail) < before
        return self._keep(data), progressed

    def _keep(self, data: bytes) -> bytes:
        room = self._cap - self.decoded
        if len(data) > room:
            self.cut = True
            data = data[:room]
        self.decoded += len(data)
        return data

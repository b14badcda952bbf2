"""Bodies decoded a bounded piece at a time: what comes out, and where it is cut."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest

from warroom.services.health.body import CappedDecoder, DecodeError

CAP = 1000
TEXT = bytes(random.Random(7).randrange(32, 127) for _ in range(5000))


def decode(
    coding: str, body: bytes, step: int, cap: int = CAP, raw_cap: int = 10**6
) -> tuple[bytes, bool]:
    """Feed `body` in pieces of `step` bytes until the decoder cuts it: (kept bytes, cut)."""
    decoder = CappedDecoder(coding, cap, raw_cap)
    kept = b""
    for at in range(0, len(body), step):
        piece = decoder.feed(body[at : at + step])
        assert len(kept) + len(piece) <= cap  # never past the cap, piece by piece
        kept += piece
        if decoder.cut:
            break
    return kept, decoder.cut


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("", TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("GZip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),  # as the RFC says: zlib-wrapped
        ("deflate", raw_deflate(TEXT)),  # as many servers send it
        ("gzip, gzip", gzip.compress(gzip.compress(TEXT))),
        ("br", TEXT),  # not offered, so not decoded: passed through, as httpx does
    ],
)
@pytest.mark.parametrize("step", [1, 7, 100_000])
def test_decoded_and_cut_at_the_cap(coding: str, body: bytes, step: int) -> None:
    assert decode(coding, body, step) == (TEXT[:CAP], True)


@pytest.mark.parametrize("coding", ["identity", "gzip", "deflate"])
def test_a_body_of_exactly_the_cap_is_not_cut(coding: str) -> None:
    exact = TEXT[:CAP]
    body = {"identity": exact, "gzip": gzip.compress(exact), "deflate": zlib.compress(exact)}
    assert decode(coding, body[coding], 3) == (exact, False)
    longer = {"identity": TEXT[: CAP + 1], "gzip": gzip.compress(TEXT[: CAP + 1])}
    if coding in longer:
        assert decode(coding, longer[coding], 3) == (exact, True)


def test_a_short_body_is_whole() -> None:
    assert decode("gzip", gzip.compress(b"hello"), 2) == (b"hello", False)


def test_compressed_bytes_past_their_cap_cut_the_body() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    start = compressor.compress(b"{") + compressor.flush(zlib.Z_SYNC_FLUSH)
    padding = b"\x00\x00\x00\xff\xff" * 1000  # empty stored blocks: 5000 bytes of nothing
    assert decode("gzip", start + padding, 500, raw_cap=2000) == (b"{", True)
    assert decode("gzip", start + padding, 500, raw_cap=10_000) == (b"{", False)


def test_corrupt_body_is_a_decode_error() -> None:
    reserved_block = b"\x07"  # a final block of the reserved type 3
    with pytest.raises(DecodeError, match="gzip body is corrupt"):
        decode("gzip", b"this is not gzip at all", 100)
    with pytest.raises(DecodeError, match="gzip body is corrupt"):
        decode("gzip", gzip.compress(b"")[:10] + reserved_block, 1)
    with pytest.raises(DecodeError, match="deflate body is corrupt"):
        decode("deflate", reserved_block + b"more", 1)

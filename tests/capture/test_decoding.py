"""Bounded Content-Encoding decoding and never-raising JSON parsing."""

import gzip
import sys
import zlib

import brotli
import pytest

from desktop_app.capture.decoding import (
    STATUS_CORRUPT,
    STATUS_INCOMPLETE,
    STATUS_OK,
    STATUS_TOO_LARGE,
    STATUS_UNSUPPORTED,
    BodyDecoder,
    decode_body,
    encoding_tokens,
    parse_json,
)

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

# A telemetry-sized, compressible body (copilot-protocol.md §7.6, one envelope per line).
ENVELOPE = (b'{"name":"Microsoft.ApplicationInsights.7d7048df6dd04048bb23b716c1461f8f.Event",'
            b'"time":"2026-11-20T10:15:03.120Z","data":{"baseType":"EventData","baseData":{"ver":2,'
            b'"name":"copilot/ghostText.shown","properties":{"headerRequestId":"6f1c","choiceIndex":"0"},'
            b'"measurements":{"compCharLen":12}}},"ver":1,"sampleRate":100}\n')
BODY = ENVELOPE * 200


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstd.compress,
}


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_round_trip(encoding):
    assert decode_body(ENCODERS[encoding](BODY), encoding) == BODY


@pytest.mark.parametrize(("encoding", "encoded"), [
    ("deflate", _raw_deflate(BODY)),  # raw deflate without the zlib header, as some servers send it
    ("GZIP", gzip.compress(BODY)),
    (" gzip ", gzip.compress(BODY)),
    ("gzip, br", brotli.compress(gzip.compress(BODY))),  # applied gzip first, then br: undone br first
    ("zstd,gzip", gzip.compress(zstd.compress(BODY))),
    ("identity, gzip", gzip.compress(BODY)),
    ("gzip", gzip.compress(BODY[:1000]) + gzip.compress(BODY[1000:])),  # two gzip members
    ("zstd", zstd.compress(BODY[:1000]) + zstd.compress(BODY[1000:])),  # two zstd frames
    ("gzip", gzip.compress(BODY) + b"\x00\x00\x00"),  # zero padding after the member
], ids=["raw-deflate", "upper-case", "spaces", "gzip-then-br", "zstd-then-gzip", "identity-in-list",
        "gzip-members", "zstd-frames", "gzip-padding"])
def test_variants(encoding, encoded):
    assert decode_body(encoded, encoding) == BODY


@pytest.mark.parametrize("encoding", [None, "", "identity", "Identity"])
def test_identity_returns_the_body_itself(encoding):
    assert decode_body(BODY, encoding) is BODY


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd", "deflate", None])
def test_empty_body(encoding):
    assert decode_body(b"", encoding) == b""


@pytest.mark.parametrize(("encoding", "encoded"), [
    ("gzip", b"not gzip at all"),
    ("br", b"\xff\xff not brotli"),
    ("zstd", b"not zstd at all"),
    ("deflate", b"\x78\x9c garbage after a zlib header"),
    ("compress", gzip.compress(BODY)),  # unknown encodings are not guessed at
    ("gzip, sdch", gzip.compress(BODY)),
    ("gzip", gzip.compress(BODY) + b"trailing garbage"),
], ids=["gzip", "br", "zstd", "deflate", "unknown", "unknown-in-list", "gzip-trailing-garbage"])
def test_corrupt_or_unknown_gives_none(encoding, encoded):
    assert decode_body(encoded, encoding) is None


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_truncated_stream(encoding):
    encoded = ENCODERS[encoding](BODY)[:-8] if encoding != "br" else brotli.compress(BODY)[:-4]
    assert decode_body(encoded, encoding) is None
    partial = decode_body(encoded, encoding, allow_truncated=True)
    assert partial is not None
    assert BODY.startswith(partial)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_limit_is_inclusive(encoding):
    encoded = ENCODERS[encoding](BODY)
    assert decode_body(encoded, encoding, limit=len(BODY)) == BODY
    assert decode_body(encoded, encoding, limit=len(BODY) - 1) is None


def test_identity_over_the_limit():
    assert decode_body(BODY, None, limit=len(BODY) - 1) is None


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_zip_bomb_over_the_limit(encoding):
    zeros = bytes(16 * 1024 * 1024)
    encoded = brotli.compress(gzip.compress(zeros)) if encoding == "gzip, br" else ENCODERS[encoding](zeros)
    assert len(encoded) < 100_000
    assert decode_body(encoded, encoding, limit=1024 * 1024) is None


def test_zip_bomb_over_the_default_limit():
    compressor = zlib.compressobj(9, wbits=31)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(65)) + compressor.flush()  # 65 MiB of zeros
    assert len(bomb) < 200_000
    assert decode_body(bomb, "gzip") is None


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_incremental_byte_by_byte(encoding):
    encoded = brotli.compress(gzip.compress(BODY)) if encoding == "gzip, br" else ENCODERS[encoding](BODY)
    decoder = BodyDecoder(encoding)
    out = b"".join(decoder.feed(encoded[i:i + 1]) for i in range(len(encoded)))
    assert decoder.finish() == STATUS_OK
    assert out == BODY


def test_incremental_statuses():
    assert BodyDecoder("compress").status == STATUS_UNSUPPORTED
    corrupt = BodyDecoder("gzip")
    assert corrupt.feed(b"garbage!") == b""
    assert corrupt.finish() == STATUS_CORRUPT
    assert corrupt.feed(gzip.compress(BODY)) == b""  # stays failed
    big = BodyDecoder("gzip", limit=100)
    big.feed(gzip.compress(BODY))
    assert big.finish() == STATUS_TOO_LARGE
    cut = BodyDecoder("gzip")
    cut.feed(gzip.compress(BODY)[:50])
    assert cut.finish() == STATUS_INCOMPLETE
    passthrough = BodyDecoder(None, limit=10)
    assert passthrough.identity
    assert passthrough.feed(b"12345") == b"12345"
    assert passthrough.feed(b"678901") == b""
    assert passthrough.status == STATUS_TOO_LARGE


@pytest.mark.parametrize(("header", "tokens"), [
    (None, []),
    ("", []),
    ("identity", []),
    ("gzip", ["gzip"]),
    ("gzip, br", ["br", "gzip"]),
    ("x-gzip,ZSTD", ["zstd", "gzip"]),
    ("gzip, compress", None),
])
def test_encoding_tokens(header, tokens):
    assert encoding_tokens(header) == tokens


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"a": [1, 2.5, "x"]}', {"a": [1, 2.5, "x"]}),
    (b'\xef\xbb\xbf{"bom": true}', {"bom": True}),
    (b"[]", []),
    (b"  42 ", 42),
    ('{"t": "日本"}'.encode(), {"t": "日本"}),
    (b"", None),
    (b"{", None),
    (b"data: {}", None),
    (b"\xff\xfe\x00garbage", None),
    (b"[" * 100_000 + b"]" * 100_000, None),  # too deep: RecursionError is caught
    (b"null", None),
])
def test_parse_json(data, expected):
    assert parse_json(data) == expected

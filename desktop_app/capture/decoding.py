"""Bounded decoding of HTTP bodies: `Content-Encoding` (gzip, deflate, br, zstd) and JSON.

This module owns turning the bytes a client or server put on the wire into plain bytes, without
ever trusting their size: every decoder streams and stops as soon as its output passes a limit, so
a small "zip bomb" costs at most `limit` bytes of memory. Nothing here raises on bad input; a body
that cannot be decoded comes back as `None` (or, for the incremental `BodyDecoder`, as a status).
"""

import importlib
import json
import math
import sys
import zlib
from typing import Any, Final, Protocol

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

# brotli ships no type information; load it as a module object and describe what we use below.
_brotli: Any = importlib.import_module("brotli")

DEFAULT_LIMIT: Final = 64 * 1024 * 1024

# BodyDecoder.status values.
STATUS_OK: Final = "ok"
STATUS_UNSUPPORTED: Final = "unsupported"  # an encoding we do not know
STATUS_CORRUPT: Final = "corrupt"  # the bytes are not valid for their encoding
STATUS_TOO_LARGE: Final = "too_large"  # the decoded size passed the limit
STATUS_INCOMPLETE: Final = "incomplete"  # the compressed stream ended early

_IDENTITY: Final = frozenset({"", "identity", "none"})
_ALIASES: Final = {"x-gzip": "gzip", "x-deflate": "deflate", "brotli": "br", "x-zstd": "zstd"}
_DECODE_ERRORS: Final = (zlib.error, zstd.ZstdError, _brotli.error, EOFError, ValueError, OSError)


class _Stage(Protocol):
    """One decompression step of a (possibly chained) `Content-Encoding`."""

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`, returning at most `room` bytes (more means: over the limit)."""

    def finished(self) -> bool:
        """Whether the compressed stream reached its proper end."""


class _BrotliDecompressor(Protocol):
    """The part of `brotli.Decompressor` this module uses."""

    def process(self, data: bytes, output_buffer_limit: int = ...) -> bytes:
        """Decompress a chunk."""

    def can_accept_more_data(self) -> bool:
        """Whether buffered output has been drained."""

    def is_finished(self) -> bool:
        """Whether the end of the brotli stream was reached."""


class _ZlibStage:
    """gzip (multi-member) or deflate (zlib-wrapped, or raw as some servers send it)."""

    def __init__(self, gzip: bool) -> None:
        """Prepare for gzip when `gzip`, else for HTTP "deflate"."""
        self._gzip = gzip
        self._head = b""  # deflate: the first bytes, until we know whether a zlib header is present
        self._inflater: zlib._Decompress | None = zlib.decompressobj(31) if gzip else None
        self._ended = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`; see `_Stage.feed`."""
        if self._inflater is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._inflater = zlib.decompressobj(15 if _has_zlib_header(data) else -15)
        out = bytearray()
        while data and len(out) < room:
            if self._ended:
                data = self._next_member(data)
                continue
            out += self._inflater.decompress(data, room - len(out))
            if self._inflater.eof:
                self._ended = True
                data = self._inflater.unused_data
            else:
                data = self._inflater.unconsumed_tail
        return bytes(out)

    def _next_member(self, data: bytes) -> bytes:
        """After the end of a stream: start the next gzip member, or ignore trailing bytes."""
        if self._gzip and data.strip(b"\x00"):
            self._inflater = zlib.decompressobj(31)
            self._ended = False
            return data
        return b""

    def finished(self) -> bool:
        """See `_Stage.finished`."""
        return self._ended


class _BrotliStage:
    """br (RFC 7932)."""

    def __init__(self) -> None:
        """Create the brotli decompressor."""
        self._decompressor: _BrotliDecompressor = _brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`; see `_Stage.feed`."""
        if self._decompressor.is_finished():
            return b""  # trailing bytes after the end of the stream
        out = bytearray(self._decompressor.process(data, output_buffer_limit=room))
        while len(out) < room and not self._decompressor.can_accept_more_data():
            more = self._decompressor.process(b"", output_buffer_limit=room - len(out))
            if not more:
                break
            out += more
        return bytes(out)

    def finished(self) -> bool:
        """See `_Stage.finished`."""
        return self._decompressor.is_finished()


class _ZstdStage:
    """zstd (RFC 8878), possibly several frames."""

    def __init__(self) -> None:
        """Create the first frame's decompressor."""
        self._decompressor = zstd.ZstdDecompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`; see `_Stage.feed`."""
        out = bytearray()
        while len(out) < room:
            if self._decompressor.eof:
                data = self._decompressor.unused_data + data
                if not data:
                    break
                self._decompressor = zstd.ZstdDecompressor()
            if not data and self._decompressor.needs_input:
                break
            out += self._decompressor.decompress(data, room - len(out))
            data = b""
        return bytes(out)

    def finished(self) -> bool:
        """See `_Stage.finished`."""
        return self._decompressor.eof


def _has_zlib_header(data: bytes) -> bool:
    """Whether `data` starts with a zlib (RFC 1950) header rather than raw deflate."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _new_stage(name: str) -> _Stage | None:
    """The decompressor for one encoding token, or None when we do not know it."""
    if name == "gzip":
        return _ZlibStage(gzip=True)
    if name == "deflate":
        return _ZlibStage(gzip=False)
    if name == "br":
        return _BrotliStage()
    if name == "zstd":
        return _ZstdStage()
    return None


def encoding_tokens(content_encoding: str | None) -> list[str] | None:
    """The encodings to undo, in decoding order (the header lists them in the order applied).

    Args:
        content_encoding: The `Content-Encoding` header value, e.g. "gzip" or "gzip, br".

    Returns:
        Lower-case tokens with identity removed, last-applied first; None if one is unknown.
    """
    parts = (part.strip().lower() for part in (content_encoding or "").split(","))
    tokens = [_ALIASES.get(part, part) for part in parts if part not in _IDENTITY]
    if any(token not in {"gzip", "deflate", "br", "zstd"} for token in tokens):
        return None
    return tokens[::-1]


class BodyDecoder:
    """Incremental, size-bounded `Content-Encoding` decoder for a body that arrives in chunks.

    Feed encoded chunks as they arrive and get plain bytes back; once anything goes wrong the
    decoder returns b"" from then on and `status` says why. Never raises on bad input.
    """

    def __init__(self, content_encoding: str | None, limit: int = DEFAULT_LIMIT) -> None:
        """Prepare to undo `content_encoding`, producing at most `limit` decoded bytes."""
        tokens = encoding_tokens(content_encoding)
        self._limit = max(0, limit)
        self._stages: list[_Stage] = [stage for stage in map(_new_stage, tokens or []) if stage is not None]
        self._produced = [0] * (len(self._stages) + 1)  # per stage, plus the final output
        self._fed = False
        self.status: str = STATUS_OK if tokens is not None else STATUS_UNSUPPORTED

    @property
    def identity(self) -> bool:
        """Whether there is nothing to undo (the body passes through unchanged)."""
        return not self._stages

    @property
    def failed(self) -> bool:
        """Whether decoding has stopped (unsupported, corrupt or too large)."""
        return self.status not in {STATUS_OK, STATUS_INCOMPLETE}

    def feed(self, chunk: bytes) -> bytes:
        """Decode one chunk of the body; returns b"" once failed.

        Args:
            chunk: The next bytes of the encoded body.

        Returns:
            The decoded bytes this chunk produced (possibly empty while a decoder buffers).
        """
        if self.failed or not chunk:
            return b""
        self._fed = True
        data = chunk
        try:
            for index, stage in enumerate(self._stages):
                data = stage.feed(data, self._limit + 1 - self._produced[index])
                self._produced[index] += len(data)
        except _DECODE_ERRORS:
            self.status = STATUS_CORRUPT
            return b""
        self._produced[-1] += len(data) if self.identity else 0
        if max(self._produced) > self._limit:
            self.status = STATUS_TOO_LARGE
            return b""
        return data

    def finish(self) -> str:
        """Mark the end of the body and return the final status.

        Returns:
            STATUS_OK, or why the body could not be (fully) decoded.
        """
        if self.status == STATUS_OK and self._fed and not all(stage.finished() for stage in self._stages):
            self.status = STATUS_INCOMPLETE
        return self.status


def decode_body(raw: bytes, content_encoding: str | None, limit: int = DEFAULT_LIMIT, *,
                allow_truncated: bool = False) -> bytes | None:
    """Decode a whole body according to its `Content-Encoding`, bounded in size.

    Args:
        raw: The body as sent on the wire.
        content_encoding: The `Content-Encoding` header value (None or "" for none; a comma list
            is undone last-applied first).
        limit: The most decoded bytes to produce; a body that decodes to more gives None.
        allow_truncated: The body is known to be cut (capture limit): return what its first part
            decodes to instead of None when the compressed stream ends early.

    Returns:
        The decoded body; `raw` itself for identity; None when the encoding is unknown, the data is
        corrupt or ends early (unless `allow_truncated`), or the output would pass `limit`.
    """
    if not content_encoding:  # the usual case, and what a decoder of no encoding does
        return raw if not raw or len(raw) <= limit else None
    decoder = BodyDecoder(content_encoding, limit)
    if decoder.failed:
        return None
    if not raw:
        return b""
    if decoder.identity:
        return raw if len(raw) <= limit else None
    out = decoder.feed(raw)
    status = decoder.finish()
    return out if status == STATUS_OK or (allow_truncated and status == STATUS_INCOMPLETE) else None


def parse_json(data: bytes) -> object | None:
    """Parse JSON bytes (UTF-8, with or without a BOM), never raising.

    Args:
        data: The document.

    Returns:
        The parsed value, or None when `data` is not JSON (a JSON `null` also gives None).
    """
    try:
        value: object = json.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except (ValueError, RecursionError):
        return None
    return value


def finite_number(value: object, *, bools: bool = False) -> float | None:
    """A finite number from a JSON number or a numeric string, else None (booleans too, unless `bools`)."""
    if isinstance(value, bool):
        return float(value) if bools else None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None

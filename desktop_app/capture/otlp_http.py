"""What an OTLP/HTTP request to the receiver may be, without decoding it: signals, media types, limits, refusals.

The receiver checks a request against these before anything is parsed, and answers a refusal with
`OtlpError`'s status and sentence. Nothing here needs protobuf: a proxy whose developers never export
OpenTelemetry loads only this module, and `capture.otlp` (the decoding, with `opentelemetry-proto`,
about 3.5 MB and 70 modules) on the first export.
"""

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Signal = Literal["traces", "metrics", "logs"]
BodyFormat = Literal["json", "protobuf"]

SIGNAL_PATHS: Final[Mapping[str, Signal]] = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
JSON_TYPE: Final = "application/json"
PROTOBUF_TYPE: Final = "application/x-protobuf"
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""The largest body accepted, as sent and once decompressed (a CLI run sends 11 to 40 KB)."""

class OtlpError(ValueError):
    """A request the receiver refuses: the HTTP status to answer and a sentence for the sender."""

    def __init__(self, status: int, message: str) -> None:
        """Refuse with `status` (400, 413 or 415) and `message`."""
        super().__init__(message)
        self.status = status
        self.message = message


def body_format(content_type: str) -> BodyFormat:
    """The encoding named by a `Content-Type` header; `OtlpError` (415) for anything else."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == JSON_TYPE:
        return "json"
    if media in (PROTOBUF_TYPE, "application/protobuf"):
        return "protobuf"
    raise OtlpError(415, f"Unsupported Content-Type {media or '(none)'!r}: send {JSON_TYPE} or {PROTOBUF_TYPE}.")


def decompress(body: bytes, content_encoding: str, limit: int = MAX_BODY_BYTES) -> bytes:
    """`body` without its `Content-Encoding` (none or gzip), at most `limit` bytes once inflated."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise OtlpError(415, f"Unsupported Content-Encoding {encoding!r}: send the body plain or gzip-compressed.")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise OtlpError(400, f"The gzip body could not be decompressed ({exc}).") from exc
    if len(data) > limit:
        raise OtlpError(413, f"The body is larger than {limit // (1024 * 1024)} MiB once decompressed.")
    if not inflater.eof:
        raise OtlpError(400, "The gzip body is truncated.")
    return data


@dataclass(frozen=True)
class Rejected:
    """What part of an export was not kept (OTLP's partial success); zero and "" when all was."""

    count: int = 0
    message: str = ""

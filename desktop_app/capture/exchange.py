"""One captured request and its response: raw, still encoded, as the proxy thread saw them.

The proxy's recorder builds an `Exchange` per finished exchange and the writer thread reads it
(`analysis`, `pipeline`); the seed importer and the tests build them too. No mitmproxy here.
"""

from dataclasses import dataclass

# Header fields exactly as mitmproxy holds them (an immutable tuple, so keeping it costs nothing on the
# proxy thread); decoded on the writer thread by `Exchange.request_header_items()` and friends.
Headers = tuple[tuple[bytes | str, bytes | str], ...]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def decode_headers(fields: Headers) -> tuple[tuple[str, str], ...]:
    """Header fields as text, names lower-case (what classification and redaction read)."""
    try:  # mitmproxy's fields are all bytes: decode them without a call per field
        return tuple([(name.decode("utf-8", "surrogateescape").lower(), value.decode("utf-8", "surrogateescape"))  # type: ignore[union-attr]
                      for name, value in fields])
    except AttributeError:  # some fields are text already
        return tuple((_text(name).lower(), _text(value)) for name, value in fields)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response as captured on the proxy thread: raw, still encoded."""

    developer: str
    started: float  # epoch seconds
    method: str
    host: str
    path: str  # with the query string; the analysis drops it
    http_version: str
    request_headers: Headers
    request_body: bytes
    status: int | None
    response_headers: Headers
    response_body: bytes
    response_bytes: int  # as sent to the client, may exceed the captured body
    truncated: bool
    first_byte_at: float | None
    ended: float
    streamed: bool
    error: str | None = None
    websocket: bool = False  # a `response.create` message and the server's answer

    def request_header_items(self) -> tuple[tuple[str, str], ...]:
        """The request headers as text, names lower-case."""
        return decode_headers(self.request_headers)

    def response_header_items(self) -> tuple[tuple[str, str], ...]:
        """The response headers as text, names lower-case."""
        return decode_headers(self.response_headers)

"""Server-sent events framing: splits a body into the `data:` payloads of its events.

Events may be split across arbitrary chunk boundaries; LF or CRLF framing; `event:`, `id:`,
`retry:` lines and comments are ignored; several `data:` lines of one event are joined with LF.
Memory is bounded: a line or an event over `MAX_EVENT_BYTES` is skipped and reported as such.
What the payloads mean is the business of `responses`.
"""

from collections.abc import Callable
from typing import Final

from desktop_app.capture.decoding import parse_json

MAX_EVENT_BYTES: Final = 4 * 1024 * 1024  # an SSE line or event larger than this is skipped


class SseFramer:
    """Feeds each complete event's data to `on_event`, and each skipped (oversized) event to `on_skipped`."""

    def __init__(self, on_event: Callable[[bytes], None], on_skipped: Callable[[], None]) -> None:
        """Start before the first byte of a body."""
        self._on_event, self._on_skipped = on_event, on_skipped
        self._buffer = bytearray()  # the current partial line
        self._data: list[bytes] = []  # the `data:` lines of the current event
        self._data_size = 0
        self._skip_line = False  # inside an oversized line: drop bytes until the next LF
        self._skip_event = False  # the current event lost a line: drop it when it is dispatched

    def feed(self, chunk: bytes) -> None:
        """Split the complete lines out of `chunk` and process them."""
        if self._skip_line:
            newline = chunk.find(b"\n")
            if newline < 0:
                return
            self._skip_line = False
            chunk = chunk[newline + 1:]
        if b"\n" not in chunk:
            self._buffer += chunk
        else:
            data = bytes(self._buffer) + chunk if self._buffer else chunk
            lines = data.split(b"\n")
            self._buffer = bytearray(lines.pop())
            for line in lines:
                self._line(line)
        if len(self._buffer) > MAX_EVENT_BYTES:
            self._buffer = bytearray()
            self._skip_line = True
            self._skip_event = True

    def finish(self, truncated: bool) -> None:
        """At the end of the body: a last line without LF, and an event without its blank line, still count.

        When the body was cut (`truncated`), an unfinished event counts only if its data is whole
        (`[DONE]` or valid JSON).
        """
        if self._buffer and not self._skip_line:
            self._line(bytes(self._buffer))
        self._buffer.clear()
        if not (self._data or self._skip_event):
            return
        if truncated:
            payload = b"\n".join(self._data)
            if payload.strip() == b"[DONE]" or parse_json(payload) is not None:
                self._end_event()
            self._data, self._data_size, self._skip_event = [], 0, False
            return
        self._end_event()

    def _line(self, line: bytes) -> None:
        """Process one SSE line (without its LF)."""
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            self._end_event()
        elif line.startswith(b"data:"):
            value = line[6:] if line.startswith(b"data: ") else line[5:]
            self._data_size += len(value)
            if self._data_size > MAX_EVENT_BYTES:
                self._skip_event = True
                self._data.clear()
            elif not self._skip_event:
                self._data.append(value)
        # `event:`, `id:`, `retry:`, comments (`:`) and anything else are ignored.

    def _end_event(self) -> None:
        """A blank line: hand over the event collected so far."""
        data, skipped = self._data, self._skip_event
        self._data, self._data_size, self._skip_event = [], 0, False
        if skipped:
            self._on_skipped()
        elif data:
            self._on_event(data[0] if len(data) == 1 else b"\n".join(data))

"""JSON values and texts decoded from a stream of random bytes: the same shapes as hypothesis' own recursive
strategies, at a fraction of the cost.

Measured on this machine (`--hypothesis-show-statistics`): hypothesis spends ~45 µs per draw, and a
`st.recursive` JSON value of 16 leaves is ~60 draws plus retries when it exceeds its leaf budget (~2.5 ms); a
generated exchange holds eight of them, so the deep runs spent 90 % of their time generating. Here one value is
two draws, a length and a seed; the value is read from `Random(seed).randbytes(length)`. Hypothesis still drives
the run and shrinks a failure, by shortening the stream: a prefix of the same bytes reads as the same value cut
short (strings and containers end with the bytes, a leaf past the end reads as None), so a failing example
shrinks to the shortest prefix that still fails. The falsifying example is printed as the decoded value.

The decoder can produce every value the strategies it replaces could (any leaf type, any code point but a
surrogate, the parser's own key names, containers up to the same sizes and leaf budget), and adds the edge
values hypothesis' own strategies favour: small integers, 0.0/-0.0/inf/nan/the float limits, and characters
that break naive code (NUL, quotes, backslash, U+2028, BOM, astral planes).
"""

import math
import random
import struct
from dataclasses import dataclass
from functools import partial
from typing import Any

from hypothesis import strategies as st

_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1e-7, 1e16, 2.0**53, 2.0**53 + 2, 2.0**63, 1e308, 1.7976931348623157e308,
           5e-324, 2.2250738585072014e-308, float("inf"), float("-inf"), float("nan"))
_CHARS = ("\x00\x01\t\n\r\x1b\"'\\/\x7f\x80\xa0\xe9\xff\u0100\u0130\u00df\u0301\u05d0\u4e2d\u200b\u2028\u2029"
          "\ufb00\ufeff\ufffd\uffff\ud7ff\ue000\U00010000\U0001f600\U0010ffff")
_SURROGATES = range(0xD800, 0xE000)


@dataclass(frozen=True)
class Shape:
    """What a decoded value may be: the bounds of the hypothesis strategy it stands for."""

    keys: tuple[str, ...] = ()  # names the parser looks for: used as object keys and as string values
    max_leaves: int = 16
    max_list: int = 4
    max_dict: int = 6
    key_size: int = 8  # longest other object key
    text_size: int = 20  # longest string value
    int_bytes: int = 16  # integers up to 2 ** (8 * int_bytes - 1) in magnitude ...
    int_bound: int | None = None  # ... or within +/- int_bound
    nan: bool = True


class _Reader:
    """Reads one value of `shape` from `data`; past its end every byte reads as 0 and nothing more is added."""

    def __init__(self, data: bytes, shape: Shape) -> None:
        self.data, self.at, self.shape, self.leaves = data, 0, shape, shape.max_leaves

    def more(self) -> bool:
        return self.at < len(self.data)

    def byte(self) -> int:
        at = self.at
        if at >= len(self.data):
            return 0
        self.at = at + 1
        return self.data[at]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk.ljust(n, b"\0")

    def text(self, size: int) -> str:
        chars = []
        for _ in range(self.byte() % (size + 1)):
            if not self.more():
                break
            b = self.byte()
            if b < 0x80:
                chars.append(chr(b))
            elif b < 0xC0:
                chars.append(_CHARS[b % len(_CHARS)])
            else:
                point = int.from_bytes(self.take(3)) % 0x110000
                chars.append(chr(point + 0x800 if point in _SURROGATES else point))
        return "".join(chars)

    def key(self) -> str:
        b, keys = self.byte(), self.shape.keys
        return keys[(b >> 1) % len(keys)] if keys and b & 1 else self.text(self.shape.key_size)

    def integer(self) -> int:
        b = self.byte()
        if b < 0x80:
            return b - 0x40
        value = int.from_bytes(self.take(b % self.shape.int_bytes + 1), signed=True)
        bound = self.shape.int_bound
        if bound is not None and abs(value) > bound:
            value = value % (bound + 1) if value > 0 else -(-value % (bound + 1))
        return value

    def floating(self) -> float:
        b = self.byte()
        value: float = _FLOATS[b % len(_FLOATS)] if b < 0x80 else struct.unpack("<d", self.take(8))[0]
        return 0.0 if math.isnan(value) and not self.shape.nan else value

    def value(self, depth: int = 0) -> Any:
        b, shape = self.byte(), self.shape
        if b & 1 and self.leaves > 1 and depth < shape.max_leaves:
            if b & 2:
                return [self.value(depth + 1) for _ in range(self.byte() % (shape.max_list + 1))
                        if self.leaves > 0 and self.more()]
            return {self.key(): self.value(depth + 1)
                    for _ in range(self.byte() % (shape.max_dict + 1)) if self.leaves > 0 and self.more()}
        self.leaves -= 1
        kind = (b >> 1) % 7
        if kind == 0:
            return None
        if kind == 1:
            return bool(b & 0x80)
        if kind == 2:
            return self.integer()
        if kind == 3:
            return self.floating()
        if kind == 4 or not shape.keys:
            return self.text(shape.text_size)
        return shape.keys[self.byte() % len(shape.keys)]


def streams(max_bytes: int) -> st.SearchStrategy[bytes]:
    """Random bytes, 0 to `max_bytes` long, drawn as a length and a seed (see the module's docstring)."""
    return st.builds(lambda n, seed: random.Random(seed).randbytes(n), st.integers(0, max_bytes),
                     st.integers(0, 2**64 - 1))


def decode_value(shape: Shape, data: bytes) -> Any:
    """The value of `shape` that `data` reads as."""
    return _Reader(data, shape).value()


def decode_text(size: int, data: bytes) -> str:
    """The string of at most `size` characters that `data` reads as."""
    return _Reader(data, Shape()).text(size)


def values(shape: Shape) -> st.SearchStrategy[Any]:
    """JSON values of `shape`."""
    # enough bytes for the largest value: every leaf a longest string of 4-byte characters, every key too
    per_leaf = 2 + 4 * max(shape.text_size, shape.key_size) + 4 * shape.key_size
    return streams(shape.max_leaves * per_leaf).map(partial(decode_value, shape))


def texts(max_size: int) -> st.SearchStrategy[str]:
    """Strings of at most `max_size` characters, any code point but a surrogate."""
    return streams(1 + 4 * max_size).map(partial(decode_text, max_size))

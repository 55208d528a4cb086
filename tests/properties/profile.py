"""Each property runs twice: a fast profile in the default run, a deep one (>= 100,000 examples) under `-m slow`.

    python -m pytest -p no:cacheprovider -q -m slow tests/properties --hypothesis-show-statistics

`both(prop, **strategies)` returns the two tests of one property; the deep one is marked `slow`. Each parser has
one deep property (the one that reaches most of it); `fast(prop, ...)` is a property of the fast run only. None
writes an example database (100,000 examples would be written to it) or has a per-example deadline; of the health
checks only `too_slow` is off, because it times generation and the machines are shared. JSON values and their
costs: `generated`. The deep run takes about 30 minutes here (two processes under load, 100,000 examples each).
"""

import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.properties.generated import Shape, values

FAST_EXAMPLES = 60
DEEP_EXAMPLES = int(os.environ.get("DEEP_EXAMPLES", "100000"))  # fewer only to time a run

_common: dict[str, Any] = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
FAST = settings(max_examples=FAST_EXAMPLES, **_common)
DEEP = settings(max_examples=DEEP_EXAMPLES, **_common)


def fast(prop: Callable[..., None], **strategies: st.SearchStrategy[Any]) -> Callable[..., None]:
    """The fast test of `prop` only."""
    return FAST(given(**strategies)(prop))  # type: ignore[no-any-return]


def both(prop: Callable[..., None], **strategies: st.SearchStrategy[Any]) -> tuple[Callable[..., None], Any]:
    """The fast and the deep (slow-marked) test of `prop`, each drawing its arguments from `strategies`."""
    fast = FAST(given(**strategies)(prop))
    deep = pytest.mark.slow(pytest.mark.timeout(4 * 3600)(DEEP(given(**strategies)(prop))))
    return fast, deep


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value, small (integers of any size, no NaN)."""
    return values(Shape(max_leaves=max_leaves, max_dict=4, key_size=10, nan=False))


def shaped(keys: list[str], max_leaves: int = 16) -> st.SearchStrategy[Any]:
    """JSON objects built from `keys` (the names a parser looks for) with values of any shape."""
    return values(Shape(keys=tuple(keys), max_leaves=max_leaves, int_bound=2**70))


def cuts(data: bytes, points: list[int]) -> list[bytes]:
    """`data` cut at `points` (any order, any values: taken modulo its length)."""
    if not data:
        return []
    edges = sorted({p % len(data) for p in points} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]

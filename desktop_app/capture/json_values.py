"""Typed access to parsed JSON values: an object, a string, a count, a flag, a nested field.

Shared by the response formats (`responses`) and the quota parsers (`quotas`); nothing here raises:
a value of the wrong type reads as None (or "").
"""

import math
from typing import Final

type JsonObject = dict[str, object]

_TRUE_WORDS: Final = frozenset({"true", "1", "yes"})
_FALSE_WORDS: Final = frozenset({"false", "0", "no"})


def as_object(value: object) -> JsonObject | None:
    """`value` if it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def as_str(value: object) -> str:
    """`value` if it is a string, else ""."""
    return value if isinstance(value, str) else ""


def as_count(value: object) -> int | None:
    """A non-negative integral JSON number as int (booleans and fractions are not counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value >= 0:
        return int(value)
    return None


def as_bool(value: object) -> bool | None:
    """A boolean from JSON or from a "true"/"false" string, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def at_path(value: object, *keys: str) -> object:
    """`value[k1][k2]...` through JSON objects, or None when any step is missing."""
    for key in keys:
        current = as_object(value)
        if current is None:
            return None
        value = current.get(key)
    return value


def error_message(value: object) -> str:
    """The message of an error value: a string, or an object with `message` (or `code`)."""
    if isinstance(value, str):
        return value.strip() or "error"
    error = as_object(value)
    if error is None:
        return ""
    message = (as_str(error.get("message")).strip() or as_str(error.get("code")).strip()
               or as_str(error.get("type")).strip())
    return message or "error"

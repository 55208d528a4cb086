"""Copilot's quota readings, as `QuotaSnapshot`s of the developer who got them.

Read from the `x-quota-snapshot-*` response headers and the WebSocket `copilot_quota_snapshots` object.

Nothing here raises: a garbage field reads as None, a header that is not a quota is skipped.
"""

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Final
from urllib.parse import unquote

from desktop_app.capture.decoding import finite_number
from desktop_app.capture.json_values import as_bool, as_object, as_str
from desktop_app.core.models import QuotaSnapshot

_QUOTA_HEADER_PREFIX: Final = "x-quota-snapshot-"
_MAX_QUOTA_NAME: Final = 64
_QUOTA_NAME_CHARS: Final = frozenset("_-.")
# The same quota header comes back on request after request (it changes only when a premium request is
# counted): its parsed fields are kept for the latest headers, keyed by the header as sent.
_PARSED_HEADERS: Final = 64

type _QuotaFields = tuple[str, float | None, float | None, float | None, bool | None, str]


def _quota_name(name: str) -> str:
    """A quota id as we store it, or "" when it is not a plausible name."""
    name = name.strip().lower()
    if not name or len(name) > _MAX_QUOTA_NAME or not all(ch.isalnum() or ch in _QUOTA_NAME_CHARS for ch in name):
        return ""
    return name


def _query_fields(value: str) -> dict[str, str]:
    """`a=1&b=2` into a dict (percent-decoded, `+` kept literally, at most 16 fields)."""
    fields: dict[str, str] = {}
    for part in value.strip()[:2048].split("&", 16)[:16]:
        key, _, item = part.partition("=")
        fields.setdefault(unquote(key.strip()), unquote(item.strip()))
    return fields


def parse_quota_header(name: str, value: str, developer: str, observed_at: datetime) -> QuotaSnapshot | None:
    """One `x-quota-snapshot-<quota>: ent=..&ov=..&ovPerm=..&rem=..&rst=..` header.

    Args:
        name: The header name (any case).
        value: The URL-encoded header value; missing or garbage fields become None.
        developer: Who received the response.
        observed_at: When the response ended.

    Returns:
        The quota, or None when the header is not a quota snapshot.
    """
    parsed = _parse_quota_header(name, value)
    if parsed is None:
        return None
    quota, entitlement, remaining, overage, permitted, reset_at = parsed
    return QuotaSnapshot(developer=developer, quota=quota, observed_at=observed_at, entitlement=entitlement,
                         remaining_percent=remaining, overage=overage, overage_permitted=permitted, reset_at=reset_at)


@lru_cache(maxsize=_PARSED_HEADERS)
def _parse_quota_header(name: str, value: str) -> _QuotaFields | None:
    """The fields of a quota header (see `parse_quota_header`), None when it is not one."""
    lowered = name.strip().lower()
    if not lowered.startswith(_QUOTA_HEADER_PREFIX):
        return None
    quota = _quota_name(lowered[len(_QUOTA_HEADER_PREFIX):])
    if not quota:
        return None
    fields = _query_fields(value)
    return (quota, finite_number(fields.get("ent")), finite_number(fields.get("rem")), finite_number(fields.get("ov")),
            as_bool(fields.get("ovPerm")), fields.get("rst", "").strip()[:64])


def parse_quota_headers(headers: Mapping[str, str], developer: str,
                        observed_at: datetime) -> tuple[QuotaSnapshot, ...]:
    """All `x-quota-snapshot-*` headers of a response (any str mapping), in header order; never raises."""
    quotas = []
    for name, value in headers.items():
        # Most headers are not quotas: a cheap look first (the stripped, lowered name must start with the prefix).
        if isinstance(name, str) and isinstance(value, str) and _QUOTA_HEADER_PREFIX in name.lower():
            quota = parse_quota_header(name, value, developer, observed_at)
            if quota is not None:
                quotas.append(quota)
    return tuple(quotas)


def parse_quota_object(value: object, developer: str, observed_at: datetime) -> tuple[QuotaSnapshot, ...]:
    """The WebSocket `copilot_quota_snapshots` object: `{quota: {entitlement, percent_remaining, ...}}`.

    A non-object gives no quotas; one `QuotaSnapshot` per understood entry.
    """
    snapshots = as_object(value)
    if snapshots is None:
        return ()
    quotas = []
    for name, entry in snapshots.items():
        fields = as_object(entry)
        quota = _quota_name(name)
        if fields is None or not quota:
            continue
        quotas.append(QuotaSnapshot(
            developer=developer, quota=quota, observed_at=observed_at,
            entitlement=finite_number(fields.get("entitlement")),
            remaining_percent=finite_number(fields.get("percent_remaining", fields.get("remaining_percent"))),
            overage=finite_number(fields.get("overage_count", fields.get("overage"))),
            overage_permitted=as_bool(fields.get("overage_permitted")),
            reset_at=as_str(fields.get("reset_date", fields.get("reset_at"))).strip()[:64],
        ))
    return tuple(quotas)

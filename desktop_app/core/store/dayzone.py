"""Time zones for the usage store's `day` columns: which zone, and which local day an instant is on.

Owns `DayZone` (the zone every `day` column is computed in, recorded in the store's `meta` table
under `schema.META_TIME_ZONE`), `resolve_zone` (a setting, '' meaning this computer's zone, to a
`DayZone`, finding the machine's IANA name when it has one) and `epoch_seconds` (how every moment
is stored: UTC epoch seconds).
"""

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.core.errors import StoreError


@dataclass(frozen=True)
class DayZone:
    """The time zone the `day` columns are computed in.

    Attributes:
        key: The zone's stable name, stored in `meta` (an IANA name, or `local:<names>` when the
            machine's zone has no IANA name we can find).
        tz: The zone; None means the C library's local time.
    """

    key: str
    tz: tzinfo | None

    def day_of(self, epoch: float) -> str:
        """Return the 'YYYY-MM-DD' day that UTC epoch seconds `epoch` falls on in this zone."""
        return datetime.fromtimestamp(epoch, self.tz).date().isoformat()

    def start_of(self, day: date) -> float:
        """Return the UTC epoch seconds at which local `day` begins."""
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()


def resolve_zone(name: str) -> DayZone:
    """Return the zone called `name` (an IANA name such as 'Europe/Berlin'); '' is the machine's zone.

    Raises:
        StoreError: `name` is not a time zone this machine knows.
    """
    if not name:
        return _local_zone()
    try:
        return DayZone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise StoreError(
            f"'{name}' is not a known time zone. Use a name such as 'Europe/Berlin' or 'UTC', "
            "or leave it empty for this computer's zone (on Windows, install the 'tzdata' package).",
            details=repr(exc),
        ) from exc


def _local_zone() -> DayZone:
    for candidate in _local_zone_names():
        try:
            return DayZone(candidate, ZoneInfo(candidate))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return DayZone("local:" + "/".join(time.tzname), None)


def _local_zone_names() -> Iterator[str]:
    if tz_env := os.environ.get("TZ", "").lstrip(":"):
        yield tz_env
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            yield target.split("zoneinfo/", 1)[1]
    with contextlib.suppress(OSError):
        yield Path("/etc/timezone").read_text(encoding="utf-8").strip()


def epoch_seconds(moment: datetime) -> float:
    """Return UTC epoch seconds for `moment`; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

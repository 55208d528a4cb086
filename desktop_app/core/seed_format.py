"""The seed script's daily metrics shape (`metrics/copilot-usage_<day>.json`), as an export.

Users of the seed built scripts and dashboards on that file; this produces the same keys from
the store, with the same numbers as every other report format (`rollup.compute_day_totals`):

- `chat_turns` is a (day, developer)'s user interactions (`DailyUsage.user_interactions`): the
  distinct interaction ids among user model calls outside utility mode 'other', plus each such
  call without an id on its own;
- `chat` splits them by editor key. An interaction is attributed to ONE editor key, the one of
  its earliest user call that day (ties broken by editor, then version), so an interaction whose
  calls span two editors or versions counts once and the values sum to `chat_turns`;
- `completions_count` is the returned completions (`DailyUsage.completions_returned`): completion
  requests not speculative, answered with status 200, with text;
- `completions` splits them by editor key, then language; the counts sum to `completions_count`.

Both splits are kept in the daily summary (`rollup.SEED_CHAT`, `rollup.SEED_COMPLETIONS`: their
definitions), so a year reads summarised rows. The editor key is the seed's `<editor>-<version>`
(`<editor>` alone without a version, "unknown" without an editor).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from desktop_app.core.store.engine import Connection
from desktop_app.core.store.rollup import SEED_CHAT, SEED_COMPLETIONS, read_split


def _editor_key(editor: str | None, version: str | None) -> str:
    name = editor or "unknown"
    return f"{name}-{version}" if version else name


def _developer_entry() -> dict[str, Any]:
    return {"chat_turns": 0, "completions_count": 0, "chat": {}, "completions": {}}


def seed_daily_metrics(conn: Connection, first_day: date, last_day: date, developers: Sequence[str] | None = None,
                       instances: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Return one seed-shaped object per day with chat turns or completions, oldest first.

    `developers` limits the output to those developers (None: everyone).
    """
    if developers is not None and not developers:
        return []
    days: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(_developer_entry))
    for day, developer, editor, version, turns in read_split(conn, SEED_CHAT, first_day, last_day, developers,
                                                             instances=instances):
        entry = days[day][developer]
        entry["chat_turns"] += turns
        key = _editor_key(editor, version)
        entry["chat"][key] = entry["chat"].get(key, 0) + turns
    for day, developer, editor, version, language, count in read_split(
            conn, SEED_COMPLETIONS, first_day, last_day, developers, instances=instances):
        entry = days[day][developer]
        entry["completions_count"] += count
        per_language = entry["completions"].setdefault(_editor_key(editor, version), {})
        name = language or "unknown"
        per_language[name] = per_language.get(name, 0) + count
    return [_day_object(day, usage) for day, usage in sorted(days.items())]


def _day_object(day: str, usage: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "day": day,
        "total_chat_turns": sum(u["chat_turns"] for u in usage.values()),
        "total_completions_count": sum(u["completions_count"] for u in usage.values()),
        "usage": {developer: usage[developer] for developer in sorted(usage)},
    }

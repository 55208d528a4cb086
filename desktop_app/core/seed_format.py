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

The editor key is the seed's `<editor>-<version>` (`<editor>` alone without a version, "unknown"
without an editor).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from desktop_app.core import models as m
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.rollup import RETURNED_COMPLETION, USER_CALL_PARAMS, USER_CALLS, restriction

# Per (day, developer, editor, version): rollup's `user_interactions`, each interaction id counted
# under its earliest call only, each call without an id under its own editor.
_CHAT_TURNS: Final = f"""
    WITH user_calls AS (
        SELECT day, developer, editor, editor_version, interaction_id, started_at
        FROM usage_events
        WHERE {{scope}} AND {USER_CALLS}
    ), first_calls AS (
        SELECT day, developer, editor, editor_version,
               ROW_NUMBER() OVER (PARTITION BY day, developer, interaction_id
                                  ORDER BY started_at, editor, editor_version) AS nth
        FROM user_calls
        WHERE interaction_id <> ''
    )
    SELECT day, developer, editor, editor_version, COUNT(*) FROM (
        SELECT day, developer, editor, editor_version FROM first_calls WHERE nth = 1
        UNION ALL
        SELECT day, developer, editor, editor_version FROM user_calls WHERE interaction_id = ''
    ) AS turns
    GROUP BY day, developer, editor, editor_version
"""  # noqa: S608 - constant fragments only
_COMPLETIONS: Final = f"""
    SELECT day, developer, editor, editor_version, language, COUNT(*)
    FROM usage_events
    WHERE {{scope}} AND {RETURNED_COMPLETION}
    GROUP BY day, developer, editor, editor_version, language
"""  # noqa: S608 - constant fragments only


def _editor_key(editor: str | None, version: str | None) -> str:
    name = editor or "unknown"
    return f"{name}-{version}" if version else name


def _developer_entry() -> dict[str, Any]:
    return {"chat_turns": 0, "completions_count": 0, "chat": {}, "completions": {}}


def seed_daily_metrics(conn: Connection, first_day: date, last_day: date, developers: Sequence[str] | None = None,
                       instances: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Return one seed-shaped object per day with chat turns or completions, oldest first.

    `developers` and `instances` limit the output to those developers and proxies' events (None: all).
    """
    who, who_params = restriction(developers, instances)
    scope = "day >= ? AND day <= ?" + who
    scope_params: tuple[object, ...] = (first_day.isoformat(), last_day.isoformat(), *who_params)
    days: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(_developer_entry))
    chat_sql = _CHAT_TURNS.format(scope=scope)
    for day, developer, editor, version, turns in conn.execute(chat_sql, (*scope_params, *USER_CALL_PARAMS)):
        entry = days[day][developer]
        entry["chat_turns"] += turns
        key = _editor_key(editor, version)
        entry["chat"][key] = entry["chat"].get(key, 0) + turns
    completions_sql = _COMPLETIONS.format(scope=scope)
    for day, developer, editor, version, language, count in conn.execute(
            completions_sql, (*scope_params, m.KIND_COMPLETION)):
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

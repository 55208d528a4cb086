"""The seed script's daily metrics shape (`metrics/copilot-usage_<day>.json`), as an export.

Users of the seed built scripts and dashboards on that file; this produces the same keys from
the store: chat turns (user-initiated interactions) per editor, and completions (non-speculative,
with text) per editor and language, where the editor key is the seed's `<editor>-<version>`.
"""

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from desktop_app.core import models as m

_CHAT_TURNS = """
    SELECT day, developer, editor, editor_version,
           COUNT(DISTINCT COALESCE(NULLIF(interaction_id, ''), CAST(started_at AS TEXT)))
    FROM usage_events
    WHERE day BETWEEN ? AND ? AND kind = ? AND initiator = 'user' AND (mode <> 'other' OR mode LIKE 'extension:%')
    GROUP BY day, developer, editor, editor_version
"""
_COMPLETIONS = """
    SELECT day, developer, editor, editor_version, language, COUNT(*)
    FROM usage_events
    WHERE day BETWEEN ? AND ? AND kind = ? AND speculative = 0 AND has_text = 1
    GROUP BY day, developer, editor, editor_version, language
"""


def _editor_key(editor: str | None, version: str | None) -> str:
    name = editor or "unknown"
    return f"{name}-{version}" if version else name


def _developer_entry() -> dict[str, Any]:
    return {"chat_turns": 0, "completions_count": 0, "chat": {}, "completions": {}}


def seed_daily_metrics(conn: sqlite3.Connection, first_day: date, last_day: date,
                       developers: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Return one seed-shaped object per day with activity, oldest first."""
    days: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(_developer_entry))
    bounds = (first_day.isoformat(), last_day.isoformat())
    wanted = set(developers) if developers is not None else None
    for day, developer, editor, version, turns in conn.execute(_CHAT_TURNS, (*bounds, m.KIND_MODEL_CALL)):
        if wanted is None or developer in wanted:
            entry = days[day][developer]
            entry["chat_turns"] += turns
            entry["chat"][_editor_key(editor, version)] = turns
    for day, developer, editor, version, language, count in conn.execute(_COMPLETIONS, (*bounds, m.KIND_COMPLETION)):
        if wanted is None or developer in wanted:
            entry = days[day][developer]
            entry["completions_count"] += count
            per_language = entry["completions"].setdefault(_editor_key(editor, version), {})
            per_language[language or "unknown"] = count
    return [_day_object(day, usage) for day, usage in sorted(days.items())]


def _day_object(day: str, usage: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "day": day,
        "total_chat_turns": sum(u["chat_turns"] for u in usage.values()),
        "total_completions_count": sum(u["completions_count"] for u in usage.values()),
        "usage": {developer: usage[developer] for developer in sorted(usage)},
    }

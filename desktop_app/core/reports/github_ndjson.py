"""The GitHub-compatible report: NDJSON in the shape of GitHub's per-user daily records (`users-1-day`).

One compact JSON object per developer per day with activity, newline-terminated ASCII (non-ASCII
characters as JSON escapes, so no Unicode line separator can split a record), sorted by
(day, user_login), with the field names of GitHub's Copilot usage metrics (copilot-protocol.md
§6.2) filled from what the proxy observed as §6.3 maps them, so scripts written for GitHub's
export read ours. `SCHEMA` documents every field (type, whether always present, meaning) as data,
and `validate_record` checks a record against it. Decisions, where the proxy cannot see what
GitHub sees:

* `user_login` is the developer's name in Copilot Insight (or its alias when pseudonymized);
  `user_id`, `organization_id` and `enterprise_id` are GitHub's numeric/opaque ids, which the
  proxy never sees: always null.
* `day` is a local day in the store's time zone (`x_proxy.time_zone`), not a UTC day as GitHub's.
* Top-level counts cover every surface, CLI included (they equal the dashboard's figures);
  `totals_by_ide` holds IDEs only; Copilot CLI traffic (`Copilot-Integration-Id:
  copilot-developer-cli`) is in `totals_by_cli` (null on a day without CLI model calls) and in
  `totals_by_feature` as `copilot_cli`.
* Modes: ask → `chat_panel_ask_mode`, edit → `chat_panel_edit_mode`, agent and subagent →
  `chat_panel_agent_mode`, inline (editor, terminal, notebook) → feature `chat_inline`, cli →
  `copilot_cli`, unknown (no intent header) → `chat_panel_unknown_mode`; external agents through
  VS Code's local server, extension calls and background work → `others`. VS Code sends the same
  intent (`conversation-agent`) for Plan mode and custom agents (§2.5.1), so they count as agent
  mode: `chat_panel_plan_mode` and `chat_panel_custom_mode` are always 0.
* Code generation = completions shown (telemetry; returned completions when the IDE sent none);
  acceptance = accepted completions + chat code blocks inserted/copied/applied. Chat acceptances
  carry no mode, so their feature is `chat_panel_unknown_mode`. Lines suggested are the returned
  completions' lines, lines added the accepted ones'; deletions, agent edits (`agent_edit`) and
  NES are not observable as GitHub counts them (NES figures are in `x_proxy`).
* Only observable flags are written: `used_agent`, `used_chat`, `used_cli`. Fields that only
  GitHub can know (`used_copilot_*`, `totals_by_copilot_app`, `totals_by_3rd_party_agent`,
  `totals_by_language_model`, `ai_adoption_phase`, export metadata) are left out;
  `totals_by_cli.session_count` is null.
* `x_proxy` carries what only the proxy sees (agent follow-ups, model calls, tokens, errors, NES,
  latency, the time zone, where "shown" came from).
"""

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.ide_totals import DayBreakdown, IdeDay
from desktop_app.core.reports.progress import Progress
from desktop_app.core.store.queries import DailyUsage

JsonType = Literal["string", "integer", "number", "boolean", "null", "array", "object"]
Record = dict[str, Any]

# --- the documented schema -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record: its JSON type(s), whether it is always present, and what it holds.

    Attributes:
        types: The JSON types its value may have.
        required: Always present (else optional).
        shape: For an object, or an array's items: the `SCHEMA` shape it follows.
        values: For an object used as a map (name → value): the values' type.
        fmt: "date" (YYYY-MM-DD) or "date-time" (ISO 8601 UTC, 'Z') for strings.
        note: The meaning, and where it comes from.
    """

    types: tuple[JsonType, ...]
    required: bool = True
    shape: str = ""
    values: JsonType | None = None
    fmt: Literal["", "date", "date-time"] = ""
    note: str = ""


RECORD: Final = "record"
FEATURES: Final = ("code_completion", "chat_inline", "chat_panel_ask_mode", "chat_panel_edit_mode",
                   "chat_panel_agent_mode", "chat_panel_plan_mode", "chat_panel_custom_mode",
                   "chat_panel_unknown_mode", "agent_edit", "copilot_cli", "copilot_app", "others")
"""GitHub's `feature` values (§6.2); we write those we can observe."""
CHAT_PANEL_FIELDS: Final = ("chat_panel_ask_mode", "chat_panel_edit_mode", "chat_panel_agent_mode",
                            "chat_panel_plan_mode", "chat_panel_custom_mode", "chat_panel_unknown_mode")
MODE_FEATURES: Final[Mapping[str, str]] = {
    "ask": "chat_panel_ask_mode", "edit": "chat_panel_edit_mode", "agent": "chat_panel_agent_mode",
    "subagent": "chat_panel_agent_mode", "inline": "chat_inline", "cli": "copilot_cli",
    "unknown": "chat_panel_unknown_mode", "": "chat_panel_unknown_mode",
}
"""Our mode (classify.mode_of) → GitHub's feature; any other mode is `others`."""
CHAT_FEATURES: Final = frozenset({"chat_inline", *CHAT_PANEL_FIELDS})

_INT: Final[tuple[JsonType, ...]] = ("integer",)
_NUMBER: Final[tuple[JsonType, ...]] = ("number",)
_ACTIVITY: Final[dict[str, FieldSpec]] = {
    "code_generation_activity_count": FieldSpec(_INT, note="completions shown (returned without telemetry)"),
    "code_acceptance_activity_count": FieldSpec(_INT, note="completions accepted + chat code blocks accepted"),
    "loc_suggested_to_add_sum": FieldSpec(_INT, note="lines of the returned completions"),
    "loc_suggested_to_delete_sum": FieldSpec(_INT, note="not observable: 0"),
    "loc_added_sum": FieldSpec(_INT, note="lines of the accepted completions"),
    "loc_deleted_sum": FieldSpec(_INT, note="not observable: 0"),
}
_INTERACTIONS: Final = FieldSpec(_INT, note="distinct interactions with a user-initiated model call")
_LOGIN_NOTE: Final = "the developer's name in Copilot Insight, or its alias in a pseudonymized report"

SCHEMA: Final[Mapping[str, Mapping[str, FieldSpec]]] = {
    RECORD: {
        "user_id": FieldSpec(("integer", "null"), note="GitHub's user id: not seen by the proxy, always null"),
        "user_login": FieldSpec(("string",), note=_LOGIN_NOTE),
        "day": FieldSpec(("string",), fmt="date", note="local day in x_proxy.time_zone (GitHub: UTC)"),
        "organization_id": FieldSpec(("string", "integer", "null"), note="not seen by the proxy: always null"),
        "enterprise_id": FieldSpec(("string", "integer", "null"), note="not seen by the proxy: always null"),
        "ai_credits_used": FieldSpec(_NUMBER, note="sum of copilot_usage.total_nano_aiu / 1e9"),
        "user_initiated_interaction_count": _INTERACTIONS,
        **{name: FieldSpec(_INT, note="user-initiated interactions in this mode (plan, custom: always 0)")
           for name in CHAT_PANEL_FIELDS},
        **_ACTIVITY,
        "totals_by_ide": FieldSpec(("array",), shape="ide_totals", note="IDEs only; the CLI is in totals_by_cli"),
        "totals_by_feature": FieldSpec(("array",), shape="feature_totals"),
        "totals_by_language_feature": FieldSpec(("array",), shape="language_feature_totals",
                                                note="completions and chat acceptances by language"),
        "totals_by_model_feature": FieldSpec(("array",), shape="model_feature_totals", note="chat only"),
        "totals_by_cli": FieldSpec(("object", "null"), shape="cli_totals", note="null without CLI model calls"),
        "used_agent": FieldSpec(("boolean",), note="an agent-mode interaction that day"),
        "used_chat": FieldSpec(("boolean",), note="a chat interaction (panel or inline) that day"),
        "used_cli": FieldSpec(("boolean",), note="a Copilot CLI model call that day"),
        "x_proxy": FieldSpec(("object",), shape="x_proxy", note="what only the proxy sees"),
    },
    "ide_totals": {
        "ide": FieldSpec(("string",), note="editor id from Editor-Version / Editor-Plugin-Version (§2.12)"),
        "user_initiated_interaction_count": _INTERACTIONS,
        **_ACTIVITY,
        "last_known_plugin_version": FieldSpec(("object", "null"), shape="plugin_version"),
        "last_known_ide_version": FieldSpec(("object", "null"), shape="ide_version"),
    },
    "plugin_version": {
        "plugin": FieldSpec(("string",)),
        "plugin_version": FieldSpec(("string",)),
        "sampled_at": FieldSpec(("string",), fmt="date-time"),
    },
    "ide_version": {
        "ide_version": FieldSpec(("string",)),
        "sampled_at": FieldSpec(("string",), fmt="date-time"),
    },
    "feature_totals": {
        "feature": FieldSpec(("string",), note="one of FEATURES"),
        "user_initiated_interaction_count": _INTERACTIONS,
        **_ACTIVITY,
    },
    "language_feature_totals": {
        "language": FieldSpec(("string",), note="VS Code language id; 'unknown' when not reported"),
        "feature": FieldSpec(("string",)),
        **_ACTIVITY,
    },
    "model_feature_totals": {
        "model": FieldSpec(("string",), note="the request's model ('auto' in Auto mode, 'unknown' if none)"),
        "feature": FieldSpec(("string",)),
        "user_initiated_interaction_count": _INTERACTIONS,
        **_ACTIVITY,
    },
    "cli_totals": {
        "session_count": FieldSpec(("integer", "null"), note="not observable: null"),
        "request_count": FieldSpec(_INT, note="every CLI model call"),
        "prompt_count": FieldSpec(_INT, note="CLI model calls initiated by the user"),
        "token_usage": FieldSpec(("object",), shape="token_usage"),
        "last_known_cli_version": FieldSpec(("object", "null"), shape="cli_version"),
    },
    "token_usage": {
        "avg_tokens_per_request": FieldSpec(_NUMBER, note="(prompt + output tokens) / request_count"),
        "output_tokens_sum": FieldSpec(_INT),
        "prompt_tokens_sum": FieldSpec(_INT),
    },
    "cli_version": {
        "cli_version": FieldSpec(("string",)),
        "sampled_at": FieldSpec(("string",), fmt="date-time"),
    },
    "x_proxy": {
        "time_zone": FieldSpec(("string",), note="the zone `day` is a local day of"),
        "shown_source": FieldSpec(("string",), note="'telemetry', or 'proxy' when the IDE sent no shown events"),
        "requests": FieldSpec(_INT, note="every recorded request"),
        "model_calls": FieldSpec(_INT),
        "agent_requests": FieldSpec(_INT, note="agent-initiated model calls (tool loops, helpers, retries)"),
        "interactions_by_mode": FieldSpec(("object",), values="integer", note="our modes, before mapping"),
        "completions_requested": FieldSpec(_INT),
        "completions_returned": FieldSpec(_INT),
        "chat_acceptances": FieldSpec(_INT),
        "nes_shown": FieldSpec(_INT),
        "nes_accepted": FieldSpec(_INT),
        "prompt_tokens": FieldSpec(_INT),
        "completion_tokens": FieldSpec(_INT),
        "cached_tokens": FieldSpec(_INT),
        "reasoning_tokens": FieldSpec(_INT),
        "errors": FieldSpec(_INT),
        "latency_p50_ms": FieldSpec(("number", "null")),
        "latency_p95_ms": FieldSpec(("number", "null")),
    },
}
"""Every shape a record holds: field name → spec (`RECORD` is the top level). Shapes are closed:
no other keys appear."""

_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def _json_type(value: object) -> JsonType | None:
    match value:
        case None:
            return "null"
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number" if math.isfinite(value) else None
        case str():
            return "string"
        case list():
            return "array"
        case dict():
            return "object"
    return None


def _type_ok(value: object, types: Sequence[JsonType]) -> bool:
    kind = _json_type(value)
    return kind in types or (kind == "integer" and "number" in types)


def _check_value(value: object, spec: FieldSpec, path: str) -> list[str]:
    if not _type_ok(value, spec.types):
        return [f"{path}: expected {' or '.join(spec.types)}, got {type(value).__name__}"]
    if isinstance(value, str) and spec.fmt:
        pattern = _DATE if spec.fmt == "date" else _DATE_TIME
        return [] if pattern.fullmatch(value) else [f"{path}: {value!r} is not a {spec.fmt}"]
    if isinstance(value, list):
        return [problem for n, item in enumerate(value) for problem in _check_object(item, spec.shape, f"{path}[{n}]")]
    if isinstance(value, dict) and spec.values is not None:
        item_spec = FieldSpec((spec.values,))
        return [problem for key, item in value.items() for problem in _check_value(item, item_spec, f"{path}.{key}")]
    if isinstance(value, dict):
        return _check_object(value, spec.shape, path)
    return []


def _check_object(value: object, shape: str, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected object, got {type(value).__name__}"]
    fields = SCHEMA[shape]
    problems = [f"{path}.{name}: missing" for name, spec in fields.items() if spec.required and name not in value]
    for name, item in value.items():
        spec = fields.get(name)
        if spec is None:
            problems.append(f"{path}.{name}: not in the schema")
        else:
            problems.extend(_check_value(item, spec, f"{path}.{name}"))
    return problems


def validate_record(record: object) -> list[str]:
    """Return what is wrong with `record` against `SCHEMA` (types, required and unknown keys); [] when valid."""
    return [problem.removeprefix("$.") for problem in _check_object(record, RECORD, "$")]


# --- building records ------------------------------------------------------------------------------------

_LINES_PER_STEP: Final = 200
_ENCODER: Final = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False, check_circular=False)
"""Compact ASCII JSON; records hold no cycles (they are built here), so the encoder need not look for any."""


def feature_of(mode: str) -> str:
    """GitHub's feature for one of our chat modes (`MODE_FEATURES`; anything else is `others`)."""
    return MODE_FEATURES.get(mode, "others")


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_Sums = list[int]  # interactions, generated, accepted, lines suggested, lines added


def _activity(sums: Sequence[int]) -> dict[str, int]:
    """The `_ACTIVITY` fields, in its order, from `sums`."""
    return {"code_generation_activity_count": sums[1], "code_acceptance_activity_count": sums[2],
            "loc_suggested_to_add_sum": sums[3], "loc_suggested_to_delete_sum": 0, "loc_added_sum": sums[4],
            "loc_deleted_sum": 0}


def _add(groups: dict[Any, _Sums], key: object, values: tuple[int, int, int, int, int]) -> None:
    """Add `values` (in `_Sums` order) to the group `key`."""
    sums = groups.get(key)
    if sums is None:
        groups[key] = list(values)
    else:
        sums[0] += values[0]
        sums[1] += values[1]
        sums[2] += values[2]
        sums[3] += values[3]
        sums[4] += values[4]


def _items(groups: Mapping[Any, _Sums], names: Sequence[str], *, interactions: bool) -> list[Record]:
    """One item per group (its key fields `names`, sorted by them), leaving out groups with nothing to count."""
    items = []
    for key, sums in sorted(groups.items()):
        if not (sums[1] or sums[2] or sums[3] or sums[4] or (interactions and sums[0])):
            continue
        item: Record = dict(zip(names, key, strict=True))
        if interactions:
            item["user_initiated_interaction_count"] = sums[0]
        # The `_ACTIVITY` fields, in its order (as `_activity` gives them), without an intermediate dict.
        item["code_generation_activity_count"] = sums[1]
        item["code_acceptance_activity_count"] = sums[2]
        item["loc_suggested_to_add_sum"] = sums[3]
        item["loc_suggested_to_delete_sum"] = 0
        item["loc_added_sum"] = sums[4]
        item["loc_deleted_sum"] = 0
        items.append(item)
    return items


class _Totals:
    """A developer-day's figures by feature, language and feature, model and feature.

    The store sums them per language and per model and mode (`ide_totals.read_day_breakdowns`);
    here they are mapped to GitHub's features.
    """

    def __init__(self, breakdown: DayBreakdown | None) -> None:
        self.by_feature: dict[tuple[str], _Sums] = {}
        self.by_language: dict[tuple[str, str], _Sums] = {}
        self.by_model: dict[tuple[str, str], _Sums] = {}
        if breakdown is None:
            return
        acceptance = feature_of("")  # chat acceptances carry no mode
        for lang in breakdown.languages:
            completions = (0, lang.code_generation_activity_count, lang.completions_accepted,
                           lang.loc_suggested_to_add_sum, lang.loc_added_sum)
            _add(self.by_feature, ("code_completion",), completions)
            _add(self.by_language, (lang.language, "code_completion"), completions)
            if lang.chat_acceptances:
                _add(self.by_language, (lang.language, acceptance), (0, 0, lang.chat_acceptances, 0, 0))
        for model in breakdown.models:
            feature = feature_of(model.mode)
            chat = (model.user_initiated_interaction_count, 0, model.chat_acceptances, 0, 0)
            _add(self.by_feature, (feature,), chat)
            _add(self.by_model, (model.model, feature), chat)


def _ide_sums(ide: IdeDay) -> list[int]:
    return [ide.user_initiated_interaction_count, ide.code_generation_activity_count,
            ide.code_acceptance_activity_count, ide.loc_suggested_to_add_sum, ide.loc_added_sum]


def _ide_item(ide: IdeDay, sums: Sequence[int]) -> Record:
    plugin = None
    if ide.plugin_version_at is not None:
        plugin = {"plugin": ide.plugin, "plugin_version": ide.plugin_version,
                  "sampled_at": _timestamp(ide.plugin_version_at)}
    version = None
    if ide.ide_version_at is not None:
        version = {"ide_version": ide.ide_version, "sampled_at": _timestamp(ide.ide_version_at)}
    return {"ide": ide.ide, "user_initiated_interaction_count": sums[0],
            **_activity(sums), "last_known_plugin_version": plugin, "last_known_ide_version": version}


def _cli_totals(cli: IdeDay | None) -> Record | None:
    if cli is None or not cli.model_calls:
        return None
    tokens = cli.prompt_tokens + cli.completion_tokens
    return {
        "session_count": None, "request_count": cli.model_calls, "prompt_count": cli.user_model_calls,
        "token_usage": {"avg_tokens_per_request": tokens / cli.model_calls,
                        "output_tokens_sum": cli.completion_tokens, "prompt_tokens_sum": cli.prompt_tokens},
        "last_known_cli_version": _cli_version(cli),
    }


def _cli_version(cli: IdeDay) -> Record | None:
    """The CLI's version: its `Editor-Version` version, else its `Editor-Plugin-Version` version."""
    if cli.ide_version_at is not None:
        return {"cli_version": cli.ide_version, "sampled_at": _timestamp(cli.ide_version_at)}
    if cli.plugin_version_at is not None:
        return {"cli_version": cli.plugin_version, "sampled_at": _timestamp(cli.plugin_version_at)}
    return None


def _by_feature(modes: Mapping[str, int]) -> dict[str, int]:
    per: dict[str, int] = {}
    for mode, count in modes.items():
        per[feature_of(mode)] = per.get(feature_of(mode), 0) + count
    return per


def _x_proxy(row: DailyUsage, time_zone: str) -> Record:
    return {
        "time_zone": time_zone, "shown_source": row.shown_source, "requests": row.requests,
        "model_calls": row.model_calls, "agent_requests": row.agent_requests,
        "interactions_by_mode": dict(sorted(row.interactions_by_mode.items())),
        "completions_requested": row.completions_requested, "completions_returned": row.completions_returned,
        "chat_acceptances": row.chat_acceptances or 0, "nes_shown": row.nes_shown or 0,
        "nes_accepted": row.nes_accepted or 0,
        "prompt_tokens": row.prompt_tokens, "completion_tokens": row.completion_tokens,
        "cached_tokens": row.cached_tokens, "reasoning_tokens": row.reasoning_tokens, "errors": row.errors,
        "latency_p50_ms": row.latency_p50_ms, "latency_p95_ms": row.latency_p95_ms,
    }


def build_record(row: DailyUsage, ides: Sequence[IdeDay], time_zone: str,
                 breakdown: DayBreakdown | None = None) -> Record:
    """One developer's day as a `users-1-day` record (`ides`, `breakdown`: that developer's that day)."""
    features = _by_feature(row.interactions_by_mode)
    totals = _Totals(breakdown)
    cli = next((ide for ide in ides if ide.is_cli), None)
    return {
        "user_id": None, "user_login": row.developer, "day": row.day.isoformat(),
        "organization_id": None, "enterprise_id": None,
        "ai_credits_used": float(row.ai_credits),
        "user_initiated_interaction_count": row.user_interactions,
        **{name: features.get(name, 0) for name in CHAT_PANEL_FIELDS},
        "code_generation_activity_count": row.completions_shown,
        # GitHub's schema has integers only: without IDE telemetry (x_proxy.shown_source 'proxy') these are 0.
        "code_acceptance_activity_count": (row.completions_accepted or 0) + (row.chat_acceptances or 0),
        "loc_suggested_to_add_sum": row.lines_suggested, "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": row.lines_accepted or 0, "loc_deleted_sum": 0,
        "totals_by_ide": [_ide_item(ide, _ide_sums(ide)) for ide in ides if not ide.is_cli],
        "totals_by_feature": _items(totals.by_feature, ("feature",), interactions=True),
        "totals_by_language_feature": _items(totals.by_language, ("language", "feature"), interactions=False),
        "totals_by_model_feature": _items(totals.by_model, ("model", "feature"), interactions=True),
        "totals_by_cli": _cli_totals(cli),
        "used_agent": features.get("chat_panel_agent_mode", 0) > 0,
        "used_chat": any(features.get(name, 0) for name in CHAT_FEATURES),
        "used_cli": features.get("copilot_cli", 0) > 0 or (cli is not None and cli.model_calls > 0),
        "x_proxy": _x_proxy(row, time_zone),
    }


def _ides_by_day(ide_days: Iterable[IdeDay]) -> dict[tuple[date, str], list[IdeDay]]:
    per: dict[tuple[date, str], list[IdeDay]] = {}
    for ide in ide_days:
        per.setdefault((ide.day, ide.developer), []).append(ide)
    return per


def render(data: ReportData, progress: Progress) -> bytes:
    """The report as NDJSON bytes: one compact `users-1-day` record per developer per day, sorted.

    Raises:
        ReportCancelled: `progress` said to stop.
    """
    rows = sorted(data.rows, key=lambda r: (r.day, r.developer))
    ides = _ides_by_day(data.ide_days)
    breakdowns = {(b.day, b.developer): b for b in data.day_breakdowns}
    lines: list[str] = []
    for n, row in enumerate(rows):
        if n % _LINES_PER_STEP == 0:
            progress.step(n / max(len(rows), 1), "Writing records")
        key = (row.day, row.developer)
        record = build_record(row, ides.get(key, []), data.time_zone, breakdowns.get(key))
        # ASCII: client-sent names (model, language, editor) may hold U+2028, U+2029 or U+0085, which
        # str.splitlines() and some NDJSON readers take for line breaks; escaped, a record stays one line.
        lines.append(_ENCODER.encode(record) + "\n")
    progress.step(1.0, "Writing records")
    return "".join(lines).encode("utf-8")

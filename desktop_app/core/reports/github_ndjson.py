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
from json.encoder import encode_basestring_ascii
from typing import Final, Literal

from desktop_app.core.reports.data import ReportData
from desktop_app.core.reports.ide_totals import DayBreakdown, IdeDay, LanguageFigures, ModelFigures
from desktop_app.core.reports.progress import Progress
from desktop_app.core.store.queries import DailyUsage

JsonType = Literal["string", "integer", "number", "boolean", "null", "array", "object"]

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


# --- writing records -------------------------------------------------------------------------------------
# A year is ~9,000 records of ~8 KB, so records are written as text straight from the store's figures,
# without dicts in between: each shape's object is a %-template of `SCHEMA`'s fields in their order
# (`_template`), filled with its values' JSON texts exactly as `json` writes them compactly in ASCII
# (`_quote`, `_number`; an int is written as itself).

_LINES_PER_STEP: Final = 200
_ENCODER: Final = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False, check_circular=False)
"""Compact ASCII JSON; what `_quote`, `_number` and the templates write, value by value."""
_quote: Final = encode_basestring_ascii
"""A JSON string, non-ASCII characters escaped (`_ENCODER`'s own string writer)."""
_FIXED: Final = {"user_id": "null", "organization_id": "null", "enterprise_id": "null", "session_count": "null",
                 "loc_suggested_to_delete_sum": "0", "loc_deleted_sum": "0"}
"""The fields whose value is always the same (not observable, see `SCHEMA`): written into the templates."""


def _template(shape: str) -> str:
    """`shape`'s object as a %-template: a `%s` for each field's value (its JSON text) in `SCHEMA` order.

    `_FIXED` fields hold their constant and take no value.
    """
    return "{" + ",".join(f"{_quote(name)}:{_FIXED.get(name, '%s')}" for name in SCHEMA[shape]) + "}"


_RECORD: Final = _template(RECORD)
_IDE: Final = _template("ide_totals")
_PLUGIN_VERSION: Final = _template("plugin_version")
_IDE_VERSION: Final = _template("ide_version")
_FEATURE: Final = _template("feature_totals")
_LANGUAGE_FEATURE: Final = _template("language_feature_totals")
_MODEL_FEATURE: Final = _template("model_feature_totals")
_CLI: Final = _template("cli_totals")
_TOKEN_USAGE: Final = _template("token_usage")
_CLI_VERSION: Final = _template("cli_version")
_X_PROXY: Final = _template("x_proxy")


def _number(value: float) -> str:
    """A JSON number as `_ENCODER` writes it.

    Raises:
        ValueError: `value` is NaN or infinite (JSON has no such numbers).
    """
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return _ENCODER.encode(value)


def _optional_number(value: float | None) -> str:
    return "null" if value is None else _number(value)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _array(items: Iterable[str]) -> str:
    return f"[{','.join(items)}]"


def feature_of(mode: str) -> str:
    """GitHub's feature for one of our chat modes (`MODE_FEATURES`; anything else is `others`)."""
    return MODE_FEATURES.get(mode, "others")


_QUOTED_FEATURES: Final = {feature: _quote(feature) for feature in FEATURES}
_CODE_COMPLETION: Final = "code_completion"
_ACCEPTANCE_FEATURE: Final = feature_of("")  # chat acceptances carry no mode


def _timestamp(moment: datetime) -> str:
    return _quote(moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def _totals(breakdown: DayBreakdown | None) -> tuple[str, str, str]:
    """`totals_by_feature`, `totals_by_language_feature` and `totals_by_model_feature` of a developer-day.

    The store sums them per language and per model and mode (`ide_totals.read_day_breakdowns`); here
    they are mapped to GitHub's features. Each array is sorted by its items' keys and leaves out items
    with nothing to count.
    """
    if breakdown is None:
        return "[]", "[]", "[]"
    by_feature: dict[str, list[int]] = {}  # interactions, generated, accepted, lines suggested, lines added
    languages = _language_items(breakdown.languages, by_feature)
    models = _model_items(breakdown.models, by_feature)
    features = [_FEATURE % (_QUOTED_FEATURES[feature], *sums) for feature, sums in sorted(by_feature.items())
                if any(sums)]
    return _array(features), languages, models


def _language_items(languages: Sequence[LanguageFigures], by_feature: dict[str, list[int]]) -> str:
    """`totals_by_language_feature`; the completions are added to `by_feature` (`code_completion`)."""
    if not languages:
        return "[]"
    by_language: dict[tuple[str, str], list[int]] = {}  # generated, accepted, lines suggested, lines added
    completions = by_feature[_CODE_COMPLETION] = [0, 0, 0, 0, 0]
    for language, generated, accepted, suggested, added, chat in languages:
        completions[1] += generated
        completions[2] += accepted
        completions[3] += suggested
        completions[4] += added
        sums = by_language.get((language, _CODE_COMPLETION))
        if sums is None:
            by_language[language, _CODE_COMPLETION] = [generated, accepted, suggested, added]
        else:
            sums[0] += generated
            sums[1] += accepted
            sums[2] += suggested
            sums[3] += added
        if chat:
            sums = by_language.setdefault((language, _ACCEPTANCE_FEATURE), [0, 0, 0, 0])
            sums[1] += chat
    return _array([_LANGUAGE_FEATURE % (_quote(language), _QUOTED_FEATURES[feature], *sums)
                   for (language, feature), sums in sorted(by_language.items()) if any(sums)])


def _model_items(models: Sequence[ModelFigures], by_feature: dict[str, list[int]]) -> str:
    """`totals_by_model_feature`; the interactions and acceptances are added to `by_feature`."""
    by_model: dict[tuple[str, str], list[int]] = {}  # interactions, accepted
    for model, mode, interactions, accepted in models:
        feature = MODE_FEATURES.get(mode, "others")
        sums = by_model.get((model, feature))
        if sums is None:
            by_model[model, feature] = [interactions, accepted]
        else:
            sums[0] += interactions
            sums[1] += accepted
        sums = by_feature.get(feature)
        if sums is None:
            by_feature[feature] = [interactions, 0, accepted, 0, 0]
        else:
            sums[0] += interactions
            sums[2] += accepted
    return _array([_MODEL_FEATURE % (_quote(model), _QUOTED_FEATURES[feature], interactions, 0, accepted, 0, 0)
                   for (model, feature), (interactions, accepted) in sorted(by_model.items())
                   if interactions or accepted])


def _ide_item(ide: IdeDay) -> str:
    plugin = version = "null"
    if ide.plugin_version_at is not None:
        plugin = _PLUGIN_VERSION % (_quote(ide.plugin), _quote(ide.plugin_version), _timestamp(ide.plugin_version_at))
    if ide.ide_version_at is not None:
        version = _IDE_VERSION % (_quote(ide.ide_version), _timestamp(ide.ide_version_at))
    return _IDE % (_quote(ide.ide), ide.user_initiated_interaction_count, ide.code_generation_activity_count,
                   ide.code_acceptance_activity_count, ide.loc_suggested_to_add_sum, ide.loc_added_sum, plugin,
                   version)


def _cli_totals(cli: IdeDay | None) -> str:
    if cli is None or not cli.model_calls:
        return "null"
    tokens = cli.prompt_tokens + cli.completion_tokens
    usage = _TOKEN_USAGE % (_number(tokens / cli.model_calls), cli.completion_tokens, cli.prompt_tokens)
    return _CLI % (cli.model_calls, cli.user_model_calls, usage, _cli_version(cli))


def _cli_version(cli: IdeDay) -> str:
    """The CLI's version: its `Editor-Version` version, else its `Editor-Plugin-Version` version."""
    if cli.ide_version_at is not None:
        return _CLI_VERSION % (_quote(cli.ide_version), _timestamp(cli.ide_version_at))
    if cli.plugin_version_at is not None:
        return _CLI_VERSION % (_quote(cli.plugin_version), _timestamp(cli.plugin_version_at))
    return "null"


def _by_feature(modes: Mapping[str, int]) -> dict[str, int]:
    per: dict[str, int] = {}
    for mode, count in modes.items():
        per[feature_of(mode)] = per.get(feature_of(mode), 0) + count
    return per


def _x_proxy(row: DailyUsage, time_zone: str) -> str:
    modes = ",".join(f"{_quote(mode)}:{count}" for mode, count in sorted(row.interactions_by_mode.items()))
    return _X_PROXY % (
        _quote(time_zone), _quote(row.shown_source), row.requests, row.model_calls, row.agent_requests,
        f"{{{modes}}}", row.completions_requested, row.completions_returned, row.chat_acceptances or 0,
        row.nes_shown or 0, row.nes_accepted or 0, row.prompt_tokens, row.completion_tokens, row.cached_tokens,
        row.reasoning_tokens, row.errors, _optional_number(row.latency_p50_ms), _optional_number(row.latency_p95_ms),
    )


def record_json(row: DailyUsage, ides: Sequence[IdeDay], time_zone: str, breakdown: DayBreakdown | None = None) -> str:
    """One developer's day as a compact ASCII `users-1-day` record (`ides`, `breakdown`: that developer's that day)."""
    features = _by_feature(row.interactions_by_mode)
    cli = next((ide for ide in ides if ide.is_cli), None)
    return _RECORD % (
        _quote(row.developer), _quote(row.day.isoformat()), _number(float(row.ai_credits)), row.user_interactions,
        *[features.get(name, 0) for name in CHAT_PANEL_FIELDS],
        row.completions_shown,
        # GitHub's schema has integers only: without IDE telemetry (x_proxy.shown_source 'proxy') these are 0.
        (row.completions_accepted or 0) + (row.chat_acceptances or 0), row.lines_suggested, row.lines_accepted or 0,
        _array(_ide_item(ide) for ide in ides if not ide.is_cli), *_totals(breakdown), _cli_totals(cli),
        _boolean(features.get("chat_panel_agent_mode", 0) > 0),
        _boolean(any(features.get(name, 0) for name in CHAT_FEATURES)),
        _boolean(features.get("copilot_cli", 0) > 0 or (cli is not None and cli.model_calls > 0)),
        _x_proxy(row, time_zone),
    )


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
    lines: list[bytes] = []
    for n, row in enumerate(rows):
        if n % _LINES_PER_STEP == 0:
            progress.step(n / max(len(rows), 1), "Writing records")
        key = (row.day, row.developer)
        # ASCII: client-sent names (model, language, editor) may hold U+2028, U+2029 or U+0085, which
        # str.splitlines() and some NDJSON readers take for line breaks; escaped, a record stays one line.
        lines.append(record_json(row, ides.get(key, []), data.time_zone, breakdowns.get(key)).encode("ascii"))
    progress.step(1.0, "Writing records")
    lines.append(b"")
    return b"\n".join(lines)  # each record encoded as it is made: the year is joined once, as bytes

"""Classifies one Copilot request: feature, mode, initiator, model, language, editor.

Pure functions over the request's host, method, path, headers and decoded JSON body, following
copilot-protocol.md §2.13. Keys on header *names* and URL *paths*, never on version strings.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from desktop_app.capture.hosts import host_family
from desktop_app.core import models as m
from desktop_app.core.models import Classification as Classification  # noqa: PLC0414 - its old home

Json = dict[str, object]
CLI_INTEGRATION = m.CLI_INTEGRATION

_ENGINE = re.compile(r"/v1/engines/([^/]+)/completions$")
_INTENT_MODES = {
    "conversation-agent": "agent",
    "conversation-edits": "edit",
    "conversation-panel": "ask",
    "conversation-inline": "inline",
    "conversation-terminal": "inline",
    "conversation-notebook": "inline",
    "conversation-other": "other",
    "responses-proxy": "external",
    "messages-proxy": "external",
}
_MODEL_CALL_APIS = {"/chat/completions": "chat_completions", "/responses": "responses", "/v1/messages": "messages"}
_INFRA_PREFIXES = ("/models", "/auto", "/_ping", "/skills", "/search/", "/embeddings", "/agents/swe/models")
_JETBRAINS_IDES = {
    "IU": "intellij", "IC": "intellij", "IE": "intellij", "PY": "pycharm", "PC": "pycharm", "PE": "pycharm",
    "WS": "webstorm", "PS": "phpstorm", "RD": "rider", "RM": "rubymine", "CL": "clion", "GO": "goland",
    "RR": "rustrover", "DB": "datagrip", "DS": "dataspell", "AI": "android-studio", "QA": "aqua", "MPS": "mps",
}
_PLUGIN_EDITORS = {
    "copilot-chat": "vscode", "copilot": "vscode", "copilot-vs": "visual-studio", "copilot-eclipse": "eclipse",
    "copilot4eclipse": "eclipse", "copilot-xcode": "xcode", "copilot for xcode": "xcode", "zed-copilot": "zed",
    "helix-copilot": "helix", "copilot-helix": "helix", "copilot-sublime": "sublime-text",
}
_VIM_PLUGINS = ("copilot.vim", "copilot.lua", "neovim", "nvim", "coc-github-copilot", "sidekick.nvim")


@dataclass(frozen=True)
class RequestFacts:
    """What the classifier reads: header names lower-case, body already decoded (or None)."""

    host: str
    method: str
    path: str  # without the query string
    headers: Mapping[str, str]
    body: object = None


def _split_version(value: str) -> tuple[str, str]:
    name, _, version = value.strip().partition("/")
    return name.strip(), version.strip()


def identify_editor(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """Return (editor id, editor version, plugin, plugin version) from the editor headers (§2.12)."""
    editor_name, editor_version = _split_version(headers.get("editor-version", ""))
    plugin, plugin_version = _split_version(headers.get("editor-plugin-version", ""))
    lowered = plugin.lower()
    if lowered == "copilot-intellij" or editor_name.lower().startswith("jetbrains"):
        code = editor_name.partition("-")[2].upper()
        editor = _JETBRAINS_IDES.get(code, "jetbrains")
    elif lowered in _PLUGIN_EDITORS:
        editor = _PLUGIN_EDITORS[lowered]
    elif lowered in _VIM_PLUGINS or editor_name.lower() in ("vim", "neovim"):
        editor = "vim" if editor_name.lower() == "vim" else "neovim"
    elif editor_name:
        editor = editor_name.lower()
    elif headers.get("copilot-integration-id") == CLI_INTEGRATION:
        editor = "copilot-cli"
    else:
        agent = headers.get("user-agent", "").lower()
        editor = "vscode" if agent.startswith("githubcopilotchat/") else ""
    return editor, editor_version, plugin, plugin_version


def _route(family: str, method: str, path: str, model: str) -> tuple[str, str]:
    """Return (kind, api) from the family and the path (§2.13 step 3)."""
    route = path.rstrip("/") or "/"
    if _ENGINE.search(route):
        return m.KIND_COMPLETION, "completions"
    if family == "telemetry" and route.endswith("/telemetry"):
        return m.KIND_TELEMETRY, ""
    if family == "proxy" and route.endswith("/chat/completions"):
        lowered = model.lower()
        if lowered.startswith(("copilot-nes", "nes-", "xtab")):
            return m.KIND_NES, "chat_completions"
        if "instant-apply" in lowered:
            return m.KIND_INSTANT_APPLY, "chat_completions"
        return m.KIND_PROXY_CHAT, "chat_completions"
    for suffix, api in _MODEL_CALL_APIS.items():
        if route.endswith(suffix) and (method == "POST" or api == "responses"):
            return m.KIND_MODEL_CALL, api
    return _route_other(route), ""


def _route_other(route: str) -> str:
    if route.startswith("/agents/github-code-review"):
        return m.KIND_CODE_REVIEW
    if route.startswith(("/agents/swe", "/agents/sessions")):
        return m.KIND_CLOUD_AGENT if not route.startswith(_INFRA_PREFIXES) else m.KIND_INFRA
    if route.startswith("/agents/"):
        return m.KIND_EXTENSION
    if route.startswith("/mcp"):
        return m.KIND_MCP
    if route.startswith(_INFRA_PREFIXES) or route == "/":
        return m.KIND_INFRA
    return m.KIND_OTHER


def mode_of(headers: Mapping[str, str], intent: str) -> str:
    """Return the chat mode of a model call (§2.13 step 4)."""
    if headers.get("copilot-integration-id") == CLI_INTEGRATION:
        return "cli"
    interaction_type = headers.get("x-interaction-type", "").lower()
    if interaction_type == "conversation-subagent":
        return "subagent"
    if interaction_type == "conversation-background":
        return "background"
    mode = _INTENT_MODES.get(intent, "unknown" if not intent else "other")
    extension = headers.get("x-onbehalf-extension-id", "")
    if mode == "other" and extension:
        return f"extension:{extension.partition('/')[0]}"
    return mode


def _last(items: object) -> Json | None:
    if isinstance(items, list) and items and isinstance(items[-1], dict):
        return cast("Json", items[-1])
    return None


def _heuristic_initiator(api: str, body: object) -> str:
    """Guess user vs agent when no header says it (§5.3)."""
    if not isinstance(body, dict):
        return "user"
    data = cast("Json", body)
    if api in {"responses", "responses_ws"}:
        last = _last(data.get("input"))
        if last is None:
            return "user"
        is_user_message = last.get("role") == "user" and last.get("type", "message") == "message"
        return "user" if is_user_message else "agent"
    last = _last(data.get("messages"))
    if last is None:
        return "user"
    if last.get("role") != "user":
        return "agent"
    content = last.get("content")
    if api == "messages" and isinstance(content, list) and content:
        blocks = [b for b in content if isinstance(b, dict)]
        if blocks and all(b.get("type") == "tool_result" for b in blocks):
            return "agent"
    return "user"


def initiator_of(headers: Mapping[str, str], api: str, body: object) -> tuple[str, str]:
    """Return (initiator, source): the X-Initiator header, a WebSocket body field, or a heuristic."""
    header = headers.get("x-initiator", "").strip().lower()
    if header in ("user", "agent"):
        return header, "header"
    if isinstance(body, dict):
        field = str(cast("Json", body).get("initiator", "")).lower()
        if field in ("user", "agent"):
            return field, "body"
    return _heuristic_initiator(api, body), "heuristic"


def _body_str(body: object, key: str) -> str:
    if isinstance(body, dict):
        value = cast("Json", body).get(key)
        if isinstance(value, str):
            return value
    return ""


def _language(body: object) -> str:
    if isinstance(body, dict):
        extra = cast("Json", body).get("extra")
        if isinstance(extra, dict):
            language = cast("Json", extra).get("language")
            return language if isinstance(language, str) else ""
    return ""


def classify(facts: RequestFacts) -> Classification:
    """Classify one request (or one WebSocket `response.create` message, path `/responses`)."""
    headers = facts.headers
    family = host_family(facts.host)
    engine = _ENGINE.search(facts.path)
    model = engine.group(1) if engine else _body_str(facts.body, "model")
    kind, api = _route(family, facts.method.upper(), facts.path, model)
    if kind == m.KIND_MODEL_CALL and api == "responses" and facts.method.upper() == "GET":
        api = "responses_ws"
    editor, editor_version, plugin, plugin_version = identify_editor(headers)
    intent = headers.get("openai-intent", "").strip().lower()
    initiator, source, mode = "", "", ""
    if kind == m.KIND_MODEL_CALL:
        initiator, source = initiator_of(headers, api, facts.body)
        mode = mode_of(headers, intent)
        if headers.get("copilot-session-token"):
            model = "auto"
    return Classification(
        host_family=family, kind=kind, api=api, mode=mode, initiator=initiator, initiator_source=source,
        interaction_id=headers.get("x-interaction-id", ""), intent=intent, model=model,
        language=_language(facts.body) if kind == m.KIND_COMPLETION else "",
        editor=editor, editor_version=editor_version, plugin=plugin, plugin_version=plugin_version,
        integration_id=headers.get("copilot-integration-id", ""),
        speculative=headers.get("x-copilot-speculative", "").lower() == "true",
    )

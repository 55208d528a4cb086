"""Table tests of request classification, from copilot-protocol.md §2 and §7 and the seed's captures."""

import pytest

from desktop_app.capture.classify import RequestFacts, classify, identify_editor
from desktop_app.core import models as m

API = "api.githubcopilot.com"
PROXY = "copilot-proxy.githubusercontent.com"
SEED_PROXY = "proxy.enterprise.githubcopilot.com"
SEED_API = "api.enterprise.githubcopilot.com"
VSCODE = {"editor-version": "vscode/1.111.0", "editor-plugin-version": "copilot-chat/0.42.0"}


def chat(*roles, **extra):
    return {"model": "gpt-4o", "messages": [{"role": r, "content": "x"} for r in roles], **extra}


CASES = [
    # (id, host, method, path, headers, body, expected subset)
    ("seed completion", SEED_PROXY, "POST", "/v1/engines/copilot-codex/completions",
     {"editor-version": "JetBrains-PC/243.22562.220", "editor-plugin-version": "copilot-intellij/1.5.30"},
     {"prompt": "def add", "extra": {"language": "python"}},
     {"kind": m.KIND_COMPLETION, "api": "completions", "model": "copilot-codex", "language": "python",
      "editor": "pycharm", "editor_version": "243.22562.220", "initiator": "", "host_family": "proxy"}),
    ("speculative completion", PROXY, "POST", "/v1/engines/gpt-4o-copilot/completions",
     {**VSCODE, "x-copilot-speculative": "true", "openai-intent": "copilot-ghost"}, {"extra": {"language": "go"}},
     {"kind": m.KIND_COMPLETION, "speculative": True, "language": "go", "editor": "vscode"}),
    ("seed JetBrains chat without X-Initiator", SEED_API, "POST", "/chat/completions",
     {"openai-intent": "conversation-panel", "editor-version": "JetBrains-PC/243.22562.220"},
     chat("system", "user", "system", "user"),
     {"kind": m.KIND_MODEL_CALL, "mode": "ask", "initiator": "user", "initiator_source": "heuristic",
      "api": "chat_completions", "host_family": "api"}),
    ("ask turn", API, "POST", "/chat/completions",
     {**VSCODE, "openai-intent": "conversation-panel", "x-initiator": "user", "x-interaction-id": "i-1"},
     chat("system", "user"),
     {"mode": "ask", "initiator": "user", "initiator_source": "header", "interaction_id": "i-1", "model": "gpt-4o"}),
    ("agent tool follow-up", API, "POST", "/chat/completions",
     {**VSCODE, "openai-intent": "conversation-agent", "x-initiator": "agent", "x-interaction-id": "i-2"},
     chat("system", "user", "assistant", "tool"), {"mode": "agent", "initiator": "agent"}),
    ("title generation uses panel intent but agent initiator", API, "POST", "/chat/completions",
     {**VSCODE, "openai-intent": "conversation-panel", "x-initiator": "agent"}, chat("user"),
     {"mode": "ask", "initiator": "agent"}),
    ("edit mode", API, "POST", "/chat/completions", {"openai-intent": "conversation-edits", "x-initiator": "USER"},
     chat("user"), {"mode": "edit", "initiator": "user"}),
    ("inline chat", API, "POST", "/chat/completions", {"openai-intent": "conversation-inline"}, chat("user"),
     {"mode": "inline"}),
    ("subagent", API, "POST", "/chat/completions",
     {"openai-intent": "conversation-agent", "x-interaction-type": "conversation-subagent", "x-initiator": "agent"},
     chat("user"), {"mode": "subagent", "initiator": "agent"}),
    ("background", API, "POST", "/chat/completions",
     {"openai-intent": "conversation-panel", "x-interaction-type": "conversation-background"}, chat("user"),
     {"mode": "background"}),
    ("LM API call of another extension", API, "POST", "/chat/completions",
     {"openai-intent": "conversation-other", "x-onbehalf-extension-id": "rooveterinaryinc.roo-cline/3.1.0",
      "x-initiator": "user"}, chat("user"), {"mode": "extension:rooveterinaryinc.roo-cline", "initiator": "user"}),
    ("utility call", API, "POST", "/chat/completions", {"openai-intent": "conversation-other"}, chat("user"),
     {"mode": "other"}),
    ("CLI", API, "POST", "/chat/completions",
     {"copilot-integration-id": "copilot-developer-cli", "x-initiator": "user"}, chat("user"),
     {"mode": "cli", "editor": "copilot-cli", "integration_id": "copilot-developer-cli"}),
    ("auto model", API, "POST", "/chat/completions",
     {"openai-intent": "conversation-agent", "copilot-session-token": "opaque"}, chat("user"), {"model": "auto"}),
    ("third-party client without intent", API, "POST", "/chat/completions", {}, chat("user", "assistant"),
     {"mode": "unknown", "initiator": "agent", "initiator_source": "heuristic"}),
    ("responses user turn", API, "POST", "/responses", {"openai-intent": "conversation-agent"},
     {"model": "gpt-5.1", "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]},
     {"api": "responses", "initiator": "user", "model": "gpt-5.1"}),
    ("responses tool output", API, "POST", "/responses", {"openai-intent": "conversation-agent"},
     {"model": "gpt-5.1", "input": [{"type": "function_call_output", "call_id": "c", "output": "ok"}]},
     {"initiator": "agent"}),
    ("responses over WebSocket", API, "GET", "/responses", {"openai-intent": "conversation-agent"},
     {"type": "response.create", "model": "gpt-5.1", "initiator": "agent", "input": []},
     {"api": "responses_ws", "initiator": "agent", "initiator_source": "body"}),
    ("messages user text", API, "POST", "/v1/messages", {"openai-intent": "conversation-agent"},
     {"model": "claude-sonnet-4.5", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
     {"api": "messages", "initiator": "user", "model": "claude-sonnet-4.5"}),
    ("messages tool result", API, "POST", "/v1/messages", {},
     {"model": "claude-sonnet-4.5",
      "messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]}]},
     {"initiator": "agent"}),
    ("NES", PROXY, "POST", "/chat/completions", {"openai-intent": "conversation-other", "x-initiator": "agent"},
     {"model": "copilot-nes-xtab", "messages": []}, {"kind": m.KIND_NES, "initiator": ""}),
    ("instant apply", PROXY, "POST", "/chat/completions", {}, {"model": "gpt-4o-instant-apply-full-ft-v66"},
     {"kind": m.KIND_INSTANT_APPLY}),
    ("code review", API, "POST", "/agents/github-code-review", {}, None, {"kind": m.KIND_CODE_REVIEW}),
    ("cloud agent", API, "GET", "/agents/swe/v1/jobs/o/r", {}, None, {"kind": m.KIND_CLOUD_AGENT}),
    ("legacy extension", API, "POST", "/agents/docker", {}, None, {"kind": m.KIND_EXTENSION}),
    ("mcp", API, "POST", "/mcp/", {"x-initiator": "user"}, None, {"kind": m.KIND_MCP, "initiator": ""}),
    ("models", API, "GET", "/models", {"x-initiator": "user"}, None, {"kind": m.KIND_INFRA, "initiator": ""}),
    ("models session", API, "POST", "/models/session", {}, None, {"kind": m.KIND_INFRA}),
    ("telemetry", "copilot-telemetry.githubusercontent.com", "POST", "/telemetry", {}, None,
     {"kind": m.KIND_TELEMETRY, "host_family": "telemetry"}),
    ("plan telemetry", "telemetry.business.githubcopilot.com", "POST", "/telemetry", {}, None,
     {"kind": m.KIND_TELEMETRY}),
    ("GHE.com completions", "copilot-proxy.acme.ghe.com", "POST", "/v1/engines/gpt-41-copilot/completions", {}, {},
     {"kind": m.KIND_COMPLETION, "host_family": "proxy"}),
]


@pytest.mark.parametrize(("host", "method", "path", "headers", "body", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classify(host, method, path, headers, body, expected):
    result = classify(RequestFacts(host, method, path, headers, body))
    actual = {key: getattr(result, key) for key in expected}
    assert actual == expected


@pytest.mark.parametrize(("headers", "expected"), [
    ({"editor-version": "JetBrains-IU/251.1", "editor-plugin-version": "copilot-intellij/1.5"}, "intellij"),
    ({"editor-version": "JetBrains-GO/251.1", "editor-plugin-version": "copilot-intellij/1.5"}, "goland"),
    ({"editor-version": "JetBrains-XY/251.1", "editor-plugin-version": "copilot-intellij/1.5"}, "jetbrains"),
    ({"editor-version": "Neovim/0.11.2", "editor-plugin-version": "copilot.lua/1.515.0"}, "neovim"),
    ({"editor-version": "Vim/9.1", "editor-plugin-version": "copilot.vim/1.40"}, "vim"),
    ({"editor-version": "vs/17.14", "editor-plugin-version": "copilot-vs/1.2"}, "visual-studio"),
    ({"editor-version": "Xcode/16.0", "editor-plugin-version": "copilot-xcode/0.40"}, "xcode"),
    ({"editor-version": "zed/0.190", "editor-plugin-version": "zed-copilot/0.0.1"}, "zed"),
    ({"user-agent": "GitHubCopilotChat/0.42.0"}, "vscode"),
    ({}, ""),
])
def test_identify_editor(headers, expected):
    assert identify_editor(headers)[0] == expected

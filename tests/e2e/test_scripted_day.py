"""A scripted day of two developers through `serve`: the store must hold exactly what happened."""

import contextlib
import gzip
import json
from datetime import UTC, datetime

import httpx

from desktop_app.core.paths import resolve_paths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage, latest_quotas
from tests.e2e.harness import BEARER, COPILOT_API, COPILOT_PROXY, COPILOT_TELEMETRY
from tests.e2e.served import start_serve

VSCODE = {"Editor-Version": "vscode/1.111.0", "Editor-Plugin-Version": "copilot-chat/0.42.0",
          "Authorization": f"Bearer {BEARER}"}
ENGINE = f"{COPILOT_PROXY}/v1/engines/gpt-4o-copilot/completions"


def _chat(client, intent, initiator, interaction, *, extra=None, path="/chat/completions", body=None):
    headers = {**VSCODE, "OpenAI-Intent": intent, "X-Initiator": initiator, "X-Interaction-Id": interaction,
               **(extra or {})}
    payload = body or {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    response = client.post(f"{COPILOT_API}{path}", json=payload, headers=headers)
    assert response.status_code == 200


def _completion(client, prompt="def f():", speculative=False):
    headers = {**VSCODE, "OpenAI-Intent": "copilot-ghost", "X-Copilot-Speculative": str(speculative).lower()}
    body = {"prompt": prompt, "stream": True, "extra": {"language": "python"}}
    assert client.post(ENGINE, json=body, headers=headers).status_code == 200


def _telemetry(client):
    def envelope(name, request_id, **measurements):
        properties = {"headerRequestId": request_id, "choiceIndex": "0", "languageId": "python",
                      "engineName": "gpt-4o-copilot", "compType": "partial" if request_id == "r2" else "full"}
        return json.dumps({"name": "Microsoft.ApplicationInsights.Event", "time": datetime.now(UTC).isoformat(),
                           "tags": {"ai.user.id": "tid"}, "data": {"baseType": "EventData", "baseData": {
                               "name": name, "properties": properties, "measurements": measurements}}})
    lines = [envelope("copilot/ghostText.shown", f"r{i}", compCharLen=10) for i in (1, 2, 3)]
    lines += [envelope("copilot/ghostText.accepted", "r1", compCharLen=10, numLines=2),
              envelope("copilot/ghostText.accepted", "r2", compCharLen=4, numLines=1),
              envelope("copilot/ghostText.accepted", "r2", compCharLen=8, numLines=2),
              envelope("copilot/someUnknown.event", "r9")]
    body = gzip.compress("\n".join(lines).encode(), mtime=0)
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/x-json-stream"}
    assert client.post(f"{COPILOT_TELEMETRY}/telemetry", content=body, headers=headers).status_code == 200


def alice_day(client):
    for _ in range(3):
        _completion(client)
    _completion(client, speculative=True)
    _completion(client, prompt="EMPTY")
    _chat(client, "conversation-panel", "user", "ask-1")
    _chat(client, "conversation-panel", "agent", "ask-1")  # title generation: not a user interaction
    _chat(client, "conversation-agent", "user", "agent-1")
    for _ in range(5):
        _chat(client, "conversation-agent", "agent", "agent-1")
    _telemetry(client)


def bob_day(client):
    _completion(client)
    _chat(client, "conversation-agent", "user", "resp-1", path="/responses",
          body={"model": "gpt-5.1", "stream": True, "input": [{"role": "user", "content": "hi"}]})
    _chat(client, "conversation-agent", "user", "msg-1", path="/v1/messages",
          body={"model": "claude-sonnet-4.5", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
    _chat(client, "", "user", "cli-1", extra={"Copilot-Integration-Id": "copilot-developer-cli"})


def test_a_scripted_day_yields_exact_per_developer_numbers(tmp_path, pki, upstream):
    served = start_serve(tmp_path, pki, upstream, developers=("alice", "bob"))
    try:
        for name, script in (("alice", alice_day), ("bob", bob_day)):
            with httpx.Client(proxy=served.proxy_url(name), verify=served.trust(), timeout=10) as client:
                script(client)
    finally:
        assert served.stop() == 0, served.log.drain()

    store = UsageStore.open(resolve_paths(served.data).database)
    try:
        today = datetime.now().date()
        with contextlib.closing(store.read_connection()) as conn:
            rows = {row.developer: row for row in daily_usage(conn, today, today)}
            quotas = latest_quotas(conn)
    finally:
        store.close()
    alice, bob = rows["alice"], rows["bob"]
    # the speculative completion is excluded; the empty one is not a suggestion
    assert (alice.completions_requested, alice.completions_returned) == (4, 3)
    assert (alice.completions_shown, alice.completions_accepted, alice.lines_accepted) == (3, 2, 4)
    assert alice.acceptance_rate == 2 / 3
    assert alice.user_interactions == 2
    assert alice.interactions_by_mode == {"ask": 1, "agent": 1}
    assert (alice.agent_requests, alice.model_calls) == (6, 8)
    assert (alice.prompt_tokens, alice.completion_tokens) == (8 * 11, 8 * 5)
    assert abs(alice.ai_credits - 8 * 0.0015) < 1e-9
    assert alice.languages == {"python": 4}  # completion requests per language, speculative excluded
    assert alice.editors["vscode"] >= 13
    assert bob.user_interactions == 3
    assert bob.interactions_by_mode == {"agent": 2, "cli": 1}
    assert bob.agent_requests == 0
    # responses 20 + messages 30 (+ 7 cache reads, counted in the prompt as VS Code does) + CLI chat 11
    assert (bob.prompt_tokens, bob.completion_tokens, bob.cached_tokens, bob.reasoning_tokens) == (68, 15, 12, 3)
    assert abs(bob.ai_credits - 0.0065) < 1e-9
    assert bob.models == {"gpt-5.1": 1, "claude-sonnet-4.5": 1, "gpt-4o": 1}
    # no telemetry: shown falls back to the proxy, what was accepted is unknown (not 0)
    assert (bob.completions_shown, bob.completions_accepted, bob.acceptance_rate) == (1, None, None)
    assert alice.errors == bob.errors == 0
    assert {(q.developer, q.quota, q.remaining_percent) for q in quotas} >= {
        ("alice", "premium_interactions", 87.5), ("bob", "premium_interactions", 87.5)}

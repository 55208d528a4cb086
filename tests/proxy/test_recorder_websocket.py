"""WebSocket Responses: each `response.create` and its answer become one model call."""

import json

from mitmproxy import websocket
from mitmproxy.test import tflow
from wsproto.frame_protocol import Opcode

from desktop_app.capture.analysis import analyze
from desktop_app.capture.hosts import HostPolicy
from desktop_app.core import models as m
from desktop_app.proxy.auth import DEVELOPER_KEY
from desktop_app.proxy.recorder import UsageRecorder


def _flow():
    flow = tflow.twebsocketflow(messages=False)
    flow.request.host = "api.githubcopilot.com"
    flow.request.path = "/responses"
    flow.request.headers["OpenAI-Intent"] = "conversation-agent"
    flow.request.headers["X-Interaction-Id"] = "turn-1"
    flow.metadata[DEVELOPER_KEY] = "alice"
    return flow


def _message(flow, recorder, payload, *, from_client):
    flow.websocket.messages.append(websocket.WebSocketMessage(Opcode.TEXT, from_client, json.dumps(payload).encode()))
    recorder.websocket_message(flow)


def test_websocket_model_calls_are_paired_and_classified():
    captured = []
    recorder = UsageRecorder(captured.append, HostPolicy())
    flow = _flow()
    recorder.response(flow)  # the 101 handshake itself is not a model call
    create = {"type": "response.create", "model": "gpt-5.1", "initiator": "user", "input": []}
    completed = {"type": "response.completed", "copilot_usage": {"total_nano_aiu": 2_000_000},
                 "response": {"status": "completed", "usage": {"input_tokens": 20, "output_tokens": 4}}}
    _message(flow, recorder, create, from_client=True)
    _message(flow, recorder, {"type": "response.output_text.delta", "delta": "hi"}, from_client=False)
    _message(flow, recorder, completed, from_client=False)
    _message(flow, recorder, {**create, "initiator": "agent"}, from_client=True)
    recorder.websocket_end(flow)  # closed before the second answer
    assert len(captured) == 2
    first, cancelled = (analyze(exchange).usage[0] for exchange in captured)
    assert (first.kind, first.api, first.initiator, first.initiator_source) == (
        m.KIND_MODEL_CALL, "responses_ws", "user", "body")
    assert (first.mode, first.interaction_id, first.model) == ("agent", "turn-1", "gpt-5.1")
    assert (first.prompt_tokens, first.completion_tokens, first.nano_aiu) == (20, 4, 2_000_000)
    assert (cancelled.initiator, cancelled.status, cancelled.cancelled) == ("agent", None, True)


def test_websocket_of_an_unauthenticated_or_foreign_flow_is_ignored():
    captured = []
    recorder = UsageRecorder(captured.append, HostPolicy())
    flow = _flow()
    del flow.metadata[DEVELOPER_KEY]
    _message(flow, recorder, {"type": "response.create"}, from_client=True)
    recorder.websocket_end(flow)
    assert captured == []

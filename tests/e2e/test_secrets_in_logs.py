"""No password, Basic credential or bearer token ever reaches a log."""

import base64
import logging

import httpx
import pytest

from tests.e2e.harness import BEARER, COPILOT_API, chat_body


def test_no_secret_in_any_log_record(proxy, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("mitmproxy").setLevel(logging.DEBUG)
    password = proxy.team.passwords["alice"]
    with proxy.client("alice") as client:
        client.post(f"{COPILOT_API}/chat/completions", json=chat_body(), headers={"Authorization": f"Bearer {BEARER}"})
    wrong = password[:-1] + ("y" if password[-1] in "xX" else "x")  # never the same password (1 in 32 ended in x)
    with proxy.client("alice", password=wrong) as client, pytest.raises(httpx.ProxyError):
        client.get(f"{COPILOT_API}/models")
    proxy.events.wait_for(1)
    proxy.service.stop()
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    forbidden = [password, password.replace("-", ""), BEARER, "0123456789abcdef",
                 base64.b64encode(f"alice:{password}".encode()).decode()]
    assert caplog.records, "the test must see the proxy's logging"
    for secret in forbidden:
        assert secret not in text

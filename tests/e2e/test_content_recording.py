"""Content recording: off by default; when on, seed-layout files without any secret."""

import json
import stat

from desktop_app.core.paths import resolve_paths
from desktop_app.core.team.secrets import KeyringSecretStore, load_or_create_secret
from desktop_app.proxy.service import ProxyService, ServiceOptions
from tests.e2e.harness import BEARER, COPILOT_API, REDIRECT_SCRIPT, EventLog, RunningProxy

LEAKY_PROMPT = "deploy with key ghp_abcdefghijklmnopqrstuvwxyz0123456789 and AKIAABCDEFGHIJKLMNOP please"


def _run(team, pki, upstream, record):
    events = EventLog()
    options = ServiceOptions("127.0.0.1", 0, (f"fake_upstream=127.0.0.1:{upstream.port}",
                                              f"ssl_verify_upstream_trusted_ca={pki.ca_cert}"),
                             (REDIRECT_SCRIPT,), record=record)
    service = ProxyService(team.paths, team.settings, lambda: load_or_create_secret(KeyringSecretStore()), options,
                           listeners=[events.consume])
    _, port = service.start()
    running = RunningProxy(service, port, team, pki, events)
    try:
        with running.client("alice") as client:
            client.post(f"{COPILOT_API}/chat/completions", headers={"Authorization": f"Bearer {BEARER}",
                                                                    "Cookie": "session=s3cr3t"},
                        json={"model": "gpt-4o", "stream": True,
                              "messages": [{"role": "user", "content": LEAKY_PROMPT}]})
        events.wait_for(1)
    finally:
        service.stop()
    return resolve_paths(team.paths.data_dir).content_dir


def test_metadata_level_writes_no_content(team, pki, upstream):
    content_dir = _run(team, pki, upstream, "metadata")
    assert not content_dir.exists() or not any(content_dir.rglob("*.json"))


def test_content_level_writes_redacted_seed_layout_files(team, pki, upstream):
    content_dir = _run(team, pki, upstream, "content")
    files = list((content_dir / "alice" / "chat").glob("*.json"))
    assert len(files) == 1
    text = files[0].read_text()
    document = json.loads(text)
    assert document["proxy-authorization"] == "alice"
    assert document["request"]["content"]["messages"][0]["content"].startswith("deploy with key")
    assert document["response"]["content"][0]["choices"][0]["delta"]["content"] == "tok"
    for secret in (BEARER, "s3cr3t", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "AKIAABCDEFGHIJKLMNOP",
                   team.passwords["alice"]):
        assert secret not in text
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600

"""Tray and `serve` on one data folder: the tray shows the proxy `serve` runs, live, and never starts a second.

A real `copilot-insight serve` process on loopback and the tray application on its data folder.
"""


import httpx
import pytest

from desktop_app.commands.tray import ServiceEngine
from desktop_app.core.paths import resolve_paths
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.ui.icons import TrayState
from tests.e2e.harness import COPILOT_API, chat_body
from tests.e2e.served import cli, free_port, start_serve
from tests.ui.driving import action


@pytest.fixture
def served(tmp_path, pki, upstream):
    running = start_serve(tmp_path, pki, upstream)
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture
def paths(served):
    """The tray's data folder is the one `serve` runs on."""
    return resolve_paths(served.data)


def test_the_tray_shows_the_proxy_serve_runs_instead_of_starting_a_second(make_app, qtbot, paths, served):
    secret = CachedSecret(KeyringSecretStore())
    app = make_app(secret=secret, engine_factory=lambda bridge: ServiceEngine(paths, secret, bridge))
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=15_000)
    status, toggle = action(app, "status_line"), action(app, "toggle_proxy")
    assert app.proxy.status.port == served.port
    assert app.proxy.status.run_by.startswith("copilot-insight serve (process ")
    assert status.text() == f"Run by copilot-insight serve on 127.0.0.1:{served.port} · 0 active · 0 requests today"
    assert not toggle.isEnabled() and toggle.text().startswith("Proxy run by copilot-insight serve")

    with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
        assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False)).status_code == 200
    # recorded by the other process, seen by the tray's live refresh
    qtbot.waitUntil(lambda: "1 active · 1 requests today" in status.text(), timeout=15_000)

    assert served.stop() == 0
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)
    assert any("copilot-insight serve" in message and "stopped its proxy" in message
               for _, message in app.tray.notifications)
    assert toggle.isEnabled() and toggle.text() == "Start proxy"


def test_a_second_proxy_on_one_data_folder_is_refused_in_words(served):
    second = cli("serve", "--listen-port", str(free_port()), env=served.env)
    assert second.returncode != 0
    assert "already runs on this data folder: copilot-insight serve (process" in second.stderr
    assert f"127.0.0.1:{served.port}" in second.stderr

"""The whole GUI on the real engine: the tray starts mitmproxy, a real client goes through it, the tray shows it."""

import socket
import ssl

import httpx
import pytest
from PySide6.QtGui import QAction

from desktop_app.commands.tray import ServiceEngine
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.core.team.settings import ProxySettings, RecordingSettings, Settings, save_settings
from desktop_app.ui.icons import TrayState
from tests.e2e.harness import COPILOT_API, REDIRECT_SCRIPT, chat_body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launched_through_fake_upstream(make_app, qtbot, paths, pki, upstream):
    """The tray app with a real proxy whose Copilot traffic goes to the fake upstream, running."""
    secret = CachedSecret(KeyringSecretStore())

    def engine(bridge):
        return ServiceEngine(paths, secret, bridge, scripts=(REDIRECT_SCRIPT,), set_options=(
            f"fake_upstream=127.0.0.1:{upstream.port}", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}"))

    app = make_app(engine_factory=engine, secret=secret)
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=15_000)
    return app


def test_a_request_through_the_real_proxy_shows_in_the_tray(make_app, qtbot, paths, pki, upstream):
    port = free_port()
    save_settings(paths.settings_file, add_developer(Settings(proxy=ProxySettings("127.0.0.1", port)), "alice"))

    app = launched_through_fake_upstream(make_app, qtbot, paths, pki, upstream)
    status = app.tray.menu.findChild(QAction, "status_line")
    assert status.text() == f"Running on 127.0.0.1:{port} · 0 active · 0 requests today"

    password = derive_password(app.ctx.secret(), "alice", 0)
    trust = ssl.create_default_context(cafile=str(paths.ca_certificate))
    with httpx.Client(proxy=f"http://alice:{password}@127.0.0.1:{port}", verify=trust, timeout=10) as client:
        response = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(),
                               headers={"Authorization": "Bearer t", "X-Initiator": "user"})
    assert response.status_code == 200
    assert "data:" in response.text

    qtbot.waitUntil(lambda: "1 active · 1 requests today" in status.text(), timeout=10_000)
    assert f"127.0.0.1:{port}" in app.tray.icon.toolTip()
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_developer_whose_client_rejects_the_ca_shows_up_in_the_team_dialog(make_app, qtbot, paths, pki, upstream):
    port = free_port()
    settings = add_developer(add_developer(Settings(proxy=ProxySettings("127.0.0.1", port)), "alice"), "bob")
    save_settings(paths.settings_file, settings)
    secret = CachedSecret(KeyringSecretStore())
    app = make_app(engine_factory=lambda bridge: ServiceEngine(paths, secret, bridge), secret=secret)
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=15_000)
    dialog = app.controller.team.open()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=5_000)

    password = derive_password(app.ctx.secret(), "alice", 0)
    with httpx.Client(proxy=f"http://alice:{password}@127.0.0.1:{port}", timeout=10) as client, \
            pytest.raises(httpx.ConnectError):
        client.get("https://insight.check/")  # trusts only the public roots, not the proxy's CA

    def alice_row():
        return dialog.model.row_at(dialog.model.find("alice"))

    qtbot.waitUntil(lambda: alice_row().connection.startswith("Does not trust the CA"), timeout=10_000)
    assert "insight.check" in alice_row().connection_details[0]
    assert dialog.model.row_at(dialog.model.find("bob")).connection == ""
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)


def test_the_dashboard_shows_a_real_request_live_with_its_prompt(make_app, qtbot, paths, pki, upstream):
    port = free_port()
    settings = Settings(proxy=ProxySettings("127.0.0.1", port), recording=RecordingSettings(level="content"))
    save_settings(paths.settings_file, add_developer(settings, "alice"))
    app = launched_through_fake_upstream(make_app, qtbot, paths, pki, upstream)
    window = app.controller.show_window("dashboard")
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.data is not None, timeout=5_000)
    assert window.pages.currentWidget() is window.empty

    password = derive_password(app.ctx.secret(), "alice", 0)
    trust = ssl.create_default_context(cafile=str(paths.ca_certificate))
    with httpx.Client(proxy=f"http://alice:{password}@127.0.0.1:{port}", verify=trust, timeout=10) as client:
        response = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(),
                               headers={"Authorization": "Bearer t", "X-Initiator": "user",
                                        "X-Interaction-Id": "turn-1"})
    assert response.status_code == 200
    qtbot.waitUntil(lambda: window.data.summary.requests == 1, timeout=2_000)  # live: within two seconds
    assert window.pages.currentWidget() is not window.empty

    window.requests.choose("alice")
    window.drill_requested.emit("alice", None)
    tree = window.requests.model
    qtbot.waitUntil(lambda: tree.rowCount() == 1, timeout=3_000)
    assert tree.interactions[0].lead.initiator == "user"
    window.requests.tree.setCurrentIndex(tree.index(0, 0))
    qtbot.waitUntil(lambda: window.requests.prompt.toPlainText() == "hello", timeout=3_000)
    assert window.requests.response.toPlainText()  # the fake upstream's streamed answer, put back together
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)

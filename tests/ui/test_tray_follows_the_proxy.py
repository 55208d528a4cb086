"""Copilot unreachable from the proxy: the tray turns amber, notifies once, and the team dialog says it.

Real engine, real mitmproxy, a real CONNECT: the upstream is a loopback port with nothing listening.
"""

from datetime import UTC, datetime

from desktop_app.commands.tray import ServiceEngine
from desktop_app.core.models import ConnectionEvent, RecordBatch
from desktop_app.core.store.database import UsageStore
from desktop_app.core.team.credentials import derive_password
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.core.team.settings import ProxySettings, Settings, save_settings
from desktop_app.ui.icons import TrayState
from tests.e2e.harness import REDIRECT_SCRIPT
from tests.e2e.served import free_port
from tests.fakes.sockets import closed_port, raw_connect
from tests.ui.driving import action


def test_copilot_unreachable_turns_the_tray_amber_and_shows_in_the_team_dialog(make_app, qtbot, paths, pki):
    port = free_port()
    save_settings(paths.settings_file, add_developer(Settings(proxy=ProxySettings("127.0.0.1", port)), "alice"))
    secret = CachedSecret(KeyringSecretStore())
    app = make_app(secret=secret, engine_factory=lambda bridge: ServiceEngine(
        paths, secret, bridge, scripts=(REDIRECT_SCRIPT,),
        set_options=(f"fake_upstream=127.0.0.1:{closed_port()}", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}")))
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=15_000)
    status = action(app, "status_line")
    dialog = app.controller.team.open()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5_000)

    answer = raw_connect(port, "alice", derive_password(secret(), "alice", 0))
    assert answer.startswith("HTTP/1.1 502") and "team lead has been told" in answer

    qtbot.waitUntil(lambda: status.text() == "Cannot reach Copilot: connection refused", timeout=10_000)
    assert app.controller.upstream_problem() is not None
    assert "api.githubcopilot.com: the connection was refused" in app.tray.icon.toolTip()
    titles = [title for title, _ in app.tray.notifications]
    assert titles.count("Cannot reach Copilot") == 1
    qtbot.waitUntil(lambda: dialog.upstream_banner.isVisibleTo(dialog), timeout=5_000)
    assert dialog.upstream_banner.text().startswith(
        "The proxy cannot reach api.githubcopilot.com: the connection was refused")
    row = dialog.model.row_at(dialog.model.find("alice"))
    assert row.connection.startswith("Cannot reach Copilot: api.githubcopilot.com, the connection was refused")
    assert row.warning

    with UsageStore.open(paths.database, "") as store:  # the proxy reached it again (as the addon reports it)
        store.write(RecordBatch(connections=(ConnectionEvent("upstream_ok", "alice", "127.0.0.1",
                                                             "api.githubcopilot.com", datetime.now(UTC)),)))
    app.controller.activity.refresh()
    qtbot.waitUntil(lambda: status.text().startswith("Running on"), timeout=5_000)
    assert ("Copilot Insight", "Copilot is reachable again (api.githubcopilot.com).") in app.tray.notifications
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)

"""A burst of refused logins through the real proxy: one tray warning, a note in the team dialog, lines in auth.log."""

import base64
import socket

from desktop_app.commands.tray import ServiceEngine
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.core.team.settings import ProxySettings, Settings, save_settings
from desktop_app.ui.icons import TrayState
from tests.ui.test_gui_e2e import free_port


def _refused(port: int, source: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as sock:
        token = base64.b64encode(b"alice:guessing").decode()
        sock.sendall(f"CONNECT api.githubcopilot.com:443 HTTP/1.1\r\nProxy-Authorization: Basic {token}\r\n\r\n"
                     .encode())
        return sock.recv(4096)


def test_a_burst_of_refused_logins_warns_once_and_shows_in_the_team_dialog(make_app, qtbot, paths, tmp_path):
    port = free_port()
    save_settings(paths.settings_file, add_developer(Settings(proxy=ProxySettings("127.0.0.1", port)), "alice"))
    secret = CachedSecret(KeyringSecretStore())
    app = make_app(engine_factory=lambda bridge: ServiceEngine(paths, secret, bridge), secret=secret)
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=15_000)
    dialog = app.controller.team.open()
    assert not dialog.burst_note.isVisible()

    for n in range(25):  # one attempt per address each, so the per-address slow-down does not kick in
        assert _refused(port, f"127.0.9.{n % 20 + 1}").startswith(b"HTTP/1.1 407")
    qtbot.waitUntil(dialog.burst_note.isVisible, timeout=10_000)

    warnings = [message for title, message in app.tray.notifications if title == "Refused logins"]
    assert len(warnings) == 1
    assert warnings[0].startswith("20 refused logins in 1 min, from 20 addresses, most from 127.0.9.")
    assert "logs/auth.log" in warnings[0]
    assert dialog.burst_note.text() == f"⚠ {warnings[0]}"
    dialog.grab().save(str(tmp_path / "team-burst.png"))
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=15_000)
    lines = (paths.log_dir / "auth.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    assert all(" reason=wrong_password user=\"alice\" " in line for line in lines)

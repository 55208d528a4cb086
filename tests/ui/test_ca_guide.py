"""The CA guide window: opened from the tray, the real CA, every guide section, copying, exports, the setup page.

Nothing here depends on the guide's wording (written elsewhere, in `core.ca_guide`): the window is
compared with the sections built from the context it should have used.
"""

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QWidget,
)

from desktop_app.core.ca import CaCertificate
from desktop_app.core.errors import AppError
from desktop_app.core.guide.ca_guide import (
    GuideContext,
    GuideSection,
    Step,
    client_sections,
    guide_sections,
    system_sections,
)
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import DesktopSettings, ProxySettings, Settings, save_settings
from desktop_app.ui.ca_guide_presenter import setup_page_state
from desktop_app.ui.dialogs.ca_guide import CaGuideWindow, platform_section
from desktop_app.ui.engine import EngineStatus
from desktop_app.ui.icons import TrayState
from tests.ui.conftest import FakeEngine

LAN_HOST = "192.168.1.20"  # FakeOs's address


# --- helpers --------------------------------------------------------------------------------------


def configure(paths, *, start: bool = True, **proxy) -> Settings:
    settings = add_developer(Settings(proxy=ProxySettings(**proxy),
                                      desktop=DesktopSettings(start_proxy_on_launch=start)), "alice")
    save_settings(paths.settings_file, settings)
    return settings


def engine_with(**status):
    """A `FakeEngine` factory whose status differs from the default as given."""

    def factory(bridge):
        engine = FakeEngine(bridge)
        engine.status = replace(engine.status, **status)
        return engine

    return factory


def ca_on_disk(paths) -> x509.Certificate:
    return x509.load_pem_x509_certificate((paths.confdir / "mitmproxy-ca-cert.pem").read_bytes())


def ca_fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{byte:02X}" for byte in cert.fingerprint(hashes.SHA256()))


def ca_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)


def child(widget: QWidget, kind, name: str):
    found = widget.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name!r}"
    return found


def open_guide(app, qtbot) -> CaGuideWindow:
    """Open the guide from the tray menu and wait for the CA to be read."""
    action = app.tray.menu.findChild(QAction, "open_ca_guide")
    action.trigger()
    window = app.controller.ca_guide.window
    assert window is not None
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.ca_fingerprint.text() != "", timeout=5000)
    return window


def launched(make_app, qtbot, *, running: bool = True, **kwargs):
    app = make_app(**kwargs)
    app.launch()
    if running:
        qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)
    else:
        qtbot.waitUntil(lambda: not app.ctx.tasks.busy, timeout=3000)
    return app


def expected_context(paths, host: str, port: int, setup_url: str | None) -> GuideContext:
    cert = ca_on_disk(paths)
    return GuideContext(host, port, ca_name(cert), ca_fingerprint(cert), setup_url)


def step_widgets(window: CaGuideWindow, section: GuideSection):
    """(step, its command box name, its Copy button name) for every step with a command."""
    for part, steps in (("", section.steps), ("check_", section.check), ("remove_", section.remove)):
        for number, step in enumerate(steps, start=1):
            if step.command is not None:
                suffix = f"{section.key}_{part}{number}"
                yield step, f"command_{suffix}", f"copy_{suffix}"


def shown_commands(window: CaGuideWindow) -> list[str]:
    return [box.toPlainText() for box in window.page.widget().findChildren(QPlainTextEdit)]


# --- opening --------------------------------------------------------------------------------------


def test_opens_from_the_tray_with_the_real_ca(make_app, qtbot, paths):
    configure(paths)
    app = launched(make_app, qtbot)
    window = open_guide(app, qtbot)
    assert window.objectName() == "ca_guide_window"
    assert window.isVisible()
    assert not window.isModal()
    assert not window.windowIcon().isNull()
    cert = ca_on_disk(paths)
    assert child(window, QLineEdit, "ca_fingerprint").text() == ca_fingerprint(cert)
    assert child(window, QLabel, "ca_name").text() == ca_name(cert)
    assert "test-pc" in ca_name(cert)
    expiry = cert.not_valid_after_utc.astimezone().strftime("%Y-%m-%d")
    assert child(window, QLabel, "ca_expiry").text() == expiry
    assert not child(window, QLabel, "ca_status").isVisible()
    child(window, QPushButton, "copy_fingerprint").click()
    assert QGuiApplication.clipboard().text() == ca_fingerprint(cert)


def test_reading_the_ca_happens_off_the_gui_thread_and_shows_a_note_meanwhile(make_app, qtbot, paths):
    configure(paths)
    app = launched(make_app, qtbot)
    app.tray.ca_guide_requested.emit()
    window = app.controller.ca_guide.window
    qtbot.addWidget(window)
    assert window.ca_fingerprint.text() == ""  # not read on the GUI thread
    assert child(window, QLabel, "ca_status").text() == "Reading the CA certificate…"
    qtbot.waitUntil(lambda: window.ca_fingerprint.text() != "", timeout=5000)


def test_opening_twice_brings_the_same_window_forward(make_app, qtbot, paths):
    configure(paths)
    app = launched(make_app, qtbot)
    first = open_guide(app, qtbot)
    first.close()
    assert not first.isVisible()
    second = open_guide(app, qtbot)
    assert second is first
    assert second.isVisible()
    assert len([w for w in QApplication.topLevelWidgets() if w.objectName() == "ca_guide_window"]) == 1


# --- the guide ------------------------------------------------------------------------------------


def test_every_section_is_listed_under_its_kind(make_app, qtbot, paths):
    configure(paths)
    window = open_guide(launched(make_app, qtbot), qtbot)
    any_context = GuideContext("h", 1, "n", "f")
    assert window.section_keys() == [section.key for section in guide_sections(any_context)]
    tree = child(window, QTreeWidget, "guide_sections")
    assert tree.topLevelItemCount() == 2
    for group, sections in enumerate((system_sections(any_context), client_sections(any_context))):
        item = tree.topLevelItem(group)
        assert [item.child(i).text(0) for i in range(item.childCount())] == [s.title for s in sections]


def test_the_leads_own_os_is_shown_first(make_app, qtbot, paths):
    configure(paths)
    window = open_guide(launched(make_app, qtbot), qtbot)
    assert window.selected_key() == platform_section()


@pytest.mark.parametrize(("platform", "key"), [
    ("win32", "windows"), ("cygwin", "windows"), ("darwin", "macos"), ("linux", "debian"), ("freebsd14", "debian"),
])
def test_platform_section(platform, key):
    assert platform_section(platform) == key


def test_each_section_shows_its_steps_and_copy_puts_the_exact_command_on_the_clipboard(make_app, qtbot, paths):
    configure(paths, listen_host="0.0.0.0")
    window = open_guide(launched(make_app, qtbot), qtbot)
    expected = guide_sections(expected_context(paths, LAN_HOST, 8080, f"http://{LAN_HOST}:8081/"))
    copied = 0
    for section in expected:
        assert window.select_section(section.key)
        assert window.selected_key() == section.key
        page = window.page.widget()
        assert child(page, QLabel, "section_title").text() == section.title
        if section.summary:
            assert child(page, QLabel, "section_summary").text() == section.summary
        labels = [label.text() for label in page.findChildren(QLabel)]
        for step in (*section.steps, *section.check, *section.remove):
            assert any(label.endswith(step.text) for label in labels), step.text
        for step, box_name, button_name in step_widgets(window, section):
            box = child(page, QPlainTextEdit, box_name)
            assert box.toPlainText() == step.command
            assert box.isReadOnly()
            child(page, QPushButton, button_name).click()
            assert QGuiApplication.clipboard().text() == step.command
            copied += 1
        if section.references:
            links = child(page, QLabel, "section_references").text()
            assert all(url in links for url in section.references)
    assert copied > 0


def test_host_and_port_come_from_the_settings_and_follow_them(make_app, qtbot, paths):
    configure(paths, listen_host="0.0.0.0", listen_port=8123)
    app = launched(make_app, qtbot)
    window = open_guide(app, qtbot)
    setup_url = f"http://{LAN_HOST}:8081/"  # where the (fake) engine says the setup page runs
    expected = {s.key: s for s in guide_sections(expected_context(paths, LAN_HOST, 8123, setup_url))}
    for key in window.section_keys():
        window.select_section(key)
        assert shown_commands(window) == [step.command for step, _box, _button in step_widgets(window, expected[key])]
    all_commands = []
    for key in window.section_keys():
        window.select_section(key)
        all_commands.extend(shown_commands(window))
    assert any(LAN_HOST in command and "8123" in command for command in all_commands)

    app.tray.settings_requested.emit()
    qtbot.waitUntil(lambda: app.controller.setup.settings_dialog is not None, timeout=3000)
    dialog = app.controller.setup.settings_dialog
    qtbot.addWidget(dialog)
    current = dialog.current_settings()
    dialog.settings_accepted.emit(replace(current, proxy=replace(current.proxy, listen_host="10.1.2.3",
                                                                 listen_port=9099)))
    qtbot.waitUntil(lambda: [c for c, _ in app.proxy._engine.calls].count("start") == 2, timeout=3000)
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)
    assert app.controller.settings.proxy.listen_port == 9099
    moved = {s.key: s for s in guide_sections(expected_context(paths, "10.1.2.3", 9099, setup_url))}
    window.select_section(window.section_keys()[-1])
    key = window.selected_key()
    assert shown_commands(window) == [step.command for step, _box, _button in step_widgets(window, moved[key])]


# --- the setup page line --------------------------------------------------------------------------


def test_setup_url_is_shown_with_copy_and_open_while_it_runs(make_app, qtbot, paths, fake_os):
    configure(paths, listen_host="0.0.0.0")
    window = open_guide(launched(make_app, qtbot), qtbot)
    url = child(window, QLineEdit, "setup_url")
    assert url.isVisible()
    assert url.text() == "http://192.168.1.20:8081/"
    assert not child(window, QLabel, "setup_note").isVisible()
    child(window, QPushButton, "copy_setup_url").click()
    assert QGuiApplication.clipboard().text() == "http://192.168.1.20:8081/"
    child(window, QPushButton, "open_setup_url").click()
    assert fake_os.opened == [QUrl("http://192.168.1.20:8081/")]


def test_setup_line_follows_the_proxy_stopping_and_starting(make_app, qtbot, paths):
    configure(paths, listen_host="0.0.0.0")
    app = launched(make_app, qtbot)
    window = open_guide(app, qtbot)
    note, url = child(window, QLabel, "setup_note"), child(window, QLineEdit, "setup_url")
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=3000)
    assert not url.isVisible()
    assert note.isVisible()
    assert "proxy is not running" in note.text()
    app.tray.toggle_proxy_requested.emit()
    qtbot.waitUntil(url.isVisible, timeout=3000)
    assert url.text() == "http://192.168.1.20:8081/"


def test_setup_line_says_when_the_page_is_turned_off(make_app, qtbot, paths):
    configure(paths, listen_host="0.0.0.0", setup_page=False)
    app = launched(make_app, qtbot, engine_factory=engine_with(setup_port=None))
    window = open_guide(app, qtbot)
    assert not child(window, QLineEdit, "setup_url").isVisible()
    assert not child(window, QPushButton, "open_setup_url").isVisible()
    note = child(window, QLabel, "setup_note")
    assert note.isVisible()
    assert "turned off in Settings" in note.text()


def test_setup_line_shows_the_engines_problem(make_app, qtbot, paths):
    configure(paths)
    problem = "Port 8081 is already in use: choose another setup page port in Settings."
    app = launched(make_app, qtbot, engine_factory=engine_with(setup_port=None, setup_problem=problem))
    window = open_guide(app, qtbot)
    assert child(window, QLabel, "setup_note").text() == problem


def test_setup_line_says_the_proxy_is_not_running(make_app, qtbot, paths):
    configure(paths, start=False)
    app = launched(make_app, qtbot, running=False)
    window = open_guide(app, qtbot)
    assert "proxy is not running" in child(window, QLabel, "setup_note").text()


@pytest.mark.parametrize(("settings", "status", "url", "why"), [
    (Settings(), EngineStatus("0.0.0.0", 8080, False, setup_port=8081), "http://h:8081/", ""),
    (Settings(), EngineStatus("::", 8080, False, setup_port=8081), "http://[fd00::2]:8081/", ""),
    (Settings(proxy=ProxySettings(setup_page=False)), None, None, "The setup page is turned off in Settings."),
    (Settings(), None, None, "The setup page runs with the proxy, and the proxy is not running."),
    (Settings(), EngineStatus("0.0.0.0", 8080, False, setup_problem="Port busy."), None, "Port busy."),
    (Settings(), EngineStatus("0.0.0.0", 8080, False), None, "The setup page is not running."),
])
def test_setup_page_state(qapp, settings, status, url, why):
    host = "fd00::2" if status is not None and status.host == "::" else "h"
    assert setup_page_state(settings, status, host) == (url, why)


# --- exports --------------------------------------------------------------------------------------


def load_export(fmt: str, data: bytes) -> x509.Certificate:
    if fmt == "pem":
        assert b"PRIVATE KEY" not in data
        return x509.load_pem_x509_certificate(data)
    if fmt == "cer":
        return x509.load_der_x509_certificate(data)
    key, cert, extra = pkcs12.load_key_and_certificates(data, None)
    assert key is None
    [only] = ([cert] if cert is not None else []) + extra  # without a key the certificate is an "extra" one
    return only


@pytest.mark.parametrize("fmt", ["pem", "cer", "p12"])
def test_each_export_writes_the_ca_certificate_without_its_key(make_app, qtbot, paths, tmp_path, fake_os, fmt):
    configure(paths)
    window = open_guide(launched(make_app, qtbot), qtbot)
    target = tmp_path / "exports" / f"for-developers.{fmt}"
    target.parent.mkdir()
    asked = []
    window.ask_save_path = lambda suggested, file_filter: asked.append((suggested, file_filter)) or str(target)
    child(window, QPushButton, f"export_{fmt}").click()
    qtbot.waitUntil(lambda: child(window, QLabel, "export_status").text() == f"Saved {target}", timeout=5000)
    [(suggested, file_filter)] = asked
    assert Path(suggested).name == f"copilot-insight-ca.{fmt}"
    assert f"*.{fmt}" in file_filter
    assert load_export(fmt, target.read_bytes()) == ca_on_disk(paths)
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o644
    show = child(window, QPushButton, "show_export_folder")
    assert show.isVisible()
    show.click()
    assert fake_os.opened == [QUrl.fromLocalFile(str(target.parent))]


def test_export_to_an_unwritable_path_reports_an_error_and_writes_nothing(make_app, qtbot, paths, tmp_path):
    configure(paths)
    app = launched(make_app, qtbot)
    window = open_guide(app, qtbot)
    blocker_file = tmp_path / "file"
    blocker_file.write_text("not a folder", encoding="utf-8")
    target = blocker_file / "x.pem"
    window.ask_save_path = lambda _suggested, _filter: str(target)
    with qtbot.waitSignal(app.errors.reported, timeout=5000) as reported:
        child(window, QPushButton, "export_pem").click()
    error, title = reported.args
    assert isinstance(error, AppError)
    assert str(target) in error.user_message
    assert title == "The CA certificate could not be saved"
    assert blocker_file.read_text(encoding="utf-8") == "not a folder"
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["file", "home"])
    assert window.isVisible()
    assert all(child(window, QPushButton, f"export_{fmt}").isEnabled() for fmt in ("pem", "cer", "p12"))
    assert not child(window, QPushButton, "show_export_folder").isVisible()


def test_cancelling_the_save_dialog_writes_nothing(make_app, qtbot, paths):
    configure(paths)
    app = launched(make_app, qtbot)
    window = open_guide(app, qtbot)
    window.ask_save_path = lambda _suggested, _filter: ""
    with qtbot.assertNotEmitted(window.export_requested):
        child(window, QPushButton, "export_cer").click()
    assert child(window, QLabel, "export_status").text() == ""


class UnreadableCa:
    def describe(self) -> CaCertificate:
        raise AppError("The CA certificate cannot be read.", "broken")

    def export(self, fmt) -> bytes:
        raise AppError("The CA certificate cannot be read.", "broken")


def test_an_unreadable_ca_is_reported_and_the_guide_still_opens(make_app, qtbot, paths):
    configure(paths)
    app = launched(make_app, qtbot, ca=UnreadableCa())
    with qtbot.waitSignal(app.errors.reported, timeout=5000) as reported:
        app.tray.ca_guide_requested.emit()
    window = app.controller.ca_guide.window
    qtbot.addWidget(window)
    assert reported.args[1] == "The CA certificate cannot be read"
    qtbot.waitUntil(lambda: window.section_keys() != [], timeout=3000)
    assert "cannot be read" in child(window, QLabel, "ca_status").text()
    assert not child(window, QPushButton, "copy_fingerprint").isEnabled()


# --- the window on its own ------------------------------------------------------------------------

SECTION = GuideSection(
    key="demo", title="Demo", kind="client", summary="What it does.", download="pem",
    steps=(Step("Read this."), Step("Run this.", "first line\nsecond line", "shell")),
    check=(Step("Look.", "check-it", "shell"),),
    remove=(Step("Undo.", "undo-it", "shell"),),
    references=("https://example.com/docs?a=1&b=2",),
)


def test_window_names_steps_checks_and_undos_and_opens_links_through_the_desktop(qtbot):
    window = CaGuideWindow()
    qtbot.addWidget(window)
    window.set_sections((), (SECTION,))
    assert window.selected_key() == "demo"
    page = window.page.widget()
    assert child(page, QLabel, "step_demo_1").text() == "1. Read this."
    assert page.findChild(QPlainTextEdit, "command_demo_1") is None
    assert child(page, QPlainTextEdit, "command_demo_2").toPlainText() == "first line\nsecond line"
    assert child(page, QPlainTextEdit, "command_demo_check_1").toPlainText() == "check-it"
    assert child(page, QPlainTextEdit, "command_demo_remove_1").toPlainText() == "undo-it"
    child(page, QPushButton, "copy_demo_remove_1").click()
    assert QGuiApplication.clipboard().text() == "undo-it"
    links = child(page, QLabel, "section_references")
    with qtbot.waitSignal(window.open_url_requested, timeout=1000) as opened:
        links.linkActivated.emit("https://example.com/docs?a=1&b=2")
    assert opened.args == [QUrl("https://example.com/docs?a=1&b=2")]


def test_window_keeps_the_selection_when_the_sections_are_rebuilt(qtbot):
    window = CaGuideWindow()
    qtbot.addWidget(window)
    other = replace(SECTION, key="other", title="Other")
    window.set_sections((SECTION,), (other,))
    window.select_section("other")
    window.set_sections((SECTION,), (replace(other, summary="Changed."),))
    assert window.selected_key() == "other"
    assert child(window.page.widget(), QLabel, "section_summary").text() == "Changed."
    assert not window.select_section("missing")


def test_window_shows_an_expiry_in_local_time(qtbot):
    window = CaGuideWindow()
    qtbot.addWidget(window)
    moment = datetime(2035, 6, 30, 12, 0, tzinfo=UTC)
    window.set_certificate(CaCertificate("Copilot Insight CA (x)", "AB:CD", moment, Path("/ca.pem")))
    assert child(window, QLabel, "ca_expiry").text() == moment.astimezone().strftime("%Y-%m-%d")
    assert child(window, QLineEdit, "ca_fingerprint").text() == "AB:CD"


def test_window_renders_offscreen(make_app, qtbot, paths, tmp_path):
    configure(paths, listen_host="0.0.0.0")
    window = open_guide(launched(make_app, qtbot), qtbot)
    assert (window.width(), window.height()) >= (900, 600)
    image_file = tmp_path / "ca_guide.png"
    assert window.grab().save(str(image_file))
    assert image_file.stat().st_size > 0
    image = QImage(str(image_file))
    assert not image.isNull()
    assert image.width() > 0 and image.height() > 0

"""The settings dialog: listen address, company proxy, setup page, what is recorded, time zone and tray.

`SettingsDialog` only edits a copy: OK emits `settings_accepted` with the new `Settings` (the
developer list copied unchanged from the settings it was opened with) and the caller saves it,
switches launch at login and restarts the proxy when `proxy_restart_needed` says so. The dialog
checks what is typed and lists every problem, with OK disabled until there are none. It never
writes files, touches the keyring or the autostart entry, and never imports the proxy layer.
"""

import zoneinfo
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import override

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import ConfigError, StoreError
from desktop_app.core.guide.snippets import advertised_host, listens_only_locally
from desktop_app.core.paths import HOME_ENV
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import is_postgres_url
from desktop_app.core.team.settings import (
    HOST_NAME,
    DesktopSettings,
    ProxySettings,
    RecordingLevel,
    RecordingSettings,
    Settings,
    otlp_port_conflict,
    validate_listen_host,
)
from desktop_app.core.upstream_proxy import join_password, parse_upstream_proxy, split_password
from desktop_app.ui.widgets import named

LOCAL_ONLY_HOST = "127.0.0.1"
ALL_INTERFACES_HOST = "0.0.0.0"  # noqa: S104 - offered to the user, bound only by the proxy


def proxy_restart_needed(old: Settings, new: Settings) -> bool:
    """Whether going from `old` to `new` needs the running proxy restarted.

    The proxy reads its listen address, host rules, recording level, retention and time zone when it
    starts; the tray's own options and the developer list (read per request) need no restart.
    """
    return old.proxy != new.proxy or old.recording != new.recording or old.time_zone != new.time_zone


def split_hosts(text: str) -> tuple[str, ...]:
    """The host names in the comma-separated `text`, trimmed, lower-cased, without blanks or repeats."""
    return tuple(dict.fromkeys(host.strip().lower() for host in text.split(",") if host.strip()))



def _label(text: str, name: str) -> QLabel:
    label = named(QLabel(text, wordWrap=True), name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _sentence(text: str) -> str:
    """Turn a core validation phrase ("the listen address must ...") into a sentence."""
    return f"{text[:1].upper()}{text[1:]}."


def _spin(name: str, maximum: int, value: int, suffix: str) -> QSpinBox:
    spin = named(QSpinBox(minimum=1, maximum=maximum), name)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class SettingsDialog(QDialog):
    """Edits a copy of the settings; OK emits the result, Cancel emits nothing."""

    settings_accepted = Signal(object)  # the new Settings
    open_data_folder_requested = Signal()

    def __init__(self, settings: Settings, data_dir: Path, lan_addresses: Sequence[str],
                 parent: QWidget | None = None, *, autostart_where: str = "") -> None:
        """Show `settings`; `data_dir` is where the data lives, `lan_addresses` this computer's addresses."""
        super().__init__(parent)
        self._autostart_where = autostart_where
        self.setObjectName("settings_dialog")
        self.setWindowTitle(self.tr("Settings"))
        self._original = settings
        self._lan_addresses = list(lan_addresses)
        layout = QVBoxLayout(self)
        layout.addWidget(self._proxy_group(settings.proxy, lan_addresses))
        layout.addWidget(self._recording_group(settings.recording, settings.time_zone))
        layout.addWidget(self._application_group(settings.desktop))
        layout.addWidget(self._data_group(data_dir))
        self.problems_label = _label("", "problems_label")
        self.restart_note = _label(self.tr("Saving restarts the proxy: developers' connections reconnect."),
                                   "restart_note")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = named(self.buttons.button(QDialogButtonBox.StandardButton.Ok), "settings_ok")
        self.cancel_button = named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "settings_cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.restart_note)
        layout.addWidget(self.buttons)
        self._connect_changes()
        self._on_changed()

    # --- building -------------------------------------------------------------------------------

    def _proxy_group(self, proxy: ProxySettings, lan_addresses: Sequence[str]) -> QGroupBox:
        self.listen_host = named(QComboBox(editable=True), "listen_host")
        self.listen_host.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.listen_host.addItem(self.tr("127.0.0.1 — this computer only"), LOCAL_ONLY_HOST)
        self.listen_host.addItem(self.tr("0.0.0.0 — all network interfaces"), ALL_INTERFACES_HOST)
        for address in dict.fromkeys(lan_addresses):
            if self.listen_host.findData(address) < 0 and not listens_only_locally(address):
                self.listen_host.addItem(address, address)
        index = self.listen_host.findData(proxy.listen_host)
        if index >= 0:
            self.listen_host.setCurrentIndex(index)
        else:
            self.listen_host.setEditText(proxy.listen_host)
        self.listen_port = _spin("listen_port", 65535, proxy.listen_port, "")
        self.copilot_only = named(QCheckBox(
            self.tr("Copilot only: refuse other sites (otherwise they pass through untouched)")), "copilot_only")
        self.copilot_only.setChecked(proxy.copilot_only)
        self.extra_hosts = named(QLineEdit(", ".join(proxy.extra_hosts)), "extra_hosts")
        self.extra_hosts.setPlaceholderText(self.tr("optional, e.g. copilot.example.com, *.example.com"))
        self.extra_hosts.setToolTip(self.tr("More host names to treat as Copilot's, separated by commas."))
        group = named(QGroupBox(self.tr("Proxy")), "proxy_group")
        form = QFormLayout(group)
        form.addRow(self.tr("Listen address:"), self.listen_host)
        form.addRow(self.tr("Port:"), self.listen_port)
        form.addRow(self.copilot_only)
        form.addRow(self.tr("Extra Copilot hosts:"), self.extra_hosts)
        self._company_proxy_rows(form, proxy)
        self._setup_page_rows(form, proxy)
        return group

    def _company_proxy_rows(self, form: QFormLayout, proxy: ProxySettings) -> None:
        url, password = split_password(proxy.upstream_proxy)
        self.upstream_proxy = named(QLineEdit(url), "upstream_proxy")
        self.upstream_proxy.setPlaceholderText(self.tr("none: connect to Copilot directly"))
        self.upstream_proxy.setToolTip(self.tr(
            "If this computer reaches the internet only through your company's proxy: "
            "http://proxy.example.com:3128, with user@ before the host if it needs a login."))
        self.upstream_password = named(QLineEdit(password), "upstream_password")
        self.upstream_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.upstream_password.setPlaceholderText(self.tr("only if the company proxy needs a login"))
        self.upstream_ca = named(QLineEdit(proxy.upstream_ca), "upstream_ca")
        self.upstream_ca.setPlaceholderText(self.tr("optional: the company proxy's CA (PEM file)"))
        self.upstream_ca.setToolTip(self.tr(
            "Only for a company proxy that inspects TLS: its CA certificate, which the proxy then trusts too."))
        browse = named(QPushButton(self.tr("Choose…")), "choose_upstream_ca")
        browse.clicked.connect(self._on_choose_upstream_ca)
        row = QHBoxLayout()
        row.addWidget(self.upstream_ca, 1)
        row.addWidget(browse)
        form.addRow(self.tr("Company proxy:"), self.upstream_proxy)
        form.addRow(self.tr("Its password:"), self.upstream_password)
        form.addRow(self.tr("Company proxy CA:"), row)

    def _setup_page_rows(self, form: QFormLayout, proxy: ProxySettings) -> None:
        self.setup_page = named(QCheckBox(self.tr("Setup page for developers")), "setup_page")
        self.setup_page.setChecked(proxy.setup_page)
        self.setup_port = named(QSpinBox(minimum=0, maximum=65535), "setup_port")
        self.setup_port.setSpecialValueText(self.tr("proxy port + 1"))
        self.setup_port.setValue(proxy.setup_port)
        self.setup_page_help = _label("", "setup_page_help")
        form.addRow(self.setup_page)
        form.addRow(self.tr("Setup page port:"), self.setup_port)
        form.addRow(self.setup_page_help)
        self.otlp_port = named(QSpinBox(minimum=0, maximum=65535), "otlp_port")
        self.otlp_port.setSpecialValueText(self.tr("off"))
        self.otlp_port.setValue(proxy.otlp_port)
        self.otlp_port.setToolTip(self.tr(
            "Where developers who cannot install the CA send Copilot's own OpenTelemetry (the Copilot CLI, VS Code's "
            "Copilot Chat), signed in with their proxy name and password. 0 turns it off."))
        form.addRow(self.tr("OpenTelemetry port:"), self.otlp_port)

    def _recording_group(self, recording: RecordingSettings, time_zone: str) -> QGroupBox:
        self.record_metadata = named(QRadioButton(self.tr("Usage only")), "record_metadata")
        self.record_content = named(QRadioButton(self.tr("Usage, prompts and answers")), "record_content")
        self.recording_level = QButtonGroup(self)
        for button in (self.record_metadata, self.record_content):
            self.recording_level.addButton(button)
        (self.record_content if recording.level == "content" else self.record_metadata).setChecked(True)
        metadata_help = _label(self.tr(
            "Who used Copilot and when, which feature, the model, tokens, AI credits and the status. "
            "Never prompts or code."), "record_metadata_help")
        content_help = _label(self.tr(
            "Also the prompts and answers, with secrets redacted, kept on this computer."), "record_content_help")
        for help_label in (metadata_help, content_help):
            help_label.setIndent(24)
        self.content_retention_days = _spin("content_retention_days", 3650, recording.content_retention_days,
                                            self.tr(" days"))
        self.event_retention_days = _spin("event_retention_days", 36500, recording.event_retention_days,
                                          self.tr(" days"))
        self.time_zone = self._time_zone_box(time_zone)
        group = named(QGroupBox(self.tr("Recording")), "recording_group")
        column = QVBoxLayout(group)
        for widget in (self.record_metadata, metadata_help, self.record_content, content_help):
            column.addWidget(widget)
        form = QFormLayout()
        column.addLayout(form)
        form.addRow(self.tr("Keep prompts and answers for:"), self.content_retention_days)
        form.addRow(self.tr("Keep usage records for:"), self.event_retention_days)
        form.addRow(self.tr("Count days in time zone:"), self.time_zone)
        return group

    def _time_zone_box(self, time_zone: str) -> QComboBox:
        box = named(QComboBox(editable=True), "time_zone")
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        box.addItem(self.tr("This computer's time zone"), "")
        for name in sorted(zoneinfo.available_timezones()):
            box.addItem(name, name)
        completer = QCompleter(box.model(), box)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        box.setCompleter(completer)
        index = box.findData(time_zone)
        if index >= 0:
            box.setCurrentIndex(index)
        else:
            box.setEditText(time_zone)
        return box

    def _application_group(self, desktop: DesktopSettings) -> QGroupBox:
        self.start_proxy_on_launch = named(QCheckBox(self.tr("Start the proxy when Copilot Insight starts")),
                                            "start_proxy_on_launch")
        self.launch_at_login = named(QCheckBox(self.tr("Start Copilot Insight when I log in")), "launch_at_login")
        if self._autostart_where:
            self.launch_at_login.setToolTip(self.tr("Launch at login is set in {0}").format(self._autostart_where))
        self.notify_first_request = named(QCheckBox(self.tr("Notify me when a developer's first request arrives")),
                                           "notify_first_request")
        group = named(QGroupBox(self.tr("Application")), "application_group")
        column = QVBoxLayout(group)
        for box, checked in ((self.start_proxy_on_launch, desktop.start_proxy_on_launch),
                             (self.launch_at_login, desktop.launch_at_login),
                             (self.notify_first_request, desktop.notify_first_request)):
            box.setChecked(checked)
            column.addWidget(box)
        return group

    def _data_group(self, data_dir: Path) -> QGroupBox:
        self.data_folder = named(QLineEdit(str(data_dir), readOnly=True), "data_folder")
        self.open_data_folder = named(QPushButton(self.tr("Open folder")), "open_data_folder")
        self.open_data_folder.clicked.connect(self._on_open_data_folder)
        note = _label(self.tr("To keep the data in another folder, start Copilot Insight with --data-dir FOLDER "
                              "or set the {0} environment variable.").format(HOME_ENV), "data_folder_note")
        group = named(QGroupBox(self.tr("Data folder")), "data_group")
        row = QHBoxLayout()
        row.addWidget(self.data_folder)
        row.addWidget(self.open_data_folder)
        column = QVBoxLayout(group)
        column.addLayout(row)
        column.addWidget(note)
        self.database = named(QLineEdit(self._original.database), "database")
        self.database.setPlaceholderText(self.tr("empty: the usage database in the data folder"))
        self.database.setToolTip(self.tr("postgresql://user@host:5432/dbname: several proxies record into one "
                                         "PostgreSQL database, and the team lives there (see the README's "
                                         "Deployment section). Keep the password in ~/.pgpass."))
        self.database_note = _label(self.tr("Copilot Insight uses the new database when it starts next."),
                                    "database_note")
        self.database_note.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("Shared database:"), self.database)
        column.addLayout(form)
        column.addWidget(self.database_note)
        return group

    def _connect_changes(self) -> None:
        for combo in (self.listen_host, self.time_zone):
            combo.currentTextChanged.connect(self._on_changed)
        for spin in (self.listen_port, self.setup_port, self.otlp_port, self.content_retention_days,
                     self.event_retention_days):
            spin.valueChanged.connect(self._on_changed)
        for box in (self.copilot_only, self.setup_page, self.record_content, self.start_proxy_on_launch,
                    self.launch_at_login, self.notify_first_request):
            box.toggled.connect(self._on_changed)
        for line in (self.extra_hosts, self.upstream_proxy, self.upstream_password, self.upstream_ca):
            line.textChanged.connect(self._on_changed)
        self.database.textChanged.connect(self._on_changed)

    # --- reading the form -----------------------------------------------------------------------

    @staticmethod
    def _combo_value(combo: QComboBox) -> str:
        """The value typed or chosen: an item's data (not its description), else the text as typed."""
        text = combo.currentText()
        index = combo.findText(text)
        return str(combo.itemData(index)) if index >= 0 else text.strip()

    def _level(self) -> RecordingLevel:
        return "content" if self.record_content.isChecked() else "metadata"

    def current_settings(self) -> Settings:
        """The settings as the form says now (possibly invalid; see `problems`), developers unchanged."""
        return replace(
            self._original,
            proxy=ProxySettings(
                listen_host=self._combo_value(self.listen_host),
                listen_port=self.listen_port.value(),
                copilot_only=self.copilot_only.isChecked(),
                extra_hosts=split_hosts(self.extra_hosts.text()),
                setup_page=self.setup_page.isChecked(),
                setup_port=self.setup_port.value(),
                otlp_port=self.otlp_port.value(),
                upstream_proxy=join_password(self.upstream_proxy.text(), self.upstream_password.text()),
                upstream_ca=self.upstream_ca.text().strip(),
            ),
            recording=RecordingSettings(
                level=self._level(),
                content_retention_days=self.content_retention_days.value(),
                event_retention_days=self.event_retention_days.value(),
            ),
            desktop=DesktopSettings(
                start_proxy_on_launch=self.start_proxy_on_launch.isChecked(),
                launch_at_login=self.launch_at_login.isChecked(),
                notify_first_request=self.notify_first_request.isChecked(),
            ),
            time_zone=self._combo_value(self.time_zone),
            database=self.database.text().strip(),
        )

    def problems(self) -> list[str]:
        """What keeps the form from being saved, one sentence each; empty when it is valid."""
        settings = self.current_settings()
        found: list[str] = []
        if (why := validate_listen_host(settings.proxy.listen_host)) is not None:
            found.append(_sentence(why))
        found.extend(
            self.tr("'{0}' is not a host name: use names such as copilot.example.com or *.example.com.").format(host)
            for host in settings.proxy.extra_hosts if not HOST_NAME.fullmatch(host))
        proxy = settings.proxy
        if proxy.setup_page and proxy.effective_setup_port == proxy.listen_port:
            found.append(self.tr("The setup page's port must differ from the proxy's port {0}.").format(
                proxy.listen_port))
        if (why := otlp_port_conflict(proxy)) is not None:
            found.append(self.tr("The OpenTelemetry port {0}.").format(why))
        found.extend(self._company_proxy_problems(proxy))
        if settings.database and not is_postgres_url(settings.database):
            found.append(self.tr("The shared database must be a PostgreSQL URL such as "
                                 "postgresql://insight@db.example.com:5432/insight, or empty."))
        if settings.time_zone:
            try:
                resolve_zone(settings.time_zone)
            except StoreError:
                found.append(self.tr("'{0}' is not a time zone this computer knows: choose one from the list, or "
                                     "\"This computer's time zone\".").format(settings.time_zone))
        return found

    def _company_proxy_problems(self, proxy: ProxySettings) -> list[str]:
        found = []
        if self.upstream_password.text() and "@" not in self.upstream_proxy.text():
            found.append(self.tr("A password for the company proxy needs its user name: http://user@host:port."))
        if proxy.upstream_proxy:
            try:
                parse_upstream_proxy(proxy.upstream_proxy)
            except ConfigError as exc:
                found.append(exc.user_message)
        if proxy.upstream_ca and not Path(proxy.upstream_ca).expanduser().is_file():
            found.append(self.tr("The company proxy's CA file {0} does not exist.").format(proxy.upstream_ca))
        return found

    # --- slots ----------------------------------------------------------------------------------

    @Slot()
    def _on_choose_upstream_ca(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("The company proxy's CA certificate"),
                                                self.upstream_ca.text() or str(Path.home()),
                                                self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"))
        if chosen:
            self.upstream_ca.setText(chosen)

    @Slot()
    def _on_changed(self) -> None:
        problems = self.problems()
        self.problems_label.setText("\n".join(f"• {problem}" for problem in problems))
        self.problems_label.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems)
        self.restart_note.setVisible(proxy_restart_needed(self._original, self.current_settings()))
        self.database_note.setVisible(self.current_settings().database != self._original.database)
        self._show_setup_page()
        if self.isVisible():
            self._fit_height()

    def _show_setup_page(self) -> None:
        """Enable the port with the page and say where developers will find it."""
        proxy = self.current_settings().proxy
        self.setup_port.setEnabled(proxy.setup_page)
        host = advertised_host(proxy.listen_host, self._lan_addresses, self.tr("this-computer"))
        host = f"[{host}]" if ":" in host else host
        self.setup_page_help.setText(self.tr(
            "Developers open http://{host}:{port}/ in a browser to download the CA and read the guide; it never "
            "shows credentials or usage.").format(host=host, port=proxy.effective_setup_port))

    def _fit_height(self) -> None:
        """Make room for every wrapped line: Qt sizes windows without asking their texts' height for a width."""
        layout = self.layout()
        needed = layout.totalHeightForWidth(self.width()) if layout is not None else -1
        if needed <= 0:
            return
        self.setMinimumHeight(needed)
        if self.height() < needed:
            self.resize(self.width(), needed)

    @override
    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped texts once the window has its width."""
        super().showEvent(event)
        self._fit_height()

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Refit the height when the width changes the number of wrapped lines."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    @Slot()
    def _on_open_data_folder(self) -> None:
        self.open_data_folder_requested.emit()

    @override
    def accept(self) -> None:
        """Emit `settings_accepted` and close, unless the form has problems (e.g. Enter with OK disabled)."""
        if self.problems():
            self._on_changed()
            return
        self.settings_accepted.emit(self.current_settings())
        super().accept()

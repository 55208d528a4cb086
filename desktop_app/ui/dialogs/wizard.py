"""The first-run wizard: where the proxy listens, what is recorded, who the developers are, their URLs.

`FirstRunWizard` only collects answers; it saves nothing and starts nothing. When the lead clicks
Finish it emits `completed` with a `WizardResult`, and the application applies it (settings, team,
proxy) and opens the window the lead chose to continue in. Cancel emits nothing. Passwords come from
a `PasswordSource` the caller provides, so this module never touches the secret store. The network
page proposes the LAN address (loopback is a deliberate, clearly worded choice), tests that the
port is free, and says what the firewall must allow; the last page shows the setup page's address
to send developers.
"""

import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, override

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop_app.core.guide.firewall import firewall_advice
from desktop_app.core.guide.snippets import ProxyAccess, advertised_host, listens_only_locally, setup_page_url
from desktop_app.core.netinfo import bind_problem
from desktop_app.core.team.settings import (
    RecordingLevel,
    Settings,
    setup_port_for,
    validate_developer_name,
    validate_listen_host,
)
from desktop_app.ui.widgets import named

PasswordSource = Callable[[str], str | None]
"""Developer name -> the password that name will get (generation 0), or None if the secret is unavailable."""

BindCheck = Callable[[str, int], str | None]
"""(host, port) -> why the proxy could not listen there now, or None (`netinfo.bind_problem`)."""

NextWindow = Literal["team", "ca_guide"]


@dataclass(frozen=True)
class WizardResult:
    """What the lead chose in the wizard."""

    listen_host: str
    listen_port: int
    recording_level: RecordingLevel
    developers: tuple[str, ...]
    start_proxy: bool
    then_open: NextWindow = "team"  # the window Finish opens



def _label(text: str, name: str, *, wrap: bool = True) -> QLabel:
    label = named(QLabel(text, wordWrap=wrap), name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _code(text: str, name: str) -> QLabel:
    """Text to copy (a command, a URL with a password): monospace, never wrapped mid-string."""
    label = _label(text, name, wrap=False)
    label.setStyleSheet("font-family: monospace;")
    return label


def _sentence(text: str) -> str:
    """Turn a core validation phrase ("the address must ...") into a sentence."""
    return f"{text[:1].upper()}{text[1:]}."




class _WelcomePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("page_welcome")
        self.setTitle(self.tr("Welcome to Copilot Insight"))
        text = self.tr(
            "Copilot Insight runs a proxy on this computer. Each developer points their IDE at it with "
            "personal credentials, and their GitHub Copilot usage is recorded here, on this computer. "
            "Nothing is sent anywhere else.")
        layout = QVBoxLayout(self)
        layout.addWidget(_label(text, "welcome_text"))
        layout.addStretch()


class _NetworkPage(QWizardPage):
    def __init__(self, defaults: Settings, lan_addresses: Sequence[str], bind_check: BindCheck) -> None:
        super().__init__()
        self.setObjectName("page_network")
        self.setTitle(self.tr("Network"))
        self.setSubTitle(self.tr("Choose where the proxy listens for your developers' IDEs."))
        self._bind_check, self._setup = bind_check, (defaults.proxy.setup_page, defaults.proxy.setup_port)
        self.host = named(QComboBox(editable=True), "listen_host")
        self.host.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        reachable = [a for a in dict.fromkeys(lan_addresses) if not listens_only_locally(a)]
        for address in reachable:
            self.host.addItem(self.tr("{0} — your network: developers' computers connect here").format(address),
                              address)
        self.host.addItem(self.tr("0.0.0.0 — every network interface of this computer"), "0.0.0.0")  # noqa: S104
        self.host.addItem(self.tr("127.0.0.1 — only this computer (nobody else can connect)"), "127.0.0.1")
        self.port = named(QSpinBox(minimum=1, maximum=65535), "listen_port")
        self.port.setValue(defaults.proxy.listen_port)
        if reachable:
            lan_text = self.tr("Developers on your network reach this computer at {0}").format(", ".join(reachable))
        else:
            lan_text = self.tr("No network address found: only this computer can connect")
        self.warning = _label(self.tr("Only programs on this computer can use the proxy: your developers' computers "
                                      "cannot connect. Choose your network address for a team."),
                              "local_only_warning")
        self.problem = _label("", "network_problem")
        self.port_note = _label("", "port_note")
        self.firewall = _label("", "firewall_note")
        self.firewall_command = named(QPlainTextEdit(readOnly=True), "firewall_command")
        self.firewall_command.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # commands are copied whole
        self.firewall_command.setStyleSheet("font-family: monospace;")
        self.firewall_command.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # sized to fit
        form = QFormLayout()
        form.addRow(self.tr("Listen address:"), self.host)
        form.addRow(self.tr("Port:"), self.port)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_label(lan_text, "lan_addresses_label"))
        for widget in (self.warning, self.problem, self.port_note, self.firewall, self.firewall_command):
            layout.addWidget(widget)
        layout.addStretch()
        self.host.currentTextChanged.connect(self._on_changed)
        self.port.valueChanged.connect(self._on_changed)
        index = self.host.findData(defaults.proxy.listen_host)
        if index >= 0:
            self.host.setCurrentIndex(index)
        else:
            self.host.setEditText(defaults.proxy.listen_host)
        self._on_changed()

    def listen_host(self) -> str:
        """The address typed or chosen (an item's address, not its description)."""
        text = self.host.currentText()
        index = self.host.findText(text)
        return str(self.host.itemData(index)) if index >= 0 else text.strip()

    def setup_port(self) -> int | None:
        """The setup page's port for the chosen proxy port, or None when the setup page is off."""
        enabled, configured = self._setup
        return setup_port_for(configured, self.port.value()) if enabled else None

    def _problem(self) -> str | None:
        host = self.listen_host()
        if (why := validate_listen_host(host)) is not None:
            return _sentence(why)
        return self._bind_check(host, self.port.value())

    @override
    def isComplete(self) -> bool:
        return self._problem() is None

    @override
    def validatePage(self) -> bool:
        self._on_changed()  # the port may have been taken since it was checked
        return self.isComplete()  # also when Next is triggered without its (disabled) button

    @Slot()
    def _on_changed(self) -> None:
        host, port, setup = self.listen_host(), self.port.value(), self.setup_port()
        why = self._problem()
        self.problem.setText(why or "")
        self.problem.setVisible(why is not None)
        local = listens_only_locally(host)
        self.warning.setVisible(why is None and local)
        setup_busy = None if why is not None or setup is None else self._bind_check(host, setup)
        self.port_note.setText(self.tr("The setup page for developers uses port {0}, which is taken: the proxy "
                                       "will run without it. Choose another port to have both.").format(setup)
                               if setup_busy else "")
        self.port_note.setVisible(bool(setup_busy))
        ports = [port] if setup is None else [port, setup]
        advice = firewall_advice(platform.system(), ports, sys.executable)
        self.firewall.setText(advice.sentence)
        if self.firewall_command.toPlainText() != advice.command:
            self.firewall_command.setPlainText(advice.command)
            lines = advice.command.count("\n") + 1
            metrics = self.firewall_command.fontMetrics()
            scrollbar = self.firewall_command.horizontalScrollBar().sizeHint().height()
            self.firewall_command.setFixedHeight(metrics.lineSpacing() * lines + scrollbar + 16)
        for widget in (self.firewall, self.firewall_command):
            widget.setVisible(why is None and not local)
        self.firewall_command.setVisible(self.firewall.isVisibleTo(self) and bool(advice.command))
        self.completeChanged.emit()


class _RecordingPage(QWizardPage):
    def __init__(self, defaults: Settings) -> None:
        super().__init__()
        self.setObjectName("page_recording")
        self.setTitle(self.tr("Recording"))
        self.setSubTitle(self.tr("Choose how much of each Copilot request is recorded."))
        self.retention_days = defaults.recording.content_retention_days
        self.metadata = named(QRadioButton(self.tr("Usage only (recommended)")), "record_metadata")
        self.content = named(QRadioButton(self.tr("Usage, prompts and answers")), "record_content")
        self.group = QButtonGroup(self)
        self.group.addButton(self.metadata)
        self.group.addButton(self.content)
        self.explanation = _label("", "recording_explanation")
        layout = QVBoxLayout(self)
        layout.addWidget(self.metadata)
        layout.addWidget(self.content)
        layout.addWidget(self.explanation)
        layout.addStretch()
        (self.content if defaults.recording.level == "content" else self.metadata).setChecked(True)
        self.content.toggled.connect(self._on_level_changed)
        self._on_level_changed()

    def level(self) -> RecordingLevel:
        """The recording level selected."""
        return "content" if self.content.isChecked() else "metadata"

    @Slot()
    def _on_level_changed(self) -> None:
        never = self.tr("Passwords, GitHub tokens and cookies are never recorded.")
        if self.level() == "content":
            text = self.tr(
                "Recorded: the same as usage only, plus the prompts and answers, with secrets redacted. They "
                "are kept on this computer for {0} days, and developers are told so on their setup page."
            ).format(self.retention_days)
        else:
            text = self.tr(
                "Recorded: who used Copilot and when, which feature (completion, chat, agent), the model, "
                "tokens, AI credits, and each response's status and time. Prompts, code and answers are "
                "never recorded.")
        self.explanation.setText(f"{text} {never}")


class _NameEdit(QLineEdit):
    """A line edit whose Enter adds the name instead of also pressing the wizard's Next button."""

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class _DevelopersPage(QWizardPage):
    def __init__(self, defaults: Settings) -> None:
        super().__init__()
        self.setObjectName("page_developers")
        self.setTitle(self.tr("Developers"))
        self.setSubTitle(self.tr("Add the people who will use the proxy. You can add more later."))
        self.name = named(_NameEdit(placeholderText=self.tr("Name, e.g. alice")), "developer_name")
        self.add = named(QPushButton(self.tr("Add"), autoDefault=False), "add_developer_button")
        self.list = named(QListWidget(), "developer_list")
        self.list.addItems([developer.name for developer in defaults.developers])
        self.remove = named(QPushButton(self.tr("Remove"), autoDefault=False), "remove_developer_button")
        self.remove.setEnabled(False)
        self.problem = _label("", "developer_problem")
        self.problem.setVisible(False)
        self.empty_note = _label(self.tr("Until you add a developer, the proxy refuses every request."),
                                 "no_developers_note")
        entry = QHBoxLayout()
        entry.addWidget(self.name)
        entry.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.addLayout(entry)
        layout.addWidget(self.problem)
        layout.addWidget(self.list)
        layout.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.empty_note)
        self.add.clicked.connect(self._on_add)
        self.name.returnPressed.connect(self._on_add)
        self.remove.clicked.connect(self._on_remove)
        self.list.itemSelectionChanged.connect(self._on_selection_changed)
        self._update_note()

    def names(self) -> tuple[str, ...]:
        """The developers in the list, in order."""
        return tuple(self.list.item(row).text() for row in range(self.list.count()))

    def _refuse(self, sentence: str) -> None:
        self.problem.setText(sentence)
        self.problem.setVisible(True)

    @Slot()
    def _on_add(self) -> None:
        name = self.name.text().strip()
        if not name:
            self._refuse(self.tr("Type the developer's name first."))
            return
        if (why := validate_developer_name(name)) is not None:
            self._refuse(_sentence(why))
            return
        if any(existing.casefold() == name.casefold() for existing in self.names()):
            self._refuse(self.tr("'{0}' is already in the list (names are not case-sensitive).").format(name))
            return
        self.list.addItem(name)
        self.name.clear()
        self.problem.clear()
        self.problem.setVisible(False)
        self._update_note()

    @Slot()
    def _on_remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._update_note()

    @Slot()
    def _on_selection_changed(self) -> None:
        self.remove.setEnabled(bool(self.list.selectedItems()))

    def _update_note(self) -> None:
        self.empty_note.setVisible(self.list.count() == 0)


class _CredentialsPage(QWizardPage):
    def __init__(self, network: _NetworkPage, developers: _DevelopersPage, where: tuple[Sequence[str], str],
                 password_for: PasswordSource) -> None:
        super().__init__()
        self.setObjectName("page_credentials")
        self.setTitle(self.tr("Your developers"))
        self.setSubTitle(self.tr("Send each developer the setup page, and their proxy URL privately: it contains "
                                 "their password."))
        self._network, self._developers = network, developers
        self._lan_addresses, self._host_name = where
        self._password_for = password_for
        self._urls: list[tuple[QLabel, ProxyAccess]] = []
        self._setup_url = ""
        self.setup_text = _label("", "setup_page_text")
        self.setup_url = _code("", "setup_page_url")
        self.copy_setup_url = named(QPushButton(self.tr("Copy"), autoDefault=False), "copy_setup_url")
        self.copy_setup_url.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._setup_url))
        setup_row = QHBoxLayout()
        setup_row.addWidget(self.setup_url, 1)
        setup_row.addWidget(self.copy_setup_url)
        self.rows = named(QScrollArea(widgetResizable=True), "credential_rows")
        self.show_passwords = named(QCheckBox(self.tr("Show passwords")), "show_passwords")
        self.problem = _label(self.tr("The credential secret is unavailable, so the URLs cannot be shown now. "
                                      "Copy them later from Team & credentials."), "credentials_problem")
        self.start_proxy = named(QCheckBox(self.tr("Start the proxy now")), "start_proxy")
        self.start_proxy.setChecked(True)
        self.then_open = named(QComboBox(), "then_open")
        self.then_open.addItem(self.tr("Team & credentials: copy each developer's settings"), "team")
        self.then_open.addItem(self.tr("CA certificate guide: the steps developers follow"), "ca_guide")
        then = QFormLayout()
        then.addRow(self.tr("After Finish, open:"), self.then_open)
        layout = QVBoxLayout(self)
        layout.addWidget(self.setup_text)
        layout.addLayout(setup_row)
        layout.addWidget(self.rows, 1)
        layout.addWidget(self.show_passwords)
        layout.addWidget(self.problem)
        layout.addWidget(self.start_proxy)
        layout.addLayout(then)
        self.show_passwords.toggled.connect(self._on_show_passwords)

    @override
    def initializePage(self) -> None:
        host = advertised_host(self._network.listen_host(), self._lan_addresses, self._host_name)
        port = self._network.port.value()
        self._show_setup_page(host, self._network.setup_port())
        content = named(QWidget(), "credential_rows_content")
        grid = QGridLayout(content)
        self._urls = []
        unavailable = False
        names = self._developers.names()
        for row, name in enumerate(names):
            password = self._password_for(name)
            grid.addWidget(_label(name, f"credential_name_{name}"), row, 0)
            copy = named(QPushButton(self.tr("Copy URL"), autoDefault=False), f"copy_url_{name}")
            if password is None:
                unavailable = True
                grid.addWidget(_label(self.tr("unavailable"), f"credential_url_{name}"), row, 1)
                copy.setEnabled(False)
            else:
                access = ProxyAccess(host, port, name, password)
                label = _code("", f"credential_url_{name}")
                self._urls.append((label, access))
                grid.addWidget(label, row, 1)
                copy.clicked.connect(self._copier(access.url))
            grid.addWidget(copy, row, 2)
        if not names:
            grid.addWidget(_label(self.tr("No developers yet: add them later from Team & credentials. Until "
                                          "then the proxy refuses every request."), "no_credentials_note"), 0, 0)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(len(names) + 1, 1)
        self.rows.setWidget(content)  # deletes the previous rows
        self.problem.setVisible(unavailable)
        self._on_show_passwords(self.show_passwords.isChecked())

    def _show_setup_page(self, host: str, setup_port: int | None) -> None:
        self._setup_url = "" if setup_port is None else setup_page_url(host, setup_port)
        if setup_port is None:
            text = self.tr("The setup page is turned off in Settings: send developers the CA certificate from the "
                           "CA certificate guide instead.")
        elif listens_only_locally(self._network.listen_host()):
            text = self.tr("The setup page with the CA certificate and the steps for each computer (only this "
                           "computer can open it while the proxy listens on {0}):").format(self._network.listen_host())
        else:
            text = self.tr("Send every developer this page: the CA certificate and the steps for their computer, "
                           "while the proxy runs. It shows no password.")
        self.setup_text.setText(text)
        self.setup_url.setText(self._setup_url)
        for widget in (self.setup_url, self.copy_setup_url):
            widget.setVisible(bool(self._setup_url))

    @staticmethod
    def _copier(url: str) -> Callable[[], None]:
        def copy() -> None:
            QGuiApplication.clipboard().setText(url)
        return copy

    @Slot(bool)
    def _on_show_passwords(self, shown: bool) -> None:
        for label, access in self._urls:
            label.setText(access.url if shown else access.masked_url)

    def next_window(self) -> NextWindow:
        """The window Finish opens."""
        return "ca_guide" if self.then_open.currentData() == "ca_guide" else "team"


class FirstRunWizard(QWizard):
    """Five pages: welcome, network, recording, developers, credentials; Finish emits `completed`."""

    completed = Signal(object)  # WizardResult

    def __init__(self, defaults: Settings, lan_addresses: Sequence[str], host_name: str,
                 password_for: PasswordSource, parent: QWidget | None = None, *,
                 bind_check: BindCheck = bind_problem) -> None:
        """Build the pages from `defaults`; `password_for` gives each new developer's password."""
        super().__init__(parent)
        self.setObjectName("first_run_wizard")
        self.setWindowTitle(self.tr("Welcome to Copilot Insight"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.welcome = _WelcomePage()
        self.network = _NetworkPage(defaults, lan_addresses, bind_check)
        self.recording = _RecordingPage(defaults)
        self.developers = _DevelopersPage(defaults)
        self.credentials = _CredentialsPage(self.network, self.developers, (tuple(lan_addresses), host_name),
                                            password_for)
        for page in (self.welcome, self.network, self.recording, self.developers, self.credentials):
            self.addPage(page)
        self.accepted.connect(self._on_accepted)

    def result_value(self) -> WizardResult:
        """What the pages say now."""
        return WizardResult(
            listen_host=self.network.listen_host(),
            listen_port=self.network.port.value(),
            recording_level=self.recording.level(),
            developers=self.developers.names(),
            start_proxy=self.credentials.start_proxy.isChecked(),
            then_open=self.credentials.next_window(),
        )

    @Slot()
    def _on_accepted(self) -> None:
        self.completed.emit(self.result_value())

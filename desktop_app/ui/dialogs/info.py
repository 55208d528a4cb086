"""Small informational windows: the About box."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop_app import APP_NAME, __version__
from desktop_app.ui.i18n import tr
from desktop_app.ui.icons import app_icon
from desktop_app.ui.widgets import named

CONTEXT = "InfoWindow"


class InfoWindow(QDialog):
    """A titled, non-modal window with rich text and a Close button."""

    def __init__(self, name: str, title: str, html: str, parent: QWidget | None = None) -> None:
        """`name` becomes the objectName the tests find it by."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self.text = named(QLabel(html, wordWrap=True, openExternalLinks=True), f"{name}_text")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)


def about_window(data_dir: str, parent: QWidget | None = None) -> InfoWindow:
    """The About box: version, what the app does, where its data is."""
    html = tr(CONTEXT, "<h3>{name} {version}</h3>"
              "<p>Per-developer GitHub Copilot usage for your team, recorded by an authenticating proxy on "
              "this computer. Nothing is sent anywhere else.</p>"
              "<p>Data folder: <code>{data}</code></p>"
              "<p>Built on mitmproxy and Qt for Python.</p>").format(name=APP_NAME, version=__version__, data=data_dir)
    return InfoWindow("about_window", tr(CONTEXT, "About {name}").format(name=APP_NAME), html, parent)


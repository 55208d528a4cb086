"""The no-keyring choice: keep the credential secret in a private file in the data folder, or not now.

Shown at start-up (and when starting the proxy) when no system keyring works. It says in plain
words what the file means for security and where it is; it decides nothing itself: `accepted`
means "use the file", `rejected` means "not now". The presenter remembers the choice by creating
the file.
"""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLayout, QLineEdit, QVBoxLayout, QWidget

from desktop_app.ui.widgets import named

MAX_REASON = 160  # characters of the keyring library's own message shown (the rest is in the log)
WIDTH = 560


def _label(text: str, name: str) -> QLabel:
    label = named(QLabel(text, wordWrap=True), name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class NoKeyringDialog(QDialog):
    """"No keyring works here: keep the secret in a file readable only by you?"."""

    def __init__(self, secret_file: Path, reason: str, parent: QWidget | None = None) -> None:
        """Offer `secret_file`; `reason` is what the keyring library said (shortened)."""
        super().__init__(parent)
        self.setObjectName("no_keyring_dialog")
        self.setWindowTitle(self.tr("No keyring for the secret"))
        shown_reason = reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
        intro = self.tr(
            "Every developer's password is computed from one secret. Copilot Insight keeps it in the system "
            "keyring, but no keyring works on this computer.")
        offer = self.tr("Instead, Copilot Insight can keep the secret in a file in its data folder, readable "
                        "only by you:")
        meaning = self.tr(
            "What this means: anyone who can read your files (an administrator, a backup of your home folder, "
            "a program running as you) can compute every developer's password. Copilot Insight and its "
            "command line use this file from now on. To go back to a keyring later, quit, delete the file and "
            "start again: every developer then needs a new password.")
        layout = QVBoxLayout(self)
        layout.addWidget(_label(intro, "no_keyring_intro"))
        layout.addWidget(_label(offer, "no_keyring_offer"))
        self.path = named(QLineEdit(str(secret_file), readOnly=True), "no_keyring_path")  # whole, selectable
        self.path.setCursorPosition(0)
        layout.addWidget(self.path)
        layout.addWidget(_label(meaning, "no_keyring_meaning"))
        why = _label(self.tr("The keyring said: {reason}").format(reason=shown_reason), "no_keyring_reason")
        why.setEnabled(False)  # shown muted: for whoever fixes the keyring, not a decision to make
        layout.addWidget(why)
        buttons = QDialogButtonBox()
        self.keep_button = named(buttons.addButton(self.tr("Keep the secret in this file"),
                                                   QDialogButtonBox.ButtonRole.AcceptRole), "keep_in_file")
        self.later_button = named(buttons.addButton(self.tr("Not now"), QDialogButtonBox.ButtonRole.RejectRole),
                                  "not_now")
        self.keep_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # wrapped text never cut off
        self.setMinimumWidth(WIDTH)
        self.resize(WIDTH, layout.totalHeightForWidth(WIDTH))

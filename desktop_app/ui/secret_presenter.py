"""The credential secret at start-up: read it, and when no keyring works, offer the data folder's file.

`ensure(then)` reads the secret on a worker and calls `then` whatever happens, so start-up goes on
(the wizard, the proxy) with the secret ready when it can be. When no system keyring works it shows
`NoKeyringDialog` instead of an error: accepting creates (or uses) `credential-secret` in the data
folder, which every later start and command uses. Declining ("Not now") is remembered until the
lead starts the proxy again themselves (`declined`), so the choice is not pushed twice in a row.
"""

from collections.abc import Callable

from PySide6.QtCore import QObject

from desktop_app.core.team.secrets import NoKeyringError, data_folder_secret
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.no_keyring import NoKeyringDialog
from desktop_app.ui.i18n import tr

CONTEXT = "SecretPresenter"


class SecretPresenter(QObject):
    """Owns the no-keyring choice while it is shown."""

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        """Use the secret and data folder of `ctx`."""
        super().__init__(parent)
        self._ctx = ctx
        self.dialog: NoKeyringDialog | None = None
        self.declined = False  # "Not now" was the answer; cleared when the lead starts the proxy themselves
        self._waiting: list[Callable[[], None]] = []

    def ensure(self, then: Callable[[], None]) -> None:
        """Read the secret (off the GUI thread), offering the file if no keyring works; then call `then`."""
        if self._ctx.secret.loaded:
            then()
            return
        self._ctx.tasks.submit(self._ctx.secret, lambda _secret: then(), lambda error: self._failed(error, then),
                               name="load secret")

    def offer(self, error: NoKeyringError, then: Callable[[], None]) -> None:
        """Show the choice (once, however many ask); call `then` after the lead answered."""
        self._waiting.append(then)
        if self.dialog is not None:
            self.dialog.raise_()
            return
        self.dialog = NoKeyringDialog(data_folder_secret(self._ctx.paths.data_dir), error.reason)
        self.dialog.accepted.connect(self._keep_in_file)
        self.dialog.rejected.connect(self._not_now)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _failed(self, error: BaseException, then: Callable[[], None]) -> None:
        if isinstance(error, NoKeyringError):
            if self.declined:
                then()
            else:
                self.offer(error, then)
            return
        self._ctx.errors.report(error, tr(CONTEXT, "The credential secret cannot be read"))
        then()

    def _not_now(self) -> None:
        self.declined = True
        self._continue()

    def _keep_in_file(self) -> None:
        self.declined = False
        path = data_folder_secret(self._ctx.paths.data_dir)

        def failed(error: BaseException) -> None:
            self._ctx.errors.report(error, tr(CONTEXT, "The secret file cannot be used"))
            self._continue()

        self._ctx.tasks.submit(lambda: self._ctx.secret.keep_in_file(path), lambda _s: self._continue(), failed,
                               name="keep the secret in a file")

    def _continue(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then()

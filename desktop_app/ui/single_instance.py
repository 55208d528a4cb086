"""One tray application per user and data folder: a second launch wakes the first and exits.

The first instance listens on a local socket (a Unix socket or a Windows named pipe) whose name is
derived from the user and the data folder, readable by the user only. A later launch connects
and exits; the connection alone asks the first instance to come forward. A socket left by a crashed
instance is removed when nobody answers on it.
"""

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop_app import APP_ID

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500


def instance_key(data_dir: Path) -> str:
    """The socket name for this user and data folder (short: Unix socket paths are limited)."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{data_dir.resolve()}".encode()).hexdigest()[:16]
    return f"{APP_ID}-{digest}"


class SingleInstance(QObject):
    """Holds the instance socket; emits `activated` when another launch asks for this one."""

    activated = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        """Use the socket name `key` (see `instance_key`)."""
        super().__init__(parent)
        self.key = key
        self._server: QLocalServer | None = None

    def wake_running(self) -> bool:
        """Ask a running instance to come forward; return whether one answered."""
        socket = QLocalSocket()
        socket.connectToServer(self.key)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.disconnectFromServer()
        return True

    def claim(self) -> bool:
        """Become the running instance; return False if another instance already is (it was woken)."""
        if self.wake_running():
            return False
        QLocalServer.removeServer(self.key)  # a stale socket from an instance that crashed
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.key):
            logger.warning("Cannot guard against a second instance (%s); continuing.", server.errorString())
            return True
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def release(self) -> None:
        """Stop listening (at quit)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        # Any connection is a request to come forward: a later launch has nothing else to say.
        server = self._server
        woken = False
        while server is not None and (socket := server.nextPendingConnection()) is not None:
            socket.disconnectFromServer()
            socket.deleteLater()
            woken = True
        if woken:
            self.activated.emit()

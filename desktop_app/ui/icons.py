"""The tray icon, drawn with QPainter for each state: no image files, crisp at every size.

A rounded badge with a "C": grey when stopped, green when running, amber when running but Copilot
cannot be reached from this computer, red after an error, and an amber dot in the corner while
prompts and answers are being recorded.
"""

from enum import Enum

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


class TrayState(Enum):
    """What the tray shows."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    UNREACHABLE = "unreachable"  # running, but the proxy cannot reach Copilot
    STOPPING = "stopping"
    ERROR = "error"


COLOURS = {
    TrayState.STOPPED: "#8a8f98",
    TrayState.STARTING: "#4d8fd6",
    TrayState.RUNNING: "#2e9d57",
    TrayState.UNREACHABLE: "#e08a00",
    TrayState.STOPPING: "#4d8fd6",
    TrayState.ERROR: "#d64541",
}
RECORDING_DOT = "#f0a020"
LISTENING = frozenset({TrayState.RUNNING, TrayState.UNREACHABLE})


def _pixmap(size: int, colour: str, recording: bool) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = size * 0.06
    badge = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(badge, size * 0.22, size * 0.22)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(8, int(size * 0.66)))
    painter.setFont(font)
    painter.setPen(QPen(QColor("white")))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "C")
    if recording:
        dot = size * 0.36
        painter.setPen(QPen(QColor("white"), max(1.0, size * 0.05)))
        painter.setBrush(QColor(RECORDING_DOT))
        painter.drawEllipse(QRectF(size - dot - margin / 2, margin / 2, dot, dot))
    painter.end()
    return pixmap


def state_icon(state: TrayState, *, recording_content: bool = False) -> QIcon:
    """Return the icon for `state` (with the recording dot while content is recorded)."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_pixmap(size, COLOURS[state], recording_content and state in LISTENING))
    return icon


def app_icon() -> QIcon:
    """The application's own icon (windows, the About box)."""
    return state_icon(TrayState.RUNNING)

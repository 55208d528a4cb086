"""The tray on a real X server with a real tray host (Xvfb + trayer): the icon is drawn, the menu opens.

Everything else in tests/ui runs offscreen, where no tray exists. This test starts its own Xvfb and
trayer (installed by .ci/run), launches `python -m desktop_app` on it, finds the green running icon
in a screenshot, right-clicks it with xdotool and checks that the menu was drawn; then SIGTERM.
"""

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from desktop_app.ui.icons import COLOURS, TrayState
from tests.ui.launched import launch_tray

TOOLS = ("Xvfb", "trayer", "import", "xdotool")
pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS),
                                reason=f"needs {', '.join(TOOLS)} (installed by .ci/run)")
SCREEN = (800, 600)
TRAY_WIDTH, TRAY_HEIGHT = 120, 28
X11_TMP = Path("/tmp")  # noqa: S108 - X servers keep their sockets and locks there, whatever TMPDIR says


def _free_display() -> int:
    for number in range(90, 200):
        if not (X11_TMP / f".X11-unix/X{number}").exists() and not (X11_TMP / f".X{number}-lock").exists():
            return number
    raise AssertionError("no free X display number")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb with trayer docked top right; both stopped by PID afterwards."""
    number = _free_display()
    name = f":{number}"
    xvfb = subprocess.Popen(["Xvfb", name, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait((X11_TMP / f".X11-unix/X{number}").exists, 10, "Xvfb")
        trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
                                   "--width", str(TRAY_WIDTH), "--height", str(TRAY_HEIGHT)],
                                  env={"DISPLAY": name, "PATH": "/usr/bin:/bin"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # trayer claims the tray selection
            yield name
        finally:
            _stop(trayer)
    finally:
        _stop(xvfb)


def screenshot(display: str, path: Path) -> QImage:
    subprocess.run(["import", "-display", display, "-window", "root", str(path)], check=True, timeout=20)
    image = QImage(str(path))
    assert not image.isNull()
    return image


def find_colour(image: QImage, colour: str, area: tuple[int, int, int, int]) -> tuple[int, int] | None:
    wanted = QColor(colour)
    left, top, width, height = area
    for y in range(top, top + height):
        for x in range(left, left + width):
            pixel = image.pixelColor(x, y)
            if max(abs(pixel.red() - wanted.red()), abs(pixel.green() - wanted.green()),
                   abs(pixel.blue() - wanted.blue())) <= 8:
                return x, y
    return None


def light_pixels(image: QImage, area: tuple[int, int, int, int]) -> int:
    left, top, width, height = area
    return sum(1 for y in range(top, top + height, 2) for x in range(left, left + width, 2)
               if image.pixelColor(x, y).lightness() > 200)


def test_tray_icon_is_drawn_in_a_real_tray_and_its_menu_opens(display, tmp_path):
    tray = launch_tray(tmp_path, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        tray.log.wait_for("Tray icon shown (system tray available: True)", timeout=20)
        tray.log.wait_for(f"Proxy listening on 127.0.0.1:{tray.port}", timeout=20)
        tray_area = (SCREEN[0] - TRAY_WIDTH, 0, TRAY_WIDTH, TRAY_HEIGHT)
        found = [None]

        def icon_drawn() -> bool:
            found[0] = find_colour(screenshot(display, tmp_path / "tray.png"), COLOURS[TrayState.RUNNING], tray_area)
            return found[0] is not None

        _wait(icon_drawn, 15, "the green running icon in the tray")
        x, y = found[0]
        menu_area = (SCREEN[0] - 400, TRAY_HEIGHT + 40, 380, 200)
        before = light_pixels(screenshot(display, tmp_path / "before.png"), menu_area)
        subprocess.run(["xdotool", "mousemove", str(x + 4), str(y + 4), "click", "3"], check=True, timeout=10,
                       env={"DISPLAY": display, "PATH": "/usr/bin:/bin"})
        _wait(lambda: light_pixels(screenshot(display, tmp_path / "menu.png"), menu_area) > before + 2000, 10,
              "the tray menu to be drawn")
    finally:
        code = tray.stop()
    output = tray.log.drain()
    assert code == 0, output
    assert "Proxy stopped" in output

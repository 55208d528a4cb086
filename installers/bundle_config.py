"""The facts every installer shares: names, version, icons, what the bundle leaves out, where output goes.

Owned here so the PyInstaller spec, the per-platform build scripts and the static checker
(`check_scripts.py`) read one source. Standard library only (`tomllib`, Python 3.11+), and it
imports neither PyInstaller nor the application, so the checker runs anywhere.
"""

import platform
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = ROOT / "installers"
PYPROJECT = ROOT / "pyproject.toml"
ICONS = ROOT / "resources" / "icons"
TRANSLATIONS = ROOT / "resources" / "translations"
SPEC = INSTALLERS / "copilot-insight.spec"
ENTRY_SCRIPT = ROOT / "desktop_app" / "__main__.py"

APP_NAME = "Copilot Insight"  # desktop_app.APP_NAME (the checker compares them)
APP_ID = "copilot-insight"  # desktop_app.APP_ID: executable, data folder, Desktop Entry, icon name
BUNDLE_ID = f"io.github.{APP_ID}"  # macOS bundle identifier, as the LaunchAgent label in system/autostart.py
EXECUTABLE = APP_ID  # `copilot-insight`, `copilot-insight.exe`, Contents/MacOS/copilot-insight
MAC_APP = f"{APP_NAME}.app"

ICON_ICO = ICONS / f"{APP_ID}.ico"
ICON_ICNS = ICONS / f"{APP_ID}.icns"
ICON_PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)

# Modules the application never imports. PySide6-Essentials ships these Qt modules; PyInstaller
# would only collect what is imported, but naming them keeps a stray import (a library probing for
# an optional feature) from pulling in QML and Quick, which are most of the Qt libraries' size.
# QtOpenGL and QtOpenGLWidgets stay: pyqtgraph's PlotCurveItem imports them unconditionally.
EXCLUDED_QT_MODULES = (
    "PySide6.QtConcurrent", "PySide6.QtDBus", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtLabsStyleKit",
    "PySide6.QtPrintSupport", "PySide6.QtQml", "PySide6.QtQmlFeatures", "PySide6.QtQuick",
    "PySide6.QtQuickControls2", "PySide6.QtQuickTest", "PySide6.QtQuickWidgets", "PySide6.QtSql",
    "PySide6.QtSvgWidgets", "PySide6.QtTest", "PySide6.QtUiTools", "PySide6.QtXml",
)
EXCLUDED_MODULES = (
    *EXCLUDED_QT_MODULES,
    "PyQt5", "PyQt6", "PySide2", "tkinter", "_tkinter",
    # pyqtgraph's 3-D (PyOpenGL), notebook and example parts; mitmproxy's own console and web UIs.
    "pyqtgraph.opengl", "pyqtgraph.jupyter", "pyqtgraph.examples",
    "mitmproxy.tools.console", "mitmproxy.tools.web", "urwid", "tornado",
    # Optional extras of the libraries above that are not installed or not wanted in a bundle.
    "matplotlib", "scipy", "IPython", "pytest", "setuptools", "pip",
)


def project_version(pyproject: Path = PYPROJECT) -> str:
    """The version in `pyproject.toml`: the one version every installer carries."""
    with pyproject.open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


def machine() -> str:
    """This computer's architecture as archive names use it (x86_64, aarch64, arm64)."""
    return platform.machine().lower() or "unknown"


def onedir(dist: Path) -> Path:
    """The PyInstaller onedir output (Linux and Windows): the executable and its `_internal` folder."""
    return dist / APP_ID


def linux_archive(dist: Path, version: str) -> Path:
    """The Linux release archive."""
    return dist / f"{APP_ID}-{version}-linux-{machine()}.tar.gz"


def icon_pngs() -> dict[int, Path]:
    """The PNG icon of each hicolor size, by size."""
    return {size: ICONS / f"{APP_ID}-{size}.png" for size in ICON_PNG_SIZES}

"""Draw the installers' icons into `resources/icons/` from the app's own icon (`desktop_app.ui.icons`).

The tray draws its icon with QPainter at run time; installers need files: PNGs for the Linux
Desktop Entry (hicolor sizes), a multi-size `.ico` for the Windows executable and installer, and
an `.icns` for the macOS bundle. This script renders the "running" badge (the application icon)
at each size with Qt offscreen, then lets Pillow (installed with fpdf2) write the `.ico` and
`.icns`. Run it again only when the icon's drawing changes:

    .venv/bin/python installers/make_icons.py
"""

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
NAME = "copilot-insight"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(size: int) -> bytes:
    """The application icon at `size` x `size` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QIODevice  # noqa: PLC0415 - Qt only when drawing

    from desktop_app.ui.icons import COLOURS, TrayState, _pixmap  # noqa: PLC0415

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not _pixmap(size, COLOURS[TrayState.RUNNING], False).save(buffer, "PNG"):
        raise RuntimeError(f"Qt could not encode the {size} px icon as PNG")
    return bytes(buffer.data().data())


def write_icons(folder: Path) -> list[Path]:
    """Write every PNG, the `.ico` and the `.icns` into `folder`; return the files written."""
    from PIL import Image  # noqa: PLC0415 - Pillow comes with fpdf2

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    images: dict[int, Image.Image] = {}
    for size in PNG_SIZES:
        data = render_png(size)
        path = folder / f"{NAME}-{size}.png"
        path.write_bytes(data)
        written.append(path)
        images[size] = Image.open(io.BytesIO(data)).convert("RGBA")
    retina = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")  # 512@2x, only inside the .icns
    ico = folder / f"{NAME}.ico"
    images[256].save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    icns = folder / f"{NAME}.icns"
    retina.save(icns, format="ICNS", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    return [*written, ico, icns]


def main() -> int:
    """Render the icons offscreen (no display needed) and list what was written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtGui import QGuiApplication  # noqa: PLC0415

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    for path in write_icons(ICONS):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

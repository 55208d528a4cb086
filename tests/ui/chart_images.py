"""Draws a chart widget into an image without showing a window: what the chart tests look at."""

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget


def render_chart(chart: QWidget, width: int, height: int, device_pixel_ratio: float = 1.0) -> QImage:
    """Draw `chart` at `width` x `height` into an image, without showing a window on screen.

    A chart that is not inside a window is laid out as an invisible window for the drawing (this
    works on every platform, `offscreen` included); a chart inside a window is just resized, so its
    window's layout takes it back at the next change.

    Args:
        chart: A chart (any widget works).
        width: The image's width in device-independent pixels.
        height: The image's height in device-independent pixels.
        device_pixel_ratio: Pixels per device-independent pixel (2 for sharp images on HiDPI screens).

    Returns:
        The image (width x height times `device_pixel_ratio` pixels), ready to save as PNG.
    """
    chart.resize(width, height)
    standalone = chart.isWindow() and not chart.isVisible()
    if standalone:
        had_attribute = chart.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        chart.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        chart.show()
    try:
        chart.ensurePolished()
        if (layout := chart.layout()) is not None:
            layout.activate()
        for _ in range(3):  # resizes post layout requests inside the plot's scene, which post more
            QCoreApplication.sendPostedEvents()
        image = QImage(round(width * device_pixel_ratio), round(height * device_pixel_ratio),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(device_pixel_ratio)
        image.fill(Qt.GlobalColor.transparent)
        chart.render(image)
    finally:
        if standalone:
            chart.hide()
            chart.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, had_attribute)
    return image

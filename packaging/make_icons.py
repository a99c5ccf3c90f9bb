"""Draws the app icon (the demo avatar's face on a rounded tile) in every size each OS wants:
PNGs 16-1024 (Linux), avatar-desktop.ico (Windows), avatar-desktop.icns (macOS).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    gradient = QLinearGradient(0, 0, 0, s)
    gradient.setColorAt(0, QColor(36, 72, 120))
    gradient.setColorAt(1, QColor(86, 124, 170))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(QRectF(0.04 * s, 0.04 * s, 0.92 * s, 0.92 * s), 0.2 * s, 0.2 * s)
    p.setBrush(QColor(214, 168, 142))
    p.drawEllipse(QRectF(0.27 * s, 0.16 * s, 0.46 * s, 0.64 * s))
    p.setBrush(QColor(25, 25, 30))
    for x in (0.39, 0.61):
        p.drawEllipse(QRectF((x - 0.04) * s, 0.38 * s, 0.08 * s, 0.07 * s))
    p.setBrush(QColor(120, 20, 30))
    p.drawEllipse(QRectF(0.42 * s, 0.58 * s, 0.16 * s, 0.09 * s))
    p.end()
    return image


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication([])
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(str(OUT / f"avatar-desktop-{size}.png"))
    draw(256).save(str(OUT / "avatar-desktop.ico"))
    draw(1024).save(str(OUT / "avatar-desktop.icns"))
    del app


if __name__ == "__main__":
    main()

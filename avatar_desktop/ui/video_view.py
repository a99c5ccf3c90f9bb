"""The avatar's video: pulls the newest frame on a display-rate timer (a slow paint drops stale
frames instead of queueing latency) and paints it letterboxed, with an overlay that says which
step the session is in while there is no picture."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from avatar_desktop.core.media_port import Frame, FrameSource


@dataclass
class PaintStats:
    frames_painted: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # received by engine → painted

    def record(self, latency_ms: float) -> None:
        self.frames_painted += 1
        if len(self.latencies_ms) < 100_000:
            self.latencies_ms.append(latency_ms)


class VideoView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._source: FrameSource | None = None
        self._image: QImage | None = None
        self._frame: Frame | None = None  # keeps the bytes under the QImage alive
        self._overlay = ""
        self._show_picture = False
        self.stats = PaintStats()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._pull)
        self._timer.start(1000 // 60)

    def set_source(self, source: FrameSource | None) -> None:
        self._source = source

    def set_overlay(self, text: str, show_picture: bool) -> None:
        """``show_picture``: whether the last frame may still be shown (live or reconnecting)."""
        self._overlay = text
        self._show_picture = show_picture
        if not show_picture:
            self._image, self._frame = None, None
        self.update()

    def _pull(self) -> None:
        if self._source is None:
            return
        frame = self._source()
        if frame is None:
            return
        self._frame = frame
        self._image = QImage(
            frame.rgba, frame.width, frame.height, frame.width * 4, QImage.Format.Format_RGBA8888
        )
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 18, 24))
        image = self._image if self._show_picture else None
        if image is not None and self._frame is not None:
            target = self._letterbox(image.width(), image.height())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, image)
            self.stats.record(time.time() * 1000 - self._frame.received_us / 1000)
        if self._overlay:
            self._draw_overlay(painter, dim=image is not None)
        painter.end()

    def _letterbox(self, width: int, height: int) -> QRectF:
        area = self.rect()
        scale = min(area.width() / width, area.height() / height)
        w, h = width * scale, height * scale
        return QRectF((area.width() - w) / 2, (area.height() - h) / 2, w, h)

    def _draw_overlay(self, painter: QPainter, dim: bool) -> None:
        if dim:
            painter.fillRect(self.rect(), QColor(0, 0, 0, 120))
        font = QFont(self.font())
        font.setPointSizeF(max(11.0, font.pointSizeF() * 1.4))
        painter.setFont(font)
        painter.setPen(QColor(235, 238, 245))
        painter.drawText(
            self.rect().adjusted(24, 24, -24, -24),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self._overlay,
        )

    @property
    def has_picture(self) -> bool:
        return self._image is not None

"""The avatar's video: pulls the newest frame on a display-rate timer (a slow paint drops stale
frames instead of queueing latency) and paints it letterboxed, with an overlay that says which
step the session is in while there is no picture.

The view tells its source its size in device pixels, so frames arrive scaled to fit and are
painted 1:1 over the engine's shared memory (no copy, no smooth transform per paint). The timer
runs only while a picture may show: an idle window costs nothing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QRegion, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from avatar_desktop.core.media_port import Frame, FrameSource

BACKGROUND = QColor(16, 18, 24)


@dataclass
class PaintStats:
    frames_painted: int = 0
    latencies_ms: list[float] = field(default_factory=list)  # received by engine → painted
    paint_seconds: float = 0.0  # drawing the picture, for the benchmarks
    scaled_paints: int = 0  # paints that had to scale (a resize in progress)

    def record(self, latency_ms: float, seconds: float, scaled: bool) -> None:
        self.frames_painted += 1
        self.paint_seconds += seconds
        self.scaled_paints += scaled
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
        self._picture: QRect | None = None  # where the last picture was painted 1:1
        self._overlay = ""
        self._show_picture = False
        self.stats = PaintStats()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1000 // 60)
        self._timer.timeout.connect(self._pull)

    def set_source(self, source: FrameSource | None) -> None:
        self._source = source
        self._tell_size()

    def set_overlay(self, text: str, show_picture: bool) -> None:
        """``show_picture``: whether a picture may show (connecting to live, or reconnecting);
        frames are pulled only then."""
        self._overlay = text
        self._show_picture = show_picture
        if show_picture and not self._timer.isActive():
            self._timer.start()
        elif not show_picture:
            self._timer.stop()
            self._image, self._frame = None, None
        self.update()

    @property
    def pulling(self) -> bool:
        return self._timer.isActive()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tell_size()

    def _tell_size(self) -> None:
        if self._source is not None:
            ratio = self.devicePixelRatioF()
            self._source.request_size(round(self.width() * ratio), round(self.height() * ratio))

    def _pull(self) -> None:
        if self._source is None:
            return
        frame = self._source.latest()
        if frame is None:
            return
        image = QImage(
            frame.pixels, frame.width, frame.height, frame.stride, QImage.Format.Format_RGB32
        )
        image.setDevicePixelRatio(self.devicePixelRatioF())
        same_place = (
            self._image is not None
            and self._image.size() == image.size()
            and self._picture is not None
            and not self._overlay
        )
        # The new image first, then the old frame goes: the old pixels stay held until then.
        self._image, self._frame = image, frame
        if same_place and self._picture is not None:
            self.update(self._picture)  # only the picture changed: repaint and flush just it
        else:
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        image = self._image if self._show_picture else None
        self._picture = None
        if image is not None and self._frame is not None:
            began = time.perf_counter()
            size = image.deviceIndependentSize()
            target = self._letterbox(size.width(), size.height())
            scaled = round(target.width()) != round(size.width())
            if not scaled:  # the usual case: 1:1
                self._picture = QRect(round(target.x()), round(target.y()),
                                      round(size.width()), round(size.height()))  # fmt: skip
                bars = QRegion(event.rect()).subtracted(QRegion(self._picture))
                for bar in cast(Iterable[QRect], bars):  # iterable at run time; the stubs lag
                    painter.fillRect(bar, BACKGROUND)
                painter.drawImage(self._picture.topLeft(), image)
            else:  # the window was resized and frames of the new size are on their way
                painter.fillRect(event.rect(), BACKGROUND)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(target, image)
            latency_ms = time.time() * 1000 - self._frame.received_us / 1000
            self.stats.record(latency_ms, time.perf_counter() - began, scaled)
        else:
            painter.fillRect(event.rect(), BACKGROUND)
        if self._overlay:
            self._draw_overlay(painter, dim=image is not None)
        painter.end()

    def _letterbox(self, width: float, height: float) -> QRectF:
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

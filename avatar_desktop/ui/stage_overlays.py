"""What the video stage draws over the picture: the step card (which step the session is in,
for how long, or why it failed) and the speaking pill (who is talking, with moving bars).

Both are cheap by construction: the card is laid out once per change of text or size and
repainted only in its own rectangle (its spinner at a low rate); the pill is pre-rendered, one
pixmap per animation phase, so a frame's paint adds one ``drawPixmap`` while someone speaks."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap

STAGE = QColor(9, 10, 13)  # near-black around the letterboxed picture
CARD = QColor(30, 33, 41, 238)
CARD_EDGE = QColor(255, 255, 255, 28)
TEXT = QColor(236, 239, 245)
MUTED = QColor(160, 167, 181)
ACCENT = QColor(96, 156, 255)
WARNING = QColor(255, 176, 64)
SPEAKING = QColor(72, 214, 132)
HEARING = QColor(96, 156, 255)

StepKind = Literal["progress", "idle", "failed"]
SPINNER_INTERVAL_MS = 80  # 12.5 Hz: smooth enough for a spinner, nothing for the CPU
PILL_INTERVAL_MS = 110  # the speaking bars' phase, about 9 Hz
PILL_PHASES = 8


@dataclass(frozen=True)
class StepCard:
    """A step as the stage shows it. ``since``: when it began (``time.time()``), for the
    seconds shown while it is in progress."""

    title: str
    detail: str = ""
    kind: StepKind = "progress"
    since: float | None = None


def _fonts(base: QFont) -> tuple[QFont, QFont, QFont]:
    size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
    title = QFont(base)
    title.setPointSizeF(size * 1.3)
    title.setWeight(QFont.Weight.DemiBold)
    detail = QFont(base)
    detail.setPointSizeF(size * 1.05)
    small = QFont(base)
    small.setPointSizeF(size * 0.95)
    return title, detail, small


class StepCardPainter:
    """Lays the card out for a stage size and paints it; ``rect`` is what to repaint."""

    ICON = 34
    PAD = 26
    GAP = 12

    LONG_TITLE = 64  # characters: a whole explanation reads better in the plain font

    def __init__(self, card: StepCard, stage: QRect, base: QFont) -> None:
        self.card = card
        self.title_font, self.detail_font, self.small_font = _fonts(base)
        if len(card.title) > self.LONG_TITLE:
            self.title_font = QFont(self.detail_font)
            self.title_font.setPointSizeF(self.detail_font.pointSizeF() * 1.08)
        width = max(220, min(480, stage.width() - 48))
        inner = width - 2 * self.PAD
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
        self._flags = flags
        bounds = QRect(0, 0, inner, 10_000)
        title = QFontMetrics(self.title_font).boundingRect(bounds, flags, card.title)
        self._title_h = title.height()
        detail = QFontMetrics(self.detail_font).boundingRect(bounds, flags, card.detail)
        self._detail_h = detail.height() if card.detail else 0
        self._small_h = QFontMetrics(self.small_font).height() if self.shows_elapsed else 0
        height = self.PAD * 2 + self.ICON + self.GAP + self._title_h
        height += (self.GAP // 2 + self._detail_h) if self._detail_h else 0
        height += (self.GAP // 2 + self._small_h) if self._small_h else 0
        height = min(height, max(120, stage.height() - 24))
        self.rect = QRect(
            stage.x() + (stage.width() - width) // 2,
            stage.y() + (stage.height() - height) // 2,
            width,
            height,
        )

    @property
    def shows_elapsed(self) -> bool:
        return self.card.kind == "progress" and self.card.since is not None

    @property
    def animates(self) -> bool:
        return self.card.kind == "progress"

    def paint(self, painter: QPainter, elapsed_text: str) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(CARD_EDGE, 1))
        painter.setBrush(CARD)
        painter.drawRoundedRect(box, 16, 16)
        icon = QRectF(
            self.rect.center().x() - self.ICON / 2, self.rect.y() + self.PAD, self.ICON, self.ICON
        )
        {"progress": _spinner, "idle": _ready_icon, "failed": _warning_icon}[self.card.kind](
            painter, icon
        )
        y = int(icon.bottom()) + self.GAP
        inner = QRect(self.rect.x() + self.PAD, y, self.rect.width() - 2 * self.PAD, 0)
        painter.setPen(TEXT)
        painter.setFont(self.title_font)
        painter.drawText(inner.adjusted(0, 0, 0, self._title_h), self._flags, self.card.title)
        y += self._title_h
        if self._detail_h:
            y += self.GAP // 2
            painter.setPen(MUTED if self.card.kind != "failed" else TEXT)
            painter.setFont(self.detail_font)
            box_ = QRect(inner.x(), y, inner.width(), self._detail_h)
            painter.drawText(box_, self._flags, self.card.detail)
            y += self._detail_h
        if self._small_h:
            y += self.GAP // 2
            painter.setPen(MUTED)
            painter.setFont(self.small_font)
            box_ = QRect(inner.x(), y, inner.width(), self._small_h)
            painter.drawText(box_, Qt.AlignmentFlag.AlignHCenter, elapsed_text)
        painter.restore()


def _spinner(painter: QPainter, box: QRectF) -> None:
    angle = (time.monotonic() * 300.0) % 360.0
    ring = box.adjusted(3, 3, -3, -3)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(255, 255, 255, 30), 3.5))
    painter.drawEllipse(ring)
    pen = QPen(ACCENT, 3.5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.drawArc(ring, int(-angle * 16), 100 * 16)


def _ready_icon(painter: QPainter, box: QRectF) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(ACCENT)
    painter.drawEllipse(box)
    c = box.center()
    r = box.width() * 0.22
    triangle = QPainterPath(QPointF(c.x() - r * 0.7, c.y() - r))
    triangle.lineTo(QPointF(c.x() + r * 1.1, c.y()))
    triangle.lineTo(QPointF(c.x() - r * 0.7, c.y() + r))
    triangle.closeSubpath()
    painter.setBrush(QColor(255, 255, 255))
    painter.drawPath(triangle)


def _warning_icon(painter: QPainter, box: QRectF) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(WARNING)
    painter.drawEllipse(box)
    c = box.center()
    w = box.width() * 0.11
    painter.setBrush(QColor(30, 24, 10))
    painter.drawRoundedRect(QRectF(c.x() - w / 2, box.top() + box.height() * 0.22, w,
                                   box.height() * 0.38), w / 2, w / 2)  # fmt: skip
    painter.drawEllipse(QPointF(c.x(), box.top() + box.height() * 0.74), w * 0.62, w * 0.62)


class SpeakingPill:
    """The "Speaking" / "Hearing you" pill, one pre-rendered pixmap per phase of its bars."""

    def __init__(self, label: str, colour: QColor, base: QFont, ratio: float) -> None:
        font = QFont(base)
        font.setPointSizeF((base.pointSizeF() if base.pointSizeF() > 0 else 10.0) * 0.95)
        font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(font)
        height = max(28, metrics.height() + 12)
        bars_w = 18
        width = 12 + bars_w + 8 + metrics.horizontalAdvance(label) + 14
        self.size = QSize(width, height)
        self.frames = [
            self._render(label, colour, font, ratio, phase, bars_w) for phase in range(PILL_PHASES)
        ]

    def _render(
        self, label: str, colour: QColor, font: QFont, ratio: float, phase: int, bars_w: int
    ) -> QPixmap:
        pixmap = QPixmap(round(self.size.width() * ratio), round(self.size.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.size.height()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(QRectF(0, 0, self.size.width(), h), h / 2, h / 2)
        painter.setBrush(colour)
        bar_w = 4.0
        for i in range(3):
            level = 0.35 + 0.65 * abs(math.sin((phase / PILL_PHASES) * math.pi * 2 + i * 1.3))
            bar_h = (h - 12) * level
            x = 12 + i * (bar_w + 3)
            painter.drawRoundedRect(QRectF(x, (h - bar_h) / 2, bar_w, bar_h), 2, 2)
        painter.setPen(TEXT)
        painter.setFont(font)
        text_box = QRectF(12 + bars_w + 8, 0, self.size.width() - bars_w - 20, h)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignVCenter, label)
        painter.end()
        return pixmap

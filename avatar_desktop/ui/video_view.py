"""The avatar's video stage: pulls the newest frame on a display-rate timer (a slow paint drops
stale frames instead of queueing latency) and paints it letterboxed on a near-black stage, with
a card that says which step the session is in (and for how long, or why it failed) while there
is no picture, and a pill that shows who is speaking.

The view tells its source its size in device pixels, so frames arrive scaled to fit and are
painted 1:1 over the engine's shared memory (no copy, no smooth transform per paint). The timer
runs only while a picture may show: an idle window costs nothing. The card's spinner repaints
only the card, at 12.5 Hz, only while a step is in progress; the pill is pre-rendered and its
own timer repaints only the pill while someone speaks."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from PySide6.QtCore import QCoreApplication, QPoint, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QRegion, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from avatar_desktop.core.events import Speaker
from avatar_desktop.core.media_port import Frame, FrameSource

from .stage_overlays import (
    HEARING,
    PILL_INTERVAL_MS,
    PILL_PHASES,
    SPEAKING,
    SPINNER_INTERVAL_MS,
    STAGE,
    SpeakingPill,
    StepCard,
    StepCardPainter,
)

BACKGROUND = STAGE


def _tr(text: str) -> str:
    return QCoreApplication.translate("VideoView", text)


def elapsed_text(seconds: float) -> str:
    """How long a step has lasted, as a call app's timer: 0:07, 2:15."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


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
        self._card: StepCard | None = None
        self._card_painter: StepCardPainter | None = None
        self._show_picture = False
        self._speaking: Speaker | None = None
        self._pills: dict[tuple[Speaker, float], SpeakingPill] = {}
        self._pill_phase = 0
        self.stats = PaintStats()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1000 // 60)
        self._timer.timeout.connect(self._pull)
        self._spinner = QTimer(self)
        self._spinner.setInterval(SPINNER_INTERVAL_MS)
        self._spinner.timeout.connect(self._repaint_card)
        self._pill_timer = QTimer(self)
        self._pill_timer.setInterval(PILL_INTERVAL_MS)
        self._pill_timer.timeout.connect(self._next_pill_phase)

    def set_source(self, source: FrameSource | None) -> None:
        self._source = source
        self._tell_size()

    def set_step(self, card: StepCard | None, show_picture: bool) -> None:
        """The step card (None: live, the picture alone). ``show_picture``: whether a picture
        may show (live, or reconnecting); frames are pulled only then."""
        changed = card != self._card or show_picture != self._show_picture
        self._card = card
        self._show_picture = show_picture
        if show_picture and not self._timer.isActive():
            self._timer.start()
        elif not show_picture:
            self._timer.stop()
            self._image, self._frame = None, None
            self.set_speaking(None)
        self._layout_card()
        if changed:
            self.update()

    def set_speaking(self, who: Speaker | None) -> None:
        """Who is speaking, for the pill on the picture (None: nobody, no pill)."""
        if who == self._speaking:
            return
        old = self._pill_rect()
        self._speaking = who
        if who is None:
            self._pill_timer.stop()
        elif not self._pill_timer.isActive():
            self._pill_timer.start()
        self.update(old.united(self._pill_rect()))

    @property
    def step_card(self) -> StepCard | None:
        return self._card

    @property
    def speaking(self) -> Speaker | None:
        return self._speaking

    @property
    def animating(self) -> bool:
        """Whether an overlay's own timer runs (the spinner or the speaking bars)."""
        return self._spinner.isActive() or self._pill_timer.isActive()

    def _layout_card(self) -> None:
        card = self._card
        self._card_painter = (
            StepCardPainter(card, self.rect(), self.font()) if card is not None else None
        )
        if self._card_painter is not None and self._card_painter.animates:
            if not self._spinner.isActive():
                self._spinner.start()
        else:
            self._spinner.stop()

    def _repaint_card(self) -> None:
        if self._card_painter is not None:
            self.update(self._card_painter.rect)

    def _pill(self) -> SpeakingPill | None:
        who = self._speaking
        if who is None:
            return None
        ratio = self.devicePixelRatioF()
        pill = self._pills.get((who, ratio))
        if pill is None:
            label = _tr("Speaking") if who == "avatar" else _tr("Hearing you")
            colour = SPEAKING if who == "avatar" else HEARING
            pill = SpeakingPill(label, colour, self.font(), ratio)
            self._pills[(who, ratio)] = pill
        return pill

    def _pill_rect(self) -> QRect:
        pill = self._pill()
        if pill is None:
            return QRect()
        area = self._picture if self._picture is not None else self.rect()
        margin = 14
        return QRect(
            QPoint(area.left() + margin, area.bottom() - margin - pill.size.height()), pill.size
        )

    def _next_pill_phase(self) -> None:
        self._pill_phase = (self._pill_phase + 1) % PILL_PHASES
        self.update(self._pill_rect())

    @property
    def pulling(self) -> bool:
        return self._timer.isActive()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tell_size()
        self._layout_card()

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
            and self._card is None
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
            # The engine makes frames with even sides: against an odd width the letterbox is up
            # to a pixel larger than the frame, which is still painted 1:1, centred.
            scaled = not (
                size.width() <= self.width()
                and size.height() <= self.height()
                and target.width() - size.width() < 2.5
                and target.height() - size.height() < 2.5
            )
            if not scaled:  # the usual case: 1:1
                x = (self.width() - size.width()) / 2
                y = (self.height() - size.height()) / 2
                self._picture = QRect(round(x), round(y), round(size.width()), round(size.height()))
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
        card = self._card_painter
        if card is not None:
            if image is not None:  # reconnecting: the last picture, dimmed, under the card
                painter.fillRect(event.rect(), QColor(0, 0, 0, 130))
            since = card.card.since
            card.paint(painter, elapsed_text(time.time() - since) if since is not None else "")
        pill = self._pill()
        if pill is not None:
            painter.drawPixmap(self._pill_rect().topLeft(), pill.frames[self._pill_phase])
        painter.end()

    def _letterbox(self, width: float, height: float) -> QRectF:
        area = self.rect()
        scale = min(area.width() / width, area.height() / height)
        w, h = width * scale, height * scale
        return QRectF((area.width() - w) / 2, (area.height() - h) / 2, w, h)

    @property
    def has_picture(self) -> bool:
        return self._image is not None

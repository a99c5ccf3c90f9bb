"""The conversation as bubbles: the user's on the right in the accent colour, the avatar's on
the left; above each, who said it and when (and, on an answer, how fast it came); words still
arriving in a lighter italic, replaced in place by the final text.

A list view with a delegate rather than a widget per line: a long session keeps thousands of
lines, and only the visible ones are painted. Each bubble's size is worked out once, when its
words change (and again for all when the width changes), and kept on its item: the view lays
its items out again on every new line, and asking Python for each size there made adding a line
cost as much as the whole transcript."""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from avatar_desktop.core.conversation import TranscriptLine

SPEAKER = Qt.ItemDataRole.UserRole + 1  # "user" | "avatar"
TEXT = Qt.ItemDataRole.UserRole + 2
FINAL = Qt.ItemDataRole.UserRole + 3
META = Qt.ItemDataRole.UserRole + 4  # "You · 14:02", "Anna · 14:02 · replied in 840 ms"

Index = QModelIndex | QPersistentModelIndex


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChatPanel", text)


def meta_text(line: TranscriptLine, avatar_name: str) -> str:
    who = _tr("You") if line.speaker == "user" else (avatar_name or _tr("Avatar"))
    parts = [who, time.strftime("%H:%M", time.localtime(line.at))]
    if line.speaker == "avatar" and line.reply_ms is not None:
        parts.append(_tr("replied in {0} ms").format(line.reply_ms))
    return " · ".join(parts)


def fill_item(item: QListWidgetItem, line: TranscriptLine, avatar_name: str) -> None:
    who = _tr("You") if line.speaker == "user" else _tr("Avatar")
    item.setText(f"{who}: {line.text}")  # what lines() and screen readers get
    item.setData(SPEAKER, line.speaker)
    item.setData(TEXT, line.text)
    item.setData(FINAL, line.final)
    item.setData(META, meta_text(line, avatar_name))


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class BubbleDelegate(QStyledItemDelegate):
    PAD_X, PAD_Y, GAP, MARGIN, RADIUS = 12, 8, 3, 10, 14
    SHARE = 0.78  # of the view's width, at most, for one bubble

    def _fonts(self, base: QFont, final: bool) -> tuple[QFont, QFont]:
        body = QFont(base)
        body.setItalic(not final)
        meta = QFont(base)
        meta.setPointSizeF(max(7.0, meta.pointSizeF() * 0.85))
        return body, meta

    def _text_box(self, width: int, body: QFont, text: str) -> QRect:
        inner = max(60, int(width * self.SHARE) - 2 * self.PAD_X)
        flags = Qt.TextFlag.TextWordWrap
        return QFontMetrics(body).boundingRect(QRect(0, 0, inner, 1_000_000), flags, text)

    @staticmethod
    def _shown(text: str, final: bool) -> str:
        return text if final else f"{text} …"

    def bubble_size(self, width: int, base: QFont, text: str, final: bool) -> QSize:
        """The row a bubble needs at the view's ``width`` (kept as the item's size hint)."""
        body, meta = self._fonts(base, final)
        box = self._text_box(width, body, self._shown(text, final))
        height = QFontMetrics(meta).height() + self.GAP + box.height() + 2 * self.PAD_Y
        return QSize(width, height + self.MARGIN)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect = QRect(option.rect)
        palette: QPalette = option.palette
        final = bool(index.data(FINAL))
        text = self._shown(str(index.data(TEXT) or ""), final)
        mine = index.data(SPEAKER) == "user"
        body, meta = self._fonts(option.font, final)
        box = self._text_box(rect.width(), body, text)
        meta_h = QFontMetrics(meta).height()
        bubble_w = box.width() + 2 * self.PAD_X
        bubble_h = box.height() + 2 * self.PAD_Y
        side = 12
        left = rect.right() - side - bubble_w if mine else rect.left() + side
        top = rect.top() + self.MARGIN // 2
        bubble = QRect(left, top + meta_h + self.GAP, bubble_w, bubble_h)
        dark = _is_dark(palette)
        if mine:
            fill = palette.color(QPalette.ColorRole.Highlight)
            ink = palette.color(QPalette.ColorRole.HighlightedText)
        else:
            base = palette.color(QPalette.ColorRole.Base)
            fill = base.lighter(160) if dark else QColor(236, 238, 243)
            ink = palette.color(QPalette.ColorRole.Text)
        if not final:
            ink = QColor(ink)
            ink.setAlphaF(0.62)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(bubble, self.RADIUS, self.RADIUS)
        painter.setPen(ink)
        painter.setFont(body)
        painter.drawText(
            bubble.adjusted(self.PAD_X, self.PAD_Y, -self.PAD_X, -self.PAD_Y),
            Qt.TextFlag.TextWordWrap,
            text,
        )
        muted = QColor(palette.color(QPalette.ColorRole.Text))
        muted.setAlphaF(0.55)
        painter.setPen(muted)
        painter.setFont(meta)
        align = Qt.AlignmentFlag.AlignRight if mine else Qt.AlignmentFlag.AlignLeft
        meta_box = QRect(rect.left() + side + 4, top, rect.width() - 2 * side - 8, meta_h)
        painter.drawText(meta_box, align | Qt.AlignmentFlag.AlignVCenter, str(index.data(META)))
        painter.restore()


class TranscriptView(QListWidget):
    """The list of bubbles; with no line yet it says what will appear there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.bubbles = BubbleDelegate(self)
        self.setItemDelegate(self.bubbles)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # bubbles re-wrap with the width
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.placeholder = _tr("The conversation appears here. Type below, or just talk.")
        self._sized_for = 0  # the viewport width the size hints were worked out for
        # Sizing thousands of bubbles takes a good part of a second: done once the width has
        # settled (a splitter dragged sends a resize per pixel), not on every step.
        self._resize_later = QTimer(self)
        self._resize_later.setSingleShot(True)
        self._resize_later.setInterval(150)
        self._resize_later.timeout.connect(self._size_all)

    def put(self, item: QListWidgetItem, line: TranscriptLine, avatar_name: str) -> None:
        """Fills ``item`` (a new one is added) with ``line`` and sizes its bubble."""
        fill_item(item, line, avatar_name)
        self._size(item, self._width())
        if item.listWidget() is None:
            self.addItem(item)

    def _width(self) -> int:
        return max(120, self.viewport().width())

    def _size(self, item: QListWidgetItem, width: int) -> None:
        text, final = str(item.data(TEXT) or ""), bool(item.data(FINAL))
        item.setSizeHint(self.bubbles.bubble_size(width, self.font(), text, final))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._width() != self._sized_for:
            if self.count() < 200:
                self._size_all()
            else:
                self._resize_later.start()

    def _size_all(self) -> None:
        width = self._sized_for = self._width()
        for row in range(self.count()):
            self._size(self.item(row), width)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count():
            return
        painter = QPainter(self.viewport())
        muted = QColor(self.palette().color(QPalette.ColorRole.Text))
        muted.setAlphaF(0.45)
        painter.setPen(muted)
        painter.drawText(
            self.viewport().rect().adjusted(24, 24, -24, -24),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.placeholder,
        )
        painter.end()

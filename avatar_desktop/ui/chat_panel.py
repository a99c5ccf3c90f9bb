"""The conversation: the transcript of both sides, a text box (Enter sends) and the visible
switch between "Say exactly" (the avatar repeats) and "Ask the avatar" (its brain answers)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from avatar_desktop.core.conversation import TranscriptLine
from avatar_desktop.core.provider_port import TextMode


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChatPanel", text)


class ChatPanel(QWidget):
    send_requested = Signal(str, str)  # text, mode ("repeat" | "talk")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = QListWidget()
        self.transcript.setWordWrap(True)
        self.transcript.setObjectName("transcript")
        self.input = QLineEdit()
        self.input.setPlaceholderText(_tr("Type a message and press Enter"))
        self.input.returnPressed.connect(self._send)
        self.send_button = QPushButton(_tr("Send"))
        self.send_button.clicked.connect(self._send)
        self.ask_mode = QRadioButton(_tr("Ask the avatar"))
        self.say_mode = QRadioButton(_tr("Say exactly"))
        self.ask_mode.setToolTip(_tr("The avatar answers your message"))
        self.say_mode.setToolTip(_tr("The avatar says your words as they are"))
        self.ask_mode.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.ask_mode)
        group.addButton(self.say_mode)
        self.speaking = QLabel("")
        self.speaking.setObjectName("speakingIndicator")

        modes = QHBoxLayout()
        modes.addWidget(self.ask_mode)
        modes.addWidget(self.say_mode)
        modes.addStretch(1)
        modes.addWidget(self.speaking)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(modes)
        layout.addLayout(row)
        self._items: dict[int, QListWidgetItem] = {}
        self.set_live(False)

    @property
    def mode(self) -> TextMode:
        return "repeat" if self.say_mode.isChecked() else "talk"

    def set_live(self, live: bool) -> None:
        self.input.setEnabled(live)
        self.send_button.setEnabled(live)
        if not live:
            self.speaking.setText("")

    def _send(self) -> None:
        text = self.input.text().strip()
        if not text or not self.input.isEnabled():
            return
        self.input.clear()
        self.send_requested.emit(text, self.mode)

    def show_line(self, line: TranscriptLine, is_new: bool) -> None:
        who = _tr("You") if line.speaker == "user" else _tr("Avatar")
        text = f"{who}: {line.text}"
        item = self._items.get(id(line))
        if item is None or is_new:
            item = QListWidgetItem(text)
            self._items[id(line)] = item
            self.transcript.addItem(item)
        else:
            item.setText(text)
        self.transcript.scrollToBottom()

    def set_speaking(self, avatar: bool, user: bool) -> None:
        if avatar:
            self.speaking.setText(_tr("The avatar is speaking…"))
        elif user:
            self.speaking.setText(_tr("The avatar hears you…"))
        else:
            self.speaking.setText("")

    def lines(self) -> list[str]:
        return [self.transcript.item(i).text() for i in range(self.transcript.count())]

"""The conversation: the transcript of both sides as bubbles, a text box (Enter sends) and the
visible switch between "Say exactly" (the avatar repeats) and "Ask the avatar" (its brain
answers)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from avatar_desktop.core.conversation import TranscriptLine
from avatar_desktop.core.provider_port import TextMode

from .chat_bubbles import TranscriptView

# A message box and a Send button shaped like a chat app's; colours from the palette.
STYLE = """
QLineEdit#messageBox { border: 1px solid palette(mid); border-radius: 15px; padding: 5px 12px;
                       background: palette(base); }
QLineEdit#messageBox:focus { border: 1px solid palette(highlight); }
QPushButton#sendButton { border: none; border-radius: 15px; padding: 6px 18px;
                         background: palette(highlight); color: palette(highlighted-text); }
QPushButton#sendButton:disabled { background: palette(midlight); color: palette(mid); }
"""


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChatPanel", text)


class ChatPanel(QWidget):
    send_requested = Signal(str, str)  # text, mode ("repeat" | "talk")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.transcript = TranscriptView()
        self.input = QLineEdit()
        self.input.setObjectName("messageBox")
        self.input.setPlaceholderText(_tr("Type a message and press Enter"))
        self.input.returnPressed.connect(self._send)
        self.send_button = QPushButton(_tr("Send"))
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(self._send)
        self.ask_mode = QRadioButton(_tr("Ask the avatar"))
        self.say_mode = QRadioButton(_tr("Say exactly"))
        self.ask_mode.setToolTip(_tr("The avatar answers your message"))
        self.say_mode.setToolTip(_tr("The avatar says your words as they are"))
        self.ask_mode.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.ask_mode)
        group.addButton(self.say_mode)

        modes = QHBoxLayout()
        modes.addWidget(self.ask_mode)
        modes.addWidget(self.say_mode)
        modes.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 6, 9, 4)
        self.setStyleSheet(STYLE)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(modes)
        layout.addLayout(row)
        self._items: dict[int, tuple[QListWidgetItem, TranscriptLine]] = {}
        self._avatar_name = ""
        self.set_live(False)

    @property
    def mode(self) -> TextMode:
        return "repeat" if self.say_mode.isChecked() else "talk"

    def set_live(self, live: bool) -> None:
        self.input.setEnabled(live)
        self.send_button.setEnabled(live)

    def set_avatar_name(self, name: str) -> None:
        """The name over the avatar's bubbles (empty: "Avatar")."""
        if name == self._avatar_name:
            return
        self._avatar_name = name
        for item, line in self._items.values():
            self.transcript.put(item, line, name)

    def _send(self) -> None:
        text = self.input.text().strip()
        if not text or not self.input.isEnabled():
            return
        self.input.clear()
        self.send_requested.emit(text, self.mode)

    def show_line(self, line: TranscriptLine, is_new: bool) -> None:
        """A new bubble, or the words of one already shown replaced in place (a partial
        transcript growing, then its final text; the reply time added)."""
        known = self._items.get(id(line))
        if known is None or is_new or known[1] is not line:
            item = QListWidgetItem()
            self._items[id(line)] = (item, line)
        else:
            item = known[0]
        self.transcript.put(item, line, self._avatar_name)
        self.transcript.scrollToBottom()

    def lines(self) -> list[str]:
        """What the bubbles say, one "Speaker: text" a line (the export's plain form)."""
        return [self.transcript.item(i).text() for i in range(self.transcript.count())]

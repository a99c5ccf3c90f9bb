"""Talking by voice: microphone on/off, hold-to-talk, the input level, and the devices."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("VoiceBar", text)


class VoiceBar(QWidget):
    microphone_toggled = Signal(bool)
    push_to_talk_mode = Signal(bool)
    talk = Signal(bool)  # held / released
    devices_chosen = Signal(object, object)  # input, output (None: system default)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mic = QPushButton(_tr("Microphone"))
        self.mic.setCheckable(True)
        self.mic.setChecked(True)
        self.mic.setToolTip(_tr("Turn your microphone on or off"))
        self.mic.toggled.connect(self._on_microphone)
        self.ptt_mode = QCheckBox(_tr("Push to talk"))
        self.ptt_mode.toggled.connect(self._on_ptt_mode)
        self.talk_button = QPushButton(_tr("Hold to talk"))
        self.talk_button.setEnabled(False)
        self.talk_button.pressed.connect(lambda: self._set_talking(True))
        self.talk_button.released.connect(lambda: self._set_talking(False))
        self.talking = False
        self.level = QProgressBar()
        self.level.setRange(-60, 0)
        self.level.setValue(-60)
        self.level.setTextVisible(False)
        self.level.setMaximumHeight(10)
        self.level.setToolTip(_tr("Your microphone's level"))
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.inputs = QComboBox()
        self.outputs = QComboBox()
        self.inputs.setToolTip(_tr("Microphone"))
        self.outputs.setToolTip(_tr("Speaker"))
        for box in (self.inputs, self.outputs):
            box.addItem(_tr("System default"), None)
            box.activated.connect(self._on_device)
        top = QHBoxLayout()
        top.addWidget(self.mic)
        top.addWidget(self.ptt_mode)
        top.addWidget(self.talk_button)
        top.addStretch(1)
        devices = QHBoxLayout()
        devices.addWidget(QLabel(_tr("In")))
        devices.addWidget(self.inputs, 1)
        devices.addWidget(QLabel(_tr("Out")))
        devices.addWidget(self.outputs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 0, 9, 9)  # aligned with the chat panel above
        layout.addLayout(top)
        layout.addWidget(self.level)
        layout.addLayout(devices)
        layout.addWidget(self.state)

    @property
    def can_talk(self) -> bool:
        """Push-to-talk mode is on and the microphone too: holding the button (or Space) talks."""
        return self.talk_button.isEnabled()

    def hold_to_talk(self, held: bool) -> None:
        """The talk button held or let go by the keyboard (Space): shown pressed meanwhile."""
        if held and not self.can_talk:
            return
        self.talk_button.setDown(held)
        self._set_talking(held)

    def _set_talking(self, held: bool) -> None:
        if held != self.talking:
            self.talking = held
            self.talk.emit(held)

    def _on_microphone(self, on: bool) -> None:
        self._refresh_talk_button()
        self.microphone_toggled.emit(on)

    def _on_ptt_mode(self, enabled: bool) -> None:
        self._refresh_talk_button()
        self.push_to_talk_mode.emit(enabled)

    def _refresh_talk_button(self) -> None:
        """No talking without push-to-talk mode and a microphone: a talk held is let go first."""
        enabled = self.ptt_mode.isChecked() and self.mic.isChecked()
        if not enabled:
            self.hold_to_talk(False)
        self.talk_button.setEnabled(enabled)

    def _on_device(self, _index: int) -> None:
        self.devices_chosen.emit(self.inputs.currentData(), self.outputs.currentData())

    def set_devices(self, devices: dict[str, Any]) -> None:
        for box, key in ((self.inputs, "inputs"), (self.outputs, "outputs")):
            chosen = box.currentData()
            box.clear()
            box.addItem(_tr("System default"), None)
            for device in devices.get(key, []):
                box.addItem(str(device["name"]), device["index"])
            index = box.findData(chosen)
            box.setCurrentIndex(max(0, index))

    def show_status(self, available: bool | None, error: str, level_dbfs: float | None) -> None:
        if available is False:
            if "device -1" in error or "no default" in error.lower():
                error = _tr("no microphone was found")  # PortAudio's words for it
            self.state.setText(
                _tr("No microphone could be opened ({0}). Typing still works.").format(error)
            )
            self.level.setValue(-60)
        else:
            self.state.setText("")
        if level_dbfs is not None and available:
            self.level.setValue(int(max(-60.0, min(0.0, level_dbfs))))

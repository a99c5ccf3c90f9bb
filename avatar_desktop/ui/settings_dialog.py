"""Settings: backend, API key (to the OS keychain), avatar and voice from the backend's lists,
quality, languages, the first-frame deadline. Changes apply at the next Start."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from avatar_desktop.config import AppSettings

Choices = list[tuple[str, str]]  # (id, name)


def _choice_box(choices: Choices, current: str) -> QComboBox:
    """An editable list: pick from the backend's list, or type an id it did not list."""
    box = QComboBox()
    box.setEditable(True)
    for ident, name in choices:
        box.addItem(f"{name} ({ident})" if name != ident else ident, ident)
    index = box.findData(current)
    if index >= 0:
        box.setCurrentIndex(index)
    else:
        box.setEditText(current)
    return box


def _choice_value(box: QComboBox) -> str:
    index = box.currentIndex()
    if index >= 0 and box.itemText(index) == box.currentText():
        return str(box.itemData(index))
    return box.currentText().strip()


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: AppSettings,
        has_key: dict[str, bool],
        avatars: Choices | None = None,
        voices: Choices | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_tr("Settings"))
        self.original = settings
        form = QFormLayout(self)
        self.backend = QComboBox()
        for key, label in (
            ("demo", _tr("Demo (offline avatar)")),
            ("liveavatar", _tr("LiveAvatar")),
            ("heygen_streaming", _tr("HeyGen Streaming (v1)")),
        ):
            self.backend.addItem(label, key)
        self.backend.setCurrentIndex(max(0, self.backend.findData(settings.backend)))
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(_tr("Stored in the system keychain"))
        self.key_state = QLabel()
        self.service_url = QLineEdit(settings.service_url)
        self.service_url.setPlaceholderText(_tr("Default: the service's own address"))
        self.avatar = _choice_box(avatars or [], settings.avatar_id)
        self.voice = _choice_box(voices or [], settings.voice_id)
        self.context = QLineEdit(settings.context_id)
        self.context_warning = QLabel(
            _tr("Without a context, a LiveAvatar FULL avatar ignores what you say.")
        )
        self.context_warning.setWordWrap(True)
        self.quality = QComboBox()
        for key, label in (
            ("low", "360p"),
            ("medium", "480p"),
            ("high", "720p"),
            ("very_high", "1080p"),
        ):
            self.quality.addItem(label, key)
        self.quality.setCurrentIndex(max(0, self.quality.findData(settings.quality)))
        self.avatar_language = QComboBox()
        self.avatar_language.addItem("English", "en")
        self.avatar_language.addItem("Español", "es")
        self.avatar_language.setCurrentIndex(
            max(0, self.avatar_language.findData(settings.avatar_language))
        )
        self.ui_language = QComboBox()
        self.ui_language.addItem(_tr("System"), "")
        self.ui_language.addItem("English", "en")
        self.ui_language.addItem("Español", "es")
        self.ui_language.setCurrentIndex(max(0, self.ui_language.findData(settings.ui_language)))
        self.deadline = QDoubleSpinBox()
        self.deadline.setRange(2.0, 60.0)
        self.deadline.setSuffix(" s")
        self.deadline.setValue(settings.first_frame_deadline_s)
        self.sandbox = QCheckBox(_tr("Sandbox (free, one-minute sessions)"))
        self.sandbox.setChecked(settings.sandbox)
        form.addRow(_tr("Backend"), self.backend)
        form.addRow(_tr("API key"), self.api_key)
        form.addRow("", self.key_state)
        form.addRow(_tr("Service address"), self.service_url)
        form.addRow(_tr("Avatar"), self.avatar)
        form.addRow(_tr("Voice"), self.voice)
        form.addRow(_tr("Context"), self.context)
        form.addRow("", self.context_warning)
        form.addRow(_tr("Video quality"), self.quality)
        form.addRow(_tr("Avatar's language"), self.avatar_language)
        form.addRow(_tr("App language"), self.ui_language)
        form.addRow(_tr("Video deadline"), self.deadline)
        form.addRow("", self.sandbox)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._has_key = has_key
        self.backend.currentIndexChanged.connect(self._update)
        self.context.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        backend = str(self.backend.currentData())
        online = backend != "demo"
        for widget in (self.api_key, self.service_url, self.avatar, self.voice, self.sandbox):
            widget.setEnabled(online)
        self.context.setEnabled(backend == "liveavatar")
        self.context_warning.setVisible(backend == "liveavatar" and not self.context.text().strip())
        if not online:
            self.key_state.setText(_tr("The demo needs no key."))
        elif self._has_key.get(backend):
            self.key_state.setText(_tr("A key is stored. Type a new one to replace it."))
        else:
            self.key_state.setText(_tr("No key stored yet."))

    def result_settings(self) -> AppSettings:
        return replace(
            self.original,
            backend=str(self.backend.currentData()),
            service_url=self.service_url.text().strip(),
            avatar_id=_choice_value(self.avatar),
            voice_id=_choice_value(self.voice),
            context_id=self.context.text().strip(),
            quality=str(self.quality.currentData()),
            avatar_language=str(self.avatar_language.currentData()),
            ui_language=str(self.ui_language.currentData()),
            first_frame_deadline_s=float(self.deadline.value()),
            sandbox=self.sandbox.isChecked(),
        )

    def new_api_key(self) -> str | None:
        key = self.api_key.text().strip()
        return key or None

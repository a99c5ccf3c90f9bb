"""Settings: backend, API key (to the OS keychain, or for this run only), avatar and voice from
the backend's lists, quality, languages, the first-frame deadline, and where and how recordings
are made. Changes apply at the next Start (a recording's, at the next recording). The dialog says
where the selected backend's key comes from; it never shows a key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from avatar_desktop.config import (
    ENVIRONMENT_VARIABLES,
    ApiKeys,
    AppSettings,
    KeySource,
    default_keys,
    environment_variable,
)
from avatar_desktop.core.recording import default_folder

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
        keys: ApiKeys | Mapping[str, bool] | None = None,
        avatars: Choices | None = None,
        voices: Choices | None = None,
        parent: QWidget | None = None,
        contexts: Choices | None = None,
    ) -> None:
        """``keys``: where the keys are; a mapping (backend → has a key, as older callers pass)
        or None means the process-wide ``default_keys()``."""
        super().__init__(parent)
        self.setWindowTitle(_tr("Settings"))
        self.original = settings
        api_keys = keys if isinstance(keys, ApiKeys) else default_keys()
        # Read once: the keychain may be slow or prompt; the text updates on every keystroke.
        self._sources = {backend: api_keys.source(backend) for backend in ENVIRONMENT_VARIABLES}
        self._keychain = api_keys.keychain_available()
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
        self.api_key.setPlaceholderText(
            _tr("Stored in the system keychain")
            if self._keychain
            else _tr("Kept for this run only")
        )
        self.key_state = QLabel()
        self.key_state.setWordWrap(True)
        if self._keychain:
            self.this_run_only = QCheckBox(
                _tr("Keep the key for this run only (forgotten when the app exits)")
            )
        else:
            self.this_run_only = QCheckBox(
                _tr("Keep the key for this run only: there is no system keychain here")
            )
            self.this_run_only.setChecked(True)
            self.this_run_only.setEnabled(False)
        self.env_hint = QLabel()
        self.env_hint.setWordWrap(True)
        self.service_url = QLineEdit(settings.service_url)
        self.service_url.setPlaceholderText(_tr("Default: the service's own address"))
        self.avatar = _choice_box(avatars or [], settings.avatar_id)
        self.voice = _choice_box(voices or [], settings.voice_id)
        self.context = _choice_box(contexts or [], settings.context_id)
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
        self.start_on_open = QCheckBox(_tr("Start a session when the app opens (uses credits)"))
        self.start_on_open.setChecked(settings.start_on_open)
        self.recording_folder = QLineEdit(settings.recording_folder)
        self.recording_folder.setPlaceholderText(str(default_folder()))
        self.choose_folder = QPushButton(_tr("Choose…"))
        self.choose_folder.clicked.connect(self._choose_folder)
        folder_row = QWidget()
        folder_layout = QHBoxLayout(folder_row)
        folder_layout.setContentsMargins(0, 0, 0, 0)
        folder_layout.addWidget(self.recording_folder, 1)
        folder_layout.addWidget(self.choose_folder)
        self.recording_quality = QComboBox()
        self.recording_quality.addItem(_tr("As the avatar's video"), "source")
        self.recording_quality.addItem(_tr("720p at most (smaller files)"), "720p")
        self.recording_quality.setCurrentIndex(
            max(0, self.recording_quality.findData(settings.recording_quality))
        )
        self.record_microphone = QCheckBox(_tr("Record my microphone too (both sides)"))
        self.record_microphone.setChecked(settings.record_microphone)
        form.addRow(_tr("Backend"), self.backend)
        form.addRow(_tr("API key"), self.api_key)
        form.addRow("", self.key_state)
        form.addRow("", self.this_run_only)
        form.addRow("", self.env_hint)
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
        form.addRow("", self.start_on_open)
        form.addRow(_tr("Recordings folder"), folder_row)
        form.addRow(_tr("Recording size"), self.recording_quality)
        form.addRow("", self.record_microphone)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.backend.currentIndexChanged.connect(self._update)
        self.context.editTextChanged.connect(self._update)
        self.api_key.textChanged.connect(self._update)
        self.this_run_only.toggled.connect(self._update)
        self._update()

    def _choose_folder(self) -> None:
        start = self.recording_folder.text().strip() or str(default_folder())
        chosen = QFileDialog.getExistingDirectory(self, _tr("Recordings folder"), start)
        if chosen:
            self.recording_folder.setText(chosen)

    def _update(self) -> None:
        backend = str(self.backend.currentData())
        online = backend != "demo"
        for widget in (self.api_key, self.service_url, self.avatar, self.voice, self.sandbox,
                       self.start_on_open):  # fmt: skip
            widget.setEnabled(online)
        self.context.setEnabled(backend == "liveavatar")
        self.context_warning.setVisible(backend == "liveavatar" and not _choice_value(self.context))
        self.this_run_only.setVisible(online)
        self.env_hint.setVisible(online)
        if not online:
            self.key_state.setText(_tr("The demo needs no key."))
            return
        self.key_state.setText(self._key_text(backend))
        variable = environment_variable(backend) or ""
        if self._sources.get(backend) is KeySource.ENVIRONMENT:
            text = _tr(
                "The environment variable wins over the keychain and over a key typed here, "
                "while {0} is set."
            )
        else:
            text = _tr(
                "Or set the environment variable {0} before starting the app: "
                "it wins over the keychain."
            )
        self.env_hint.setText(text.format(variable))

    def _key_text(self, backend: str) -> str:
        """Where the selected backend's key comes from, or where a key typed now will go."""
        if self.api_key.text().strip():
            if not self._keychain:
                return _tr(
                    "The new key will be kept for this run only (there is no system keychain here)."
                )
            if self.this_run_only.isChecked():
                return _tr("The new key will be kept for this run only.")
            return _tr("The new key will be kept in the system keychain.")
        source = self._sources.get(backend, KeySource.NONE)
        if source is KeySource.ENVIRONMENT:
            variable = environment_variable(backend) or ""
            return _tr("Using the key from the environment variable {0}.").format(variable)
        if source is KeySource.KEYCHAIN:
            return _tr("The key is kept in the system keychain. Type a new one to replace it.")
        if source is KeySource.THIS_RUN:
            if not self._keychain:
                return _tr("The key is kept for this run only (there is no system keychain here).")
            return _tr("The key is kept for this run only.")
        return _tr("No key stored: the offline demo runs.")

    def result_settings(self) -> AppSettings:
        return replace(
            self.original,
            backend=str(self.backend.currentData()),
            service_url=self.service_url.text().strip(),
            avatar_id=_choice_value(self.avatar),
            voice_id=_choice_value(self.voice),
            context_id=_choice_value(self.context),
            quality=str(self.quality.currentData()),
            avatar_language=str(self.avatar_language.currentData()),
            ui_language=str(self.ui_language.currentData()),
            first_frame_deadline_s=float(self.deadline.value()),
            sandbox=self.sandbox.isChecked(),
            start_on_open=self.start_on_open.isChecked(),
            recording_folder=self.recording_folder.text().strip(),
            recording_quality=str(self.recording_quality.currentData()),
            record_microphone=self.record_microphone.isChecked(),
        )

    def new_api_key(self) -> str | None:
        key = self.api_key.text().strip()
        return key or None

    def keep_for_this_run_only(self) -> bool:
        """Whether a new key is to be kept in memory for this run only (always, with no
        keychain); pass it to ``ApiKeys.store(..., this_run_only=...)``."""
        return self.this_run_only.isChecked()

"""File → Record conversation (Ctrl+R), a toolbar toggle, and the indicator beside the status:
a red dot, how long the file runs and how big it is, while it records; where it went, or why it
stopped, after. A view over the controller's recording; the engine writes the file."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow

from avatar_desktop.config import AppSettings
from avatar_desktop.core.media_port import MediaCommandFailed
from avatar_desktop.core.recording import RecordingState, default_folder
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.transcript_export import ExportWords

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("Recording", text)


def describe_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size // 1000} kB"


def describe_elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class RecordingAction(QObject):
    """The checkable action: on means "record my sessions" (this one if live, else the next)."""

    def __init__(self, window: QMainWindow, controller: SessionController) -> None:
        super().__init__(window)
        self._window = window
        self._controller = controller
        self._tasks: set[asyncio.Task[Any]] = set()
        self.folder: Path | None = None  # None: the Videos folder's "Avatar Desktop"
        self.quality = "source"
        self.microphone = False
        self.action = QAction(_tr("Record"), window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Ctrl+R"))
        self.action.setToolTip(_tr("Record the conversation to a video file (Ctrl+R)"))
        self.action.toggled.connect(self._toggled)
        self.indicator = QLabel()
        self.indicator.setObjectName("recordingIndicator")
        self.indicator.hide()

    def configure(self, settings: AppSettings) -> None:
        """Folder, size and microphone from the settings, for the recordings to come."""
        self.folder = Path(settings.recording_folder) if settings.recording_folder else None
        self.quality = settings.recording_quality
        self.microphone = settings.record_microphone

    def _toggled(self, on: bool) -> None:
        task = asyncio.get_event_loop().create_task(self._apply(on))  # as the window does
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, on: bool) -> None:
        controller = self._controller
        try:
            if on:
                words = ExportWords(user=_tr("You"), avatar=_tr("Avatar"), title="")
                folder = self.folder or default_folder()
                await controller.start_recording(folder, self.quality, words, self.microphone)
                if not controller.recording.state.active:
                    self._show(_tr("Recording begins when the session is live."))
            else:
                await controller.stop_recording()
        except (OSError, MediaCommandFailed, ConnectionError) as exc:  # a folder, the engine
            log.warning("recording could not start: %r", exc)
            self.action.blockSignals(True)
            self.action.setChecked(False)
            self.action.blockSignals(False)
            self._show(_tr("Could not record: {0}").format(exc))

    def show_state(self, state: RecordingState) -> None:
        """The controller's recording, as the window's SessionBridge passes it on."""
        if state.active:
            self.indicator.setText(
                "● "
                + _tr("REC {0} · {1}").format(
                    describe_elapsed(state.seconds), describe_size(state.bytes)
                )
            )
            self.indicator.setStyleSheet("color: #d93025; font-weight: bold;")
            self.indicator.setToolTip(state.path)
            self.indicator.show()
            return
        self.indicator.hide()
        if state.error:
            self.action.setChecked(False)  # and the controller stops wanting it
            self._show(_tr("Recording stopped: {0}. The file so far is kept.").format(state.error))
        elif state.path:
            self._show(_tr("Recording saved to {0}.").format(state.path))

    def _show(self, message: str) -> None:
        self._window.statusBar().showMessage(message, 10000)

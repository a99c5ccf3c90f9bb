"""File → Export transcript…: asks where (the Documents folder, a name from the session's date
and avatar), writes the format of the filter chosen, and says so plainly when the file cannot be
written; the transcript stays in the window either way."""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.transcript_export import (
    ExportFormat,
    ExportWords,
    Transcript,
    render,
    suggested_filename,
    with_extension,
    write_transcript,
)

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TranscriptExport", text)


def _filters() -> dict[ExportFormat, str]:
    return {
        ExportFormat.MARKDOWN: _tr("Markdown (*.md)"),
        ExportFormat.JSON: _tr("JSON (*.json)"),
        ExportFormat.SRT: _tr("SubRip subtitles (*.srt)"),
    }


def documents_folder() -> Path:
    folder = Path(platformdirs.user_documents_dir())
    return folder if folder.is_dir() else Path.home()


class TranscriptExportAction(QObject):
    """The action (Ctrl+E; enabled while the conversation has a line) and what it runs."""

    def __init__(self, window: QMainWindow, controller: SessionController) -> None:
        super().__init__(window)
        self._window = window
        self._controller = controller
        self._folder: Path | None = None  # where the last export went, for the next one
        self.problem: QMessageBox | None = None  # the last "could not save" box
        self.action = QAction(_tr("Export transcript…"), window)
        self.action.setShortcut(QKeySequence("Ctrl+E"))
        self.action.triggered.connect(self.export)
        self.refresh()

    def refresh(self) -> None:
        self.action.setEnabled(bool(self._controller.conversation.lines))

    def export(self) -> Path | None:
        """Where the transcript was written, or None (cancelled, empty, or it failed)."""
        controller = self._controller
        if not controller.conversation.lines:
            return None
        avatar = controller.avatar_name or _tr("Avatar")
        transcript = Transcript.of(controller.conversation, controller.status.live_since, avatar)
        filters = _filters()
        name = suggested_filename(transcript.started_at, avatar, ExportFormat.MARKDOWN.extension)
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            self._window,
            _tr("Export transcript"),
            str((self._folder or documents_folder()) / name),
            ";;".join(filters.values()),
            filters[ExportFormat.MARKDOWN],
        )
        if not chosen:
            return None
        fmt = next((f for f, label in filters.items() if label == chosen_filter), None)
        if fmt is None:  # a dialog that does not say which filter: the name's extension does
            suffix = Path(chosen).suffix.lower().lstrip(".")
            fmt = next((f for f in ExportFormat if f.extension == suffix), ExportFormat.MARKDOWN)
        path = with_extension(Path(chosen), fmt)
        if path != Path(chosen) and path.exists() and not self._may_replace(path):
            return None  # the dialog asked about the name typed, not about this one
        words = ExportWords(
            user=_tr("You"), avatar=_tr("Avatar"), title=_tr("Conversation with {0}, {1}")
        )
        try:
            write_transcript(path, render(transcript, fmt, words))
        except OSError as exc:
            log.warning("could not export the transcript to %s: %s", path, exc)
            self._say_it_failed(path, exc)
            return None
        self._folder = path.parent
        self._window.statusBar().showMessage(_tr("Transcript saved to {0}.").format(path), 8000)
        return path

    def _may_replace(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self._window,
            _tr("Export transcript"),
            _tr("{0} already exists. Replace it?").format(path.name),
        )
        return answer == QMessageBox.StandardButton.Yes

    def _say_it_failed(self, path: Path, error: OSError) -> None:
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_tr("Export transcript"))
        box.setText(_tr("The transcript could not be saved to {0}.").format(path))
        box.setInformativeText(
            _tr("{0}\n\nThe conversation is still in the window: try another folder.").format(
                error.strerror or str(error)
            )
        )
        self.problem = box
        box.open()

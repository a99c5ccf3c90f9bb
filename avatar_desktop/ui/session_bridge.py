"""Re-emits the core's notifications as Qt signals. The core calls its listeners on the asyncio
loop, which under qasync is the GUI thread, so the signals are emitted there directly."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from avatar_desktop.core.conversation import TranscriptLine
from avatar_desktop.core.session_controller import SessionController


class SessionBridge(QObject):
    state_changed = Signal(object)  # StateChange
    status_changed = Signal(object)  # LiveStatus
    avatar_event = Signal(object)  # AvatarEvent
    journal_entry = Signal(object)  # JournalEntry
    transcript_changed = Signal(object, bool)  # TranscriptLine, is_new
    devices_changed = Signal(object)  # {"inputs": [...], "outputs": [...]}
    recording_changed = Signal(object)  # RecordingState

    def __init__(self, controller: SessionController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        controller.subscribe(self._on_core)
        controller.conversation.subscribe(self._on_line)

    def _on_core(self, kind: str, payload: Any) -> None:
        signal = {
            "state": self.state_changed,
            "status": self.status_changed,
            "avatar_event": self.avatar_event,
            "journal": self.journal_entry,
            "devices": self.devices_changed,
            "recording": self.recording_changed,
        }.get(kind)
        if signal is not None:
            signal.emit(payload)

    def _on_line(self, line: TranscriptLine, is_new: bool) -> None:
        self.transcript_changed.emit(line, is_new)

"""The window: the avatar's video with the current step over it, the conversation beside it,
Start/Stop/Interrupt, a status bar, and a diagnostics panel. A thin view over the core."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from avatar_desktop.config import ApiKeys, AppSettings, KeySource
from avatar_desktop.core.errors import AvatarServiceError
from avatar_desktop.core.events import AvatarEvent, Speaker
from avatar_desktop.core.journal import JournalEntry
from avatar_desktop.core.media_port import FrameSource
from avatar_desktop.core.preparation import Preparation
from avatar_desktop.core.session_controller import LiveStatus, SessionController
from avatar_desktop.core.session_state import SessionState, StateChange
from avatar_desktop.core.session_status import SessionView

from .chat_panel import ChatPanel
from .help_menu import ShortcutsDialog, about_box
from .recording_action import RecordingAction
from .session_bridge import SessionBridge
from .settings_dialog import SettingsDialog
from .stage_overlays import StepCard
from .state_text import advice, gave_up, preparation_text, state_label
from .transcript_export_action import TranscriptExportAction
from .video_view import VideoView
from .voice_bar import VoiceBar
from .window_keys import WindowKeys, takes_text

log = logging.getLogger(__name__)
S = SessionState


SettingsOutcome = Literal["applied", "after_stop", "no_key"]


@dataclass(frozen=True)
class SettingsHooks:
    """How the window reads the settings and has the app apply new ones."""

    current: Callable[[], tuple[AppSettings, ApiKeys]]
    # (settings, new key or None, keep it for this run only) → outcome, where the key went
    apply: Callable[
        [AppSettings, str | None, bool], Awaitable[tuple[SettingsOutcome, KeySource | None]]
    ]


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    def __init__(
        self,
        controller: SessionController,
        frame_source: FrameSource,
        backend_name: str,
        secrets: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.controller = controller
        self.backend_name = backend_name
        self.secrets = secrets
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settings_hooks: SettingsHooks | None = None
        self._last_change: StateChange | None = None
        self._preparation: Preparation | None = None
        self._preparation_since = time.time()
        self._prepare_hook: Callable[[], Awaitable[bool]] | None = None
        self._closing = False
        self.setWindowTitle("avatar-desktop")
        self.resize(1180, 680)

        self.video = VideoView()
        self.video.set_source(frame_source)
        self.chat = ChatPanel()
        self.voice = VoiceBar()
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(self.chat, 1)
        right_column.addWidget(self.voice)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.video)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([720, 440])
        self.setCentralWidget(splitter)

        self.start_action = QAction(_tr("Start"), self)
        self.stop_action = QAction(_tr("Stop"), self)
        self.interrupt_action = QAction(_tr("Interrupt"), self)
        self.interrupt_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        # Enter starts while no session runs (the text box, which takes Enter, is off then).
        self.start_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Return), self)
        self.start_shortcut.activated.connect(self.start_action.trigger)
        toolbar = QToolBar(_tr("Session"))
        toolbar.setObjectName("sessionToolbar")
        toolbar.setMovable(False)
        self.stop_stale_action = QAction(_tr("Stop stale sessions"), self)
        self.stop_stale_action.setToolTip(_tr("Stop every session this account has open"))
        self.stop_stale_action.triggered.connect(lambda: self._run(self._stop_stale()))
        for action in (
            self.start_action,
            self.stop_action,
            self.interrupt_action,
            self.stop_stale_action,
        ):
            toolbar.addAction(action)
        self.addToolBar(toolbar)
        self.start_action.triggered.connect(lambda: self._run(self._start()))
        self.stop_action.triggered.connect(lambda: self._run(self.controller.stop()))
        self.interrupt_action.triggered.connect(lambda: self._run(self.controller.interrupt()))
        self.chat.send_requested.connect(self._send_text)
        self.voice.microphone_toggled.connect(lambda on: self._run(controller.set_microphone(on)))
        self.voice.push_to_talk_mode.connect(
            lambda on: self._run(controller.set_push_to_talk_mode(on))
        )
        self.voice.talk.connect(lambda held: self._run(controller.push_to_talk(held)))
        self.voice.devices_chosen.connect(lambda i, o: self._run(controller.choose_devices(i, o)))

        self.state_label = QLabel()
        self.session_label = QLabel()
        self.elapsed_label = QLabel()
        self.network_label = QLabel()
        bar = self.statusBar()
        bar.addWidget(self.state_label, 1)
        bar.addPermanentWidget(self.network_label)
        bar.addPermanentWidget(self.elapsed_label)
        bar.addPermanentWidget(self.session_label)

        self.diagnostics = QPlainTextEdit()
        self.diagnostics.setReadOnly(True)
        self.diagnostics.setMaximumBlockCount(3000)
        copy_button = QPushButton(_tr("Copy diagnostics"))
        copy_button.clicked.connect(self.copy_diagnostics)
        buttons = QHBoxLayout()
        buttons.addWidget(copy_button)
        buttons.addStretch(1)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.addWidget(self.diagnostics)
        column.addLayout(buttons)
        self.diagnostics_dock = QDockWidget(_tr("Diagnostics"), self)
        self.diagnostics_dock.setObjectName("diagnostics")
        self.diagnostics_dock.setWidget(holder)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.diagnostics_dock)
        self.diagnostics_dock.hide()
        self.settings_action = QAction(_tr("Settings…"), self)
        self.settings_action.setEnabled(False)
        self.settings_action.triggered.connect(lambda: self._run(self._open_settings()))
        toolbar.addSeparator()
        toolbar.addAction(self.settings_action)
        self.quit_action = QAction(_tr("&Quit"), self)
        # Not StandardKey.Quit: Windows has no binding for it. Ctrl is Command on macOS.
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)  # stops the session first (closeEvent)
        self.transcript_export = TranscriptExportAction(self, controller)
        self.recording = RecordingAction(self, controller)
        toolbar.insertAction(self.settings_action, self.recording.action)
        bar.addPermanentWidget(self.recording.indicator)
        file_menu = self.menuBar().addMenu(_tr("&File"))
        file_menu.addAction(self.recording.action)
        file_menu.addAction(self.transcript_export.action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu(_tr("&View"))
        self.diagnostics_action = self.diagnostics_dock.toggleViewAction()
        self.diagnostics_action.setShortcut(QKeySequence("Ctrl+D"))
        view_menu.addAction(self.diagnostics_action)
        help_menu = self.menuBar().addMenu(_tr("&Help"))
        self.shortcuts_action = help_menu.addAction(_tr("Keyboard shortcuts"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = help_menu.addAction(_tr("About avatar-desktop"))
        self.about_action.triggered.connect(self.show_about)
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.about: QMessageBox | None = None
        self.keys = WindowKeys(self, lambda: self.voice.can_talk, self._own_shortcuts)
        self.keys.talk.connect(self.voice.hold_to_talk)

        bridge = SessionBridge(controller, self)
        bridge.state_changed.connect(self._on_state)
        bridge.status_changed.connect(self._on_status)
        bridge.transcript_changed.connect(self.chat.show_line)
        bridge.transcript_changed.connect(lambda _line, _new: self.transcript_export.refresh())
        bridge.journal_entry.connect(self._on_journal)
        bridge.avatar_event.connect(self._on_avatar_event)
        bridge.devices_changed.connect(self.voice.set_devices)
        bridge.recording_changed.connect(self.recording.show_state)
        self.bridge = bridge

        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(500)
        self._render_state()

    def enable_settings(self, hooks: SettingsHooks) -> None:
        self._settings_hooks = hooks
        self.settings_action.setEnabled(True)
        self.recording.configure(hooks.current()[0])

    def set_preparing(self, step: Preparation | None) -> None:
        """The step before any session (the offline demo coming up), or None when done."""
        if step != self._preparation:
            self._preparation_since = time.time()
        self._preparation = step
        self._render_state()

    def set_prepare_hook(self, hook: Callable[[], Awaitable[bool]]) -> None:
        """What Start runs first when the preparation failed (e.g. no network address yet)."""
        self._prepare_hook = hook

    async def _start(self) -> None:
        step = self._preparation
        hook = self._prepare_hook
        if step is not None and step.failed and hook is not None and not await hook():
            return
        await self.controller.start()

    async def _open_settings(self) -> None:
        hooks = self._settings_hooks
        if hooks is None:
            return
        current, keys = hooks.current()
        avatars: list[tuple[str, str]] = []
        voices: list[tuple[str, str]] = []
        contexts: list[tuple[str, str]] = []
        provider = self.controller.provider
        try:
            async with asyncio.timeout(8):
                avatars = await provider.list_avatars()
                voices = await provider.list_voices()
                contexts = await provider.list_contexts()
        except (AvatarServiceError, TimeoutError) as exc:
            log.info("could not list avatars, voices and contexts: %s", exc)
        dialog = SettingsDialog(current, keys, avatars, voices, self, contexts=contexts)
        self.settings_dialog = dialog

        def done(result: int) -> None:
            if result == SettingsDialog.DialogCode.Accepted:
                self._run(
                    self._apply(
                        hooks,
                        dialog.result_settings(),
                        dialog.new_api_key(),
                        dialog.keep_for_this_run_only(),
                    )
                )
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()

    async def _apply(
        self, hooks: SettingsHooks, settings: AppSettings, key: str | None, this_run_only: bool
    ) -> None:
        outcome, where = await hooks.apply(settings, key, this_run_only)
        self.recording.configure(settings)  # the next recording's; one running goes on as it is
        keychain = hooks.current()[1].keychain_available()
        message = {
            "applied": _tr("Settings saved."),
            "after_stop": _tr("Saved. The new settings apply after you stop this session."),
            "no_key": _tr("No API key is stored for that backend: showing the offline demo."),
        }[outcome]
        if where is KeySource.THIS_RUN:
            message += " " + (
                _tr("The API key is kept for this run only.")
                if keychain
                else _tr("There is no system keychain here: the API key is kept for this run only.")
            )
        self.statusBar().showMessage(message, 10000)
        self._render_state()

    # -- help --------------------------------------------------------------------------------
    def keyboard_shortcuts(self) -> list[tuple[str, str]]:
        """(keys, what they do), the keys as this platform writes them (⌘ on macOS)."""

        def keys(action: QAction) -> str:
            return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)

        return [
            (_tr("Enter"), _tr("Send the message typed; start a session when none runs")),
            (keys(self.interrupt_action), _tr("Interrupt the avatar")),
            (_tr("Hold Space"), _tr("Talk, in push-to-talk mode (not while typing)")),
            (keys(self.diagnostics_action), _tr("Show or hide diagnostics")),
            (keys(self.transcript_export.action), _tr("Export the transcript")),
            (keys(self.recording.action), _tr("Record the conversation, or stop recording")),
            (keys(self.quit_action), _tr("Quit (the session is stopped first)")),
        ]

    def show_shortcuts(self) -> None:
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.deleteLater()
        self.shortcuts_dialog = ShortcutsDialog(self.keyboard_shortcuts(), self)
        self.shortcuts_dialog.show()

    def show_about(self) -> None:
        self.about = about_box(self)
        self.about.open()

    def _own_shortcuts(self) -> list[QKeySequence]:
        """The window's shortcuts that a focused text box must not take for its own."""
        actions = (
            self.transcript_export.action,
            self.recording.action,
            self.diagnostics_action,
            self.quit_action,
        )
        return [action.shortcut() for action in actions]

    # -- intents -----------------------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("action failed", exc_info=error)
            self.statusBar().showMessage(_tr("That did not work: {0}").format(error), 8000)

    def _send_text(self, text: str, mode: str) -> None:
        self._run(self.controller.send_text(text, "repeat" if mode == "repeat" else "talk"))

    async def _stop_stale(self) -> None:
        count = await self.controller.stop_stale_sessions()
        self.statusBar().showMessage(_tr("Stopped {0} open session(s).").format(count), 8000)

    def copy_diagnostics(self) -> str:
        state = self.controller.state.value
        unstopped = self.controller.unstopped
        header = (
            f"avatar-desktop diagnostics; backend {self.backend_name}; state {state}; "
            f"sessions waiting to be confirmed stopped: {unstopped.pending}; "
            f"stopped later: {unstopped.stopped_later}"
        )
        report = self.controller.journal.report(self.secrets, header=header)
        QGuiApplication.clipboard().setText(report)
        self.statusBar().showMessage(_tr("Diagnostics copied to the clipboard."), 5000)
        return report

    # -- views of the core ---------------------------------------------------------------------
    def _on_state(self, change: StateChange) -> None:
        self._last_change = change
        if change.new is S.LIVE and change.old is S.WAITING_FOR_AVATAR:
            self._run(self.controller.refresh_devices())
        self._render_state()
        # Live: ready to type, as a call app's message box is; not in push-to-talk mode, where
        # Space held talks only while no text box has the focus.
        push_to_talk = self.controller.voice.push_to_talk
        if change.new is S.LIVE and not push_to_talk and not self._typing_elsewhere():
            self.chat.input.setFocus()

    def _typing_elsewhere(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is not None and focused is not self.chat.input and takes_text(focused)

    def _render_state(self) -> None:
        view = self.controller.view()
        preparing = self._preparation is not None and not self._preparation.failed
        self.start_action.setEnabled(view.can_start and not preparing)
        self.start_shortcut.setEnabled(view.can_start and not preparing)
        self.stop_action.setEnabled(view.can_stop)
        self.interrupt_action.setEnabled(view.can_interrupt)
        self.chat.set_live(view.can_send)
        self.chat.set_avatar_name(view.avatar_name)
        card = self._step_card(view)
        self.video.set_step(None if view.live else card, show_picture=view.shows_picture)
        self.state_label.setText(_tr("Live") if view.live else _one_line(card))
        if view.live:
            self._show_speaking()
        grant = self.controller.grant
        session = _tr("Session {0}").format(grant.session_id[:12]) if grant else ""
        if view.avatar_name:  # none was chosen: the account's first, named
            session = " · ".join(
                p for p in (_tr("Avatar: {0}").format(view.avatar_name), session) if p
            )
        self.session_label.setText(session)
        self.stop_stale_action.setVisible(view.offer_stop_stale)
        self._tick()

    def _step_card(self, view: SessionView) -> StepCard:
        """The card on the stage: the step in plain words, since when, or why it failed."""
        change = self._last_change
        since = change.at if change is not None else None
        step = self._preparation
        if step is not None and view.state is S.IDLE:
            if step.failed:
                return StepCard(preparation_text(step), kind="failed")
            return StepCard(preparation_text(step), since=self._preparation_since)
        if view.state is S.FAILED:
            what = advice(view.error) if view.error is not None else _tr("The session failed.")
            wait = view.retry_in_s(time.time())
            if wait is not None:
                detail = _tr("Trying again in {0} s (attempt {1} of {2})…").format(
                    wait, view.attempt, view.max_attempts
                )
                return StepCard(what, detail, "failed")
            return StepCard(what, gave_up(view.attempt) if view.gave_up else "", "failed")
        if view.state is S.RECONNECTING:
            title = _tr("Reconnecting (attempt {0} of {1})…").format(
                view.attempt, view.max_attempts
            )
            return StepCard(title, since=since)
        if view.state is S.IDLE:
            return StepCard(state_label(change), kind="idle")
        return StepCard(state_label(change), since=since)

    def _show_speaking(self) -> None:
        status = self.controller.status
        live = self.controller.state is S.LIVE
        who: Speaker | None = None
        if live and status.avatar_speaking:
            who = "avatar"
        elif live and status.user_speaking:
            who = "user"
        self.video.set_speaking(who)

    def _on_status(self, status: LiveStatus) -> None:
        self._show_speaking()
        self.voice.show_status(status.microphone, status.microphone_error, status.mic_level_dbfs)
        parts = []
        if status.quality:
            quality = {
                "excellent": _tr("excellent"),
                "good": _tr("good"),
                "poor": _tr("poor"),
                "lost": _tr("lost"),
            }.get(status.quality, status.quality)
            parts.append(_tr("Connection: {0}").format(quality))
        if status.rtt_ms is not None:
            parts.append(_tr("RTT {0} ms").format(round(status.rtt_ms)))
        if status.fps is not None:
            parts.append(_tr("{0} fps").format(round(status.fps)))
        if status.reply is not None:
            parts.append(_tr("Last reply {0} ms").format(status.reply.ms))
        if status.audio_output is False:
            parts.append(_tr("No speaker found: the avatar's voice cannot be played"))
        self.network_label.setText(" · ".join(parts))

    def _on_avatar_event(self, _event: AvatarEvent) -> None:
        self._show_speaking()

    def _on_journal(self, entry: JournalEntry) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.at))
        self.diagnostics.appendPlainText(f"{stamp} {entry.text}")

    def _tick(self) -> None:
        since = self.controller.status.live_since
        if since is not None and self.controller.state in (S.LIVE, S.RECONNECTING):
            seconds = int(time.time() - since)
            self.elapsed_label.setText(f"{seconds // 60:02d}:{seconds % 60:02d}")
        else:
            self.elapsed_label.setText("")
        view = self.controller.view()
        if view.retrying:  # the countdown moves
            card = self._step_card(view)
            self.video.set_step(card, show_picture=False)
            self.state_label.setText(_one_line(card))

    # -- closing -------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing always stops the session on the server first (orphans hit the limit)."""
        if self._closing or not self.controller.has_work:
            event.accept()
            return
        event.ignore()
        self._closing = True
        self.statusBar().showMessage(_tr("Closing: stopping the session…"))
        self._run(self._close_then_quit())

    async def _close_then_quit(self) -> None:
        try:
            await asyncio.wait_for(self.controller.close(), 10)
        except TimeoutError:
            QMessageBox.warning(
                self, "avatar-desktop", _tr("The session could not be stopped in time.")
            )
        self.close()


def _one_line(card: StepCard) -> str:
    return " ".join(part for part in (card.title, card.detail) if part)

"""The window's keyboard (Ctrl+D, Space held to talk, the Help list) and File → Export transcript,
on a window with no session: what needs a live avatar is in test_main_window_on_rig.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import qasync
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.core.media_port import Frame
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.transcript_export import from_json
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui.main_window import MainWindow
from avatar_desktop.ui.window_keys import takes_text
from tests.core.fakes import MediaFactory

SPACE = Qt.Key.Key_Space
W = TypeVar("W", bound=QWidget)


class NoFrames:
    def latest(self) -> Frame | None:
        return None

    def request_size(self, width: int, height: int) -> None:
        pass


@pytest.fixture
def window(qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    provider = LiveAvatarProvider("unused", base_url="http://127.0.0.1:9")
    controller = SessionController(provider, MediaFactory(), SessionSettings())
    controller.avatar_name = "Demo avatar"
    shown = MainWindow(controller, NoFrames(), "test")
    shown.show()
    shown.activateWindow()
    QTest.qWaitForWindowActive(shown)
    yield shown
    qloop.run_until_complete(asyncio.sleep(0.01))  # the intents' tasks (no session: no-ops)
    shown.close()
    shown.deleteLater()
    qloop.run_until_complete(provider.aclose())


def focus(widget: W) -> W:
    widget.setFocus()
    QApplication.processEvents()
    assert QApplication.focusWidget() is widget
    return widget


def space(widget: QWidget, kind: QEvent.Type, auto_repeat: bool = False) -> None:
    event = QKeyEvent(kind, SPACE, Qt.KeyboardModifier.NoModifier, " ", auto_repeat)
    QApplication.sendEvent(widget, event)


def test_ctrl_d_shows_and_hides_diagnostics(window: MainWindow) -> None:
    assert not window.diagnostics_dock.isVisible()
    QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.diagnostics_dock.isVisible()
    QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert not window.diagnostics_dock.isVisible()


def test_space_held_talks_in_push_to_talk_mode_outside_text_boxes(window: MainWindow) -> None:
    voice = window.voice
    said: list[bool] = []
    voice.talk.connect(said.append)
    checkbox = focus(voice.ptt_mode)
    QTest.keyClick(checkbox, SPACE)  # push-to-talk off: Space is the checkbox's, as ever
    assert voice.ptt_mode.isChecked() and said == []

    space(checkbox, QEvent.Type.KeyPress)
    assert said == [True] and voice.talk_button.isDown()
    for _ in range(3):  # the key held: the system repeats it
        space(checkbox, QEvent.Type.KeyRelease, auto_repeat=True)
        space(checkbox, QEvent.Type.KeyPress, auto_repeat=True)
    assert said == [True]
    space(checkbox, QEvent.Type.KeyRelease)
    assert said == [True, False] and not voice.talk_button.isDown()
    assert voice.ptt_mode.isChecked(), "Space went to the focused checkbox as well"

    space(checkbox, QEvent.Type.KeyPress)
    window.setFocus()  # the focus moves while Space is down: its release still ends the talk
    space(window, QEvent.Type.KeyRelease)
    assert said == [True, False, True, False]

    space(checkbox, QEvent.Type.KeyPress)
    voice.mic.click()  # no microphone, no talking: let go at once
    assert said[-2:] == [True, False] and not voice.talk_button.isDown()
    space(checkbox, QEvent.Type.KeyRelease)
    space(checkbox, QEvent.Type.KeyPress)
    assert said[-1] is False and not voice.talk_button.isEnabled()


def test_space_typed_into_the_chat_box_is_text(window: MainWindow) -> None:
    said: list[bool] = []
    window.voice.talk.connect(said.append)
    window.voice.ptt_mode.click()
    window.chat.set_live(True)  # the text box takes input while a session is live
    box = focus(window.chat.input)
    QTest.keyClicks(box, "hola que tal")
    assert box.text() == "hola que tal" and said == []
    assert takes_text(box) and not takes_text(window.diagnostics)  # read-only text: no typing


def test_window_shortcuts_win_over_the_chat_boxs_editing_keys(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def cancelled(*_args: object) -> tuple[str, str]:
        asked.append("where?")
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", cancelled)
    window.controller.conversation.said_by_user("Hola")
    window.chat.set_live(True)
    box = focus(window.chat.input)
    QTest.keyClicks(box, "abc")
    box.setCursorPosition(0)
    QTest.keyClick(box, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["where?"] and box.cursorPosition() == 0 and box.text() == "abc"


def test_help_lists_every_shortcut(window: MainWindow) -> None:
    window.shortcuts_action.trigger()
    dialog = window.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.text() == (
        "Enter: Send the message typed; start a session when none runs\n"
        "Esc: Interrupt the avatar\n"
        "Hold Space: Talk, in push-to-talk mode (not while typing)\n"
        "Ctrl+D: Show or hide diagnostics\n"
        "Ctrl+E: Export the transcript\n"
        "Ctrl+R: Record the conversation, or stop recording\n"
        "Ctrl+Q: Quit (the session is stopped first)"
    )
    window.about_action.trigger()
    assert window.about is not None and "avatar-desktop 0.1.0" in window.about.text()


def test_export_writes_the_format_of_the_filter_chosen(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = window.transcript_export.action
    assert not action.isEnabled(), "nothing to export yet"
    conversation = window.controller.conversation
    conversation.said_by_user("¿Qué es pulsar para hablar?")
    conversation.add(TranscriptPiece("avatar", "Mantienes pulsado", final=False))
    assert action.isEnabled()
    offered: list[tuple[str, str]] = []

    def save_as(_parent: QWidget, _caption: str, where: str, filters: str, chosen: str) -> object:
        offered.append((where, filters))
        return str(tmp_path / "charla.md"), "JSON (*.json)"  # the filter switched, name kept

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    action.trigger()
    where, filters = offered[0]
    assert Path(where).name.endswith(" Demo avatar.md")
    assert filters == "Markdown (*.md);;JSON (*.json);;SubRip subtitles (*.srt)"
    written = from_json((tmp_path / "charla.json").read_text(encoding="utf-8"))
    assert [(ln.speaker, ln.text, ln.final) for ln in written.lines] == [
        ("user", "¿Qué es pulsar para hablar?", True),
        ("avatar", "Mantienes pulsado", False),
    ]
    assert written.avatar_name == "Demo avatar"
    who = {"user": "You", "avatar": "Avatar"}
    assert window.chat.lines() == [f"{who[ln.speaker]}: {ln.text}" for ln in written.lines]
    assert "charla.json" in window.statusBar().currentMessage()
    assert json.loads((tmp_path / "charla.json").read_text(encoding="utf-8"))["version"] == 1


def test_a_failed_export_says_so_and_keeps_the_transcript(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.controller.conversation.said_by_user("Hola")
    target = tmp_path / "no such folder" / "t.srt"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a: (str(target), "SubRip subtitles (*.srt)")
    )
    window.transcript_export.action.trigger()
    problem = window.transcript_export.problem
    assert problem is not None and problem.isVisible()
    assert str(target) in problem.text()
    assert "No such file or directory" in problem.informativeText()
    assert "still in the window" in problem.informativeText()
    assert window.chat.lines() == ["You: Hola"]
    problem.close()

"""The window as a person uses it, headless under Xvfb, against the rig in its namespace."""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from avatar_desktop.config import ApiKeys, AppSettings, KeySource
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.rig.avatar.brain import reply_to
from avatar_desktop.rig.sessions import CONTEXTS, DEMO_AVATAR_ES
from avatar_desktop.ui.chat_bubbles import META
from avatar_desktop.ui.main_window import SettingsHooks, SettingsOutcome
from tests.pulse_harness import Pulse
from tests.rig_harness import RigHandle
from tests.ui.conftest import UiHarness

pytestmark = pytest.mark.e2e
S = SessionState


def go_live(ui: UiHarness) -> None:
    assert ui.window.start_action.isEnabled()
    ui.window.start_action.trigger()
    ui.until(lambda: ui.controller.state is S.LIVE)
    ui.until(lambda: ui.window.video.stats.frames_painted >= 15)


def test_start_goes_live_with_frames_painted_and_status(ui: UiHarness) -> None:
    assert "Press Start" in ui.window.state_label.text()
    go_live(ui)
    window = ui.window
    assert window.video.has_picture
    assert window.state_label.text() == "Live"
    grant = ui.controller.grant
    assert grant is not None and f"Session {grant.session_id[:12]}" in window.session_label.text()
    assert "Avatar: Demo avatar" in window.session_label.text()  # none chosen: the first, named
    assert not window.start_action.isEnabled() and window.stop_action.isEnabled()
    assert window.chat.input.isEnabled()
    ui.until(lambda: "fps" in window.network_label.text(), 5)


def test_text_in_both_modes_and_interrupt(ui: UiHarness) -> None:
    go_live(ui)
    chat = ui.window.chat
    chat.say_mode.click()
    QTest.keyClicks(chat.input, "Good afternoon from the test")
    QTest.keyClick(chat.input, Qt.Key.Key_Return)
    ui.until(lambda: "Avatar: Good afternoon from the test" in chat.lines())
    assert chat.lines()[:2] == ["You: Good afternoon from the test",
                                "Avatar: Good afternoon from the test"]  # fmt: skip
    chat.ask_mode.click()
    question = "What do you like to do on weekends?"
    QTest.keyClicks(chat.input, question)
    QTest.keyClick(chat.input, Qt.Key.Key_Return)
    answer = f"Avatar: {reply_to(question)[0]}"  # the demo brain's answer to *that* question
    assert "What do you like to do on weekends" in answer
    ui.until(lambda: answer in chat.lines())
    reply = ui.controller.status.reply
    assert reply is not None and reply.after == "message" and 0 < reply.ms < 15_000
    meta = chat.transcript.item(len(chat.lines()) - 1).data(META)
    assert f"replied in {reply.ms} ms" in meta  # on the answer's bubble
    assert f"Last reply {reply.ms} ms" in ui.window.network_label.text()
    ui.until(lambda: ui.controller.status.avatar_speaking, 10)
    assert ui.window.video.speaking == "avatar"  # the pill on the picture
    ui.window.interrupt_action.trigger()
    ui.until(lambda: not ui.controller.status.avatar_speaking, 5)


def test_stop_leaves_no_session_open(ui: UiHarness, rig: RigHandle) -> None:
    go_live(ui)
    ui.window.stop_action.trigger()
    ui.until(lambda: ui.controller.state is S.IDLE)
    assert rig.state()["active_sessions"] == 0
    assert ui.window.start_action.isEnabled()
    assert "Press Start" in ui.window.state_label.text()


def test_closing_the_window_mid_session_stops_it(ui: UiHarness, rig: RigHandle) -> None:
    go_live(ui)
    ui.window.close()
    ui.until(lambda: not ui.window.isVisible(), 15)
    assert rig.state()["active_sessions"] == 0


def test_bad_key_says_what_to_do_and_does_not_loop(ui: UiHarness, rig: RigHandle) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/token", status=401, count=1)
    ui.window.start_action.trigger()
    ui.until(lambda: ui.controller.state is S.FAILED and not ui.controller.running)
    assert "API key" in ui.window.state_label.text()
    assert ui.window.start_action.isEnabled()


def test_concurrent_limit_offers_to_stop_stale_sessions(ui: UiHarness, rig: RigHandle) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/token", error="concurrent_limit", count=1)
    ui.window.start_action.trigger()
    ui.until(lambda: ui.controller.state is S.FAILED and not ui.controller.running)
    assert "Stop the stale sessions" in ui.window.state_label.text()
    assert ui.window.stop_stale_action.isVisible()
    ui.window.stop_stale_action.trigger()
    ui.until(lambda: "Stopped 0 open session(s)." in ui.window.statusBar().currentMessage(), 10)


def test_network_cut_shows_reconnecting_then_live(ui: UiHarness, rig: RigHandle) -> None:
    go_live(ui)
    rig.fault(kind="network_cut", seconds=3)
    ui.until(lambda: ui.controller.state is S.RECONNECTING, 10)
    assert ui.window.state_label.text().startswith("Reconnecting")
    painted = ui.window.video.stats.frames_painted
    ui.until(lambda: ui.controller.state is S.LIVE, 40)
    ui.until(lambda: ui.window.video.stats.frames_painted > painted + 15, 10)


def test_diagnostics_are_copied_without_secrets(ui: UiHarness, rig: RigHandle) -> None:
    go_live(ui)
    report = ui.window.copy_diagnostics()
    assert "waiting_for_avatar → live" in report
    assert rig.api_key not in report
    assert "eyJ" not in report  # no token of any kind


def test_impaired_network_stays_live_with_the_quality_shown(ui: UiHarness, rig: RigHandle) -> None:
    go_live(ui)
    transitions = len(ui.controller.journal.entries)
    rig.fault(kind="packet_loss", percent=5, seconds=8)
    rig.fault(kind="bandwidth_cap", kbit=2000, seconds=8)
    painted = ui.window.video.stats.frames_painted
    ui.run(asyncio.sleep(8))
    states = [
        e.text for e in list(ui.controller.journal.entries)[transitions:] if e.kind == "state"
    ]
    assert ui.controller.state is S.LIVE and states == [], states
    assert ui.window.video.stats.frames_painted - painted > 100
    assert "Connection:" in ui.window.network_label.text()


def test_settings_list_the_backends_avatars_and_apply(
    ui: UiHarness, request: pytest.FixtureRequest
) -> None:
    applied: list[tuple[AppSettings, str | None]] = []

    async def apply(
        settings: AppSettings, key: str | None, this_run_only: bool
    ) -> tuple[SettingsOutcome, KeySource | None]:
        applied.append((settings, key))
        # As ApiKeys.store answers on a machine with no keychain.
        return "applied", (KeySource.THIS_RUN if key is not None else None)

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    request.addfinalizer(lambda: keyring.set_keyring(previous))
    ui.window.enable_settings(SettingsHooks(lambda: (AppSettings(), ApiKeys()), apply))
    ui.window.settings_action.trigger()
    ui.until(lambda: getattr(ui.window, "settings_dialog", None) is not None, 10)
    dialog = ui.window.settings_dialog
    ui.until(dialog.isVisible, 5)
    names = [dialog.avatar.itemText(i) for i in range(dialog.avatar.count())]
    assert f"Avatar de demostración ({DEMO_AVATAR_ES})" in names
    dialog.avatar.setCurrentIndex(dialog.avatar.findData(DEMO_AVATAR_ES))
    assert dialog.context.findData(CONTEXTS[0]["id"]) >= 0  # contexts listed to pick from
    dialog.quality.setCurrentIndex(dialog.quality.findData("low"))
    dialog.accept()
    ui.until(lambda: bool(applied), 5)
    settings, key = applied[0]
    assert (settings.avatar_id, settings.quality, key) == (DEMO_AVATAR_ES, "low", None)
    assert ui.window.statusBar().currentMessage() == "Settings saved."

    ui.window.settings_action.trigger()
    ui.until(
        lambda: ui.window.settings_dialog is not dialog and ui.window.settings_dialog.isVisible(),
        10,
    )
    second = ui.window.settings_dialog
    second.backend.setCurrentIndex(second.backend.findData("liveavatar"))
    second.api_key.setText("a-key-for-the-test")
    second.accept()
    ui.until(lambda: len(applied) == 2, 5)
    message = ui.window.statusBar().currentMessage()
    assert "no system keychain" in message and "this run only" in message, message


def test_push_to_talk_and_device_choice_from_the_voice_bar(
    ui: UiHarness, rig: RigHandle, pulse: Pulse
) -> None:
    voice = ui.window.voice
    go_live(ui)
    ui.until(lambda: ui.controller.status.microphone is True, 10)
    ui.until(lambda: voice.inputs.count() > 1 and voice.outputs.count() > 1, 10)
    assert not voice.talk_button.isEnabled()
    voice.ptt_mode.click()
    assert voice.talk_button.isEnabled()
    ui.until(lambda: ui.controller.voice.push_to_talk, 5)
    QTest.mousePress(voice.talk_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: ui.controller.status.talking, 5)
    QTest.mouseRelease(voice.talk_button, Qt.MouseButton.LeftButton)
    ui.until(lambda: not ui.controller.status.talking, 5)
    sid = ui.controller.grant.session_id if ui.controller.grant else ""
    # Switched on mid-session, push-to-talk gates the microphone only: the session was created
    # in conversation mode, which refuses the service's push-to-talk commands.
    ui.run(asyncio.sleep(1.0))  # the app's loop, not qWait: anything sent has arrived
    commands = rig.session(sid)["avatar"]["commands_received"]
    assert not any("push_to_talk" in name for name in commands), commands
    # A device picked in the list is used at once, in the same session.
    pulse_index = voice.inputs.findText("pulse")
    assert pulse_index > 0
    voice.inputs.setCurrentIndex(pulse_index)
    voice.inputs.activated.emit(pulse_index)
    ui.until(lambda: ui.controller.voice.input_device == voice.inputs.itemData(pulse_index), 5)
    ui.until(lambda: ui.controller.status.microphone is True, 10)
    assert ui.controller.grant is not None and ui.controller.grant.session_id == sid


def test_keyboard_shortcuts_and_transcript_export_in_one_session(
    ui: UiHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, controller, chat = ui.window, ui.controller, ui.window.chat
    go_live(ui)
    window.activateWindow()  # keys go to the focused widget: focus needs an active window
    ui.until(window.isActiveWindow, 5)  # (not qWait*: only the app's loop may run its tasks)
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.keyClick(window, Qt.Key.Key_D, ctrl)
    assert window.diagnostics_dock.isVisible()
    assert "live" in window.diagnostics.toPlainText()

    window.voice.ptt_mode.click()
    ui.until(lambda: controller.voice.push_to_talk, 5)
    chat.input.setFocus()
    ui.until(lambda: QApplication.focusWidget() is chat.input, 5)
    QTest.keyClicks(chat.input, "Hola a todos")  # Space typed is a space, not a talk
    assert chat.input.text() == "Hola a todos"
    ui.run(asyncio.sleep(0.3))
    assert not controller.status.talking

    checkbox = window.voice.ptt_mode
    checkbox.setFocus()
    ui.until(lambda: QApplication.focusWidget() is checkbox, 5)
    QTest.keyPress(checkbox, Qt.Key.Key_Space)
    ui.until(lambda: controller.status.talking, 5)
    QTest.keyRelease(checkbox, Qt.Key.Key_Space)
    ui.until(lambda: not controller.status.talking, 5)
    assert checkbox.isChecked()

    chat.input.setFocus()
    ui.until(lambda: QApplication.focusWidget() is chat.input, 5)
    QTest.keyClick(chat.input, Qt.Key.Key_Return)

    def answered() -> bool:
        said = [(ln.speaker, ln.text) for ln in controller.conversation.lines]
        asked = said.index(("user", "Hola a todos")) if ("user", "Hola a todos") in said else None
        return asked is not None and any(who == "avatar" for who, _ in said[asked + 1 :])

    ui.until(answered, 20)
    target = tmp_path / "sesión.srt"

    def save_as(*_args: QWidget | str) -> tuple[str, str]:
        return str(target), "SubRip subtitles (*.srt)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    QTest.keyClick(chat.input, Qt.Key.Key_E, ctrl)  # the window's, even in the text box
    cues = target.read_text(encoding="utf-8")
    assert cues.startswith("1\n00:00:") and "You: Hola a todos\n" in cues
    assert "\nAvatar: " in cues

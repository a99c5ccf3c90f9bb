"""The Settings dialog says where the selected backend's API key comes from (environment,
keychain, this run only, none) and where a key typed now will go; with no keychain it keeps a
new key for this run only and says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import keyring
import pytest
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from avatar_desktop import config
from avatar_desktop.config import ApiKeys, AppSettings, KeySource, load_api_key, save_api_key
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.ui import translations
from avatar_desktop.ui.recording_action import RecordingAction
from avatar_desktop.ui.settings_dialog import SettingsDialog
from tests.test_config import FailingKeychain, MemoryKeychain

KEY = "ui-test-key-5b8e2a90"


@pytest.fixture(autouse=True)
def _isolated_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original = keyring.get_keyring()
    for name in config.ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "_default_keys", None)
    yield
    keyring.set_keyring(original)


def _dialog(qtbot: QtBot, keys: ApiKeys | dict[str, bool], backend: str) -> SettingsDialog:
    dialog = SettingsDialog(AppSettings(backend=backend), keys)
    qtbot.addWidget(dialog)
    return dialog


def _texts(dialog: SettingsDialog) -> str:
    return " ".join((dialog.key_state.text(), dialog.env_hint.text(), dialog.this_run_only.text()))


def test_a_key_from_the_environment(qtbot: QtBot) -> None:
    keyring.set_keyring(MemoryKeychain())
    keys = ApiKeys(environ={"LIVEAVATAR_API_KEY": KEY})
    keys.store("liveavatar", "the-keychain-one")
    dialog = _dialog(qtbot, keys, "liveavatar")
    assert dialog.key_state.text() == (
        "Using the key from the environment variable LIVEAVATAR_API_KEY."
    )
    assert "wins over the keychain" in dialog.env_hint.text()
    assert "LIVEAVATAR_API_KEY" in dialog.env_hint.text()
    assert KEY not in _texts(dialog) and "the-keychain-one" not in _texts(dialog)
    dialog.backend.setCurrentIndex(dialog.backend.findData("heygen_streaming"))
    assert dialog.key_state.text() == "No key stored: the offline demo runs."
    assert dialog.env_hint.text() == (
        "Or set the environment variable HEYGEN_API_KEY before starting the app: "
        "it wins over the keychain."
    )


def test_a_key_in_the_keychain(qtbot: QtBot) -> None:
    keyring.set_keyring(MemoryKeychain())
    keys = ApiKeys(environ={})
    keys.store("heygen_streaming", KEY)
    dialog = _dialog(qtbot, keys, "heygen_streaming")
    assert dialog.key_state.text().startswith("The key is kept in the system keychain.")
    assert dialog.this_run_only.isEnabled() and not dialog.keep_for_this_run_only()
    dialog.api_key.setText("a-new-key")
    assert dialog.key_state.text() == "The new key will be kept in the system keychain."
    dialog.this_run_only.setChecked(True)
    assert dialog.key_state.text() == "The new key will be kept for this run only."
    assert dialog.keep_for_this_run_only() and dialog.new_api_key() == "a-new-key"


def test_a_key_kept_for_this_run_with_no_keychain(qtbot: QtBot) -> None:
    keyring.set_keyring(FailingKeychain())
    keys = ApiKeys(environ={})
    assert keys.store("liveavatar", KEY) is KeySource.THIS_RUN
    dialog = _dialog(qtbot, keys, "liveavatar")
    assert dialog.key_state.text() == (
        "The key is kept for this run only (there is no system keychain here)."
    )
    assert KEY not in _texts(dialog)


def test_a_key_kept_for_this_run_by_choice(qtbot: QtBot) -> None:
    keyring.set_keyring(MemoryKeychain())
    keys = ApiKeys(environ={})
    keys.store("liveavatar", KEY, this_run_only=True)
    dialog = _dialog(qtbot, keys, "liveavatar")
    assert dialog.key_state.text() == "The key is kept for this run only."


def test_no_key(qtbot: QtBot) -> None:
    keyring.set_keyring(MemoryKeychain())
    dialog = _dialog(qtbot, ApiKeys(environ={}), "liveavatar")
    assert dialog.key_state.text() == "No key stored: the offline demo runs."
    dialog.backend.setCurrentIndex(dialog.backend.findData("demo"))
    assert dialog.key_state.text() == "The demo needs no key."
    assert dialog.this_run_only.isHidden() and dialog.env_hint.isHidden()


def test_a_new_key_with_no_keychain_is_kept_for_this_run_only(qtbot: QtBot) -> None:
    """The flow the window uses today: the dialog gets a dict of booleans and reads the
    process-wide keys itself; the window passes new_api_key() to save_api_key."""
    keyring.set_keyring(FailingKeychain())
    assert load_api_key("liveavatar") is None  # what has_keys() does before the dialog opens
    dialog = _dialog(qtbot, {"liveavatar": False, "heygen_streaming": False}, "liveavatar")
    assert dialog.key_state.text() == "No key stored: the offline demo runs."
    assert dialog.this_run_only.text() == (
        "Keep the key for this run only: there is no system keychain here"
    )
    assert dialog.this_run_only.isChecked() and not dialog.this_run_only.isEnabled()
    assert dialog.api_key.placeholderText() == "Kept for this run only"
    dialog.api_key.setText(f"  {KEY} ")
    assert dialog.key_state.text() == (
        "The new key will be kept for this run only (there is no system keychain here)."
    )
    assert dialog.keep_for_this_run_only()
    new_key = dialog.new_api_key()
    assert new_key == KEY
    save_api_key("liveavatar", new_key)  # no error
    assert load_api_key("liveavatar") == KEY
    assert config.default_keys().source("liveavatar") is KeySource.THIS_RUN
    again = _dialog(qtbot, {"liveavatar": True}, "liveavatar")
    assert "for this run only" in again.key_state.text()


def test_the_key_source_in_spanish(qtbot: QtBot, qapp: QApplication) -> None:
    keyring.set_keyring(FailingKeychain())
    translator = translations.install_translator(qapp, "es_ES")
    assert translator is not None
    try:
        dialog = _dialog(qtbot, ApiKeys(environ={"HEYGEN_API_KEY": KEY}), "heygen_streaming")
        assert (
            dialog.key_state.text() == "Se usa la clave de la variable de entorno HEYGEN_API_KEY."
        )
        dialog.backend.setCurrentIndex(dialog.backend.findData("liveavatar"))
        dialog.api_key.setText(KEY)
        assert dialog.key_state.text() == (
            "La nueva clave se guardará solo para esta ejecución (aquí no hay llavero del sistema)."
        )
    finally:
        qapp.removeTranslator(translator)


def test_the_recording_settings_round_trip_and_reach_the_record_action(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, {}, "demo")
    assert dialog.recording_folder.placeholderText().endswith("Avatar Desktop")
    assert dialog.recording_quality.currentData() == "source"
    assert not dialog.record_microphone.isChecked()
    dialog.recording_folder.setText(" /tmp/talks ")
    dialog.recording_quality.setCurrentIndex(dialog.recording_quality.findData("720p"))
    dialog.record_microphone.setChecked(True)
    chosen = dialog.result_settings()
    assert (chosen.recording_folder, chosen.recording_quality, chosen.record_microphone) == (
        "/tmp/talks",
        "720p",
        True,
    )
    window = QMainWindow()
    qtbot.addWidget(window)
    action = RecordingAction(window, cast(SessionController, object()))
    action.configure(chosen)
    assert (action.folder, action.quality, action.microphone) == (Path("/tmp/talks"), "720p", True)
    action.configure(AppSettings())
    assert (action.folder, action.quality, action.microphone) == (None, "source", False)

"""Spanish ships: every UI string is translated, the compiled .qm matches the .ts, and the
window speaks Spanish when the setting asks for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui import translations
from avatar_desktop.ui.main_window import MainWindow
from avatar_desktop.ui.state_text import state_label

ROOT = Path(__file__).resolve().parents[2]


def test_every_ui_string_has_a_spanish_translation() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_translations.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout


def test_the_shipped_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    ts = translations.TRANSLATIONS_DIR / "avatar_desktop_es.ts"
    fresh = tmp_path / "es.qm"
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(fresh)], check=True)
    assert (
        fresh.read_bytes() == (translations.TRANSLATIONS_DIR / "avatar_desktop_es.qm").read_bytes()
    )


def test_window_in_spanish(qapp: QApplication) -> None:
    translator = translations.install_translator(qapp, "es_ES")
    assert translator is not None
    try:
        assert state_label(None) == "Listo. Pulsa Iniciar para conocer al avatar."
        provider = LiveAvatarProvider("unused", base_url="http://127.0.0.1:9")
        engines = EngineHolder(None)
        controller = SessionController(provider, engines.factory, SessionSettings())
        window = MainWindow(controller, engines, "test")
        assert window.start_action.text() == "Iniciar"
        assert window.chat.say_mode.text() == "Decir tal cual"
        window.deleteLater()
    finally:
        qapp.removeTranslator(translator)
    assert state_label(None) == "Ready. Press Start to meet the avatar."

"""Spanish and English: source strings are English; the system locale picks, and the
``AVATAR_DESKTOP_LANGUAGE`` setting overrides."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import QApplication

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def install_translator(app: QApplication, language: str | None = None) -> QTranslator | None:
    language = language or os.environ.get("AVATAR_DESKTOP_LANGUAGE") or QLocale.system().name()
    if not language.startswith("es"):
        return None
    translator = QTranslator(app)
    if translator.load(str(TRANSLATIONS_DIR / "avatar_desktop_es.qm")):
        app.installTranslator(translator)
        return translator
    return None

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from avatar_desktop.config import AppSettings


def test_settings_round_trip_through_qsettings(tmp_path: Path) -> None:
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    chosen = AppSettings(backend="liveavatar", quality="very_high", sandbox=True,
                         first_frame_deadline_s=7.5, avatar_id="a1", ui_language="es")  # fmt: skip
    chosen.save(store)
    store.sync()
    again = AppSettings.load(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again == chosen


def test_garbage_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    store.setValue("backend", "martian")
    store.setValue("first_frame_deadline_s", "soon")
    loaded = AppSettings.load(store)
    assert loaded.backend == "demo" and loaded.first_frame_deadline_s == 5.0


def test_the_api_key_is_not_a_setting() -> None:
    assert not any("key" in name for name in AppSettings.__dataclass_fields__)

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from PySide6.QtCore import QSettings

from avatar_desktop import config
from avatar_desktop.config import (
    ENVIRONMENT_VARIABLES,
    KEYRING_SERVICE,
    ApiKeys,
    AppSettings,
    KeySource,
    default_keys,
    environment_variable,
    forget_api_key,
    load_api_key,
    save_api_key,
)


def test_settings_round_trip_through_qsettings(tmp_path: Path) -> None:
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    chosen = AppSettings(backend="liveavatar", quality="very_high", sandbox=True,
                         first_frame_deadline_s=7.5, avatar_id="a1", ui_language="es",
                         recording_folder="/tmp/rec", recording_quality="720p",
                         record_microphone=True)  # fmt: skip
    chosen.save(store)
    store.sync()
    again = AppSettings.load(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again == chosen


def test_garbage_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    store.setValue("backend", "martian")
    store.setValue("first_frame_deadline_s", "soon")
    store.setValue("recording_quality", "8k")
    loaded = AppSettings.load(store)
    assert loaded.backend == "demo" and loaded.recording_quality == "source"
    assert loaded.first_frame_deadline_s == AppSettings().first_frame_deadline_s


def test_the_api_key_is_not_a_setting() -> None:
    assert not any("key" in name for name in AppSettings.__dataclass_fields__)


# -- API keys: environment, keychain, this run only ----------------------------------------------

KEY = "la-test-key-7f3c9e1d"


class FailingKeychain(keyring.backend.KeyringBackend):
    """A keychain that is not there: every call raises, as keyring's own fail backend does."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("no keychain in this test")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError("no keychain in this test")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("no keychain in this test")


class MemoryKeychain(keyring.backend.KeyringBackend):
    """A keychain that works, in this test's memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.kept.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("none kept")


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No real keychain, environment or home directory leaks into (or out of) a test; the
    process-wide keys start empty; the original keyring backend comes back afterwards."""
    original = keyring.get_keyring()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "_default_keys", None)
    yield home
    keyring.set_keyring(original)


def _files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_with_no_keychain_a_key_is_kept_for_this_run_only(
    _isolated_keys: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(FailingKeychain())
    keys = ApiKeys()
    assert keys.source("liveavatar") is KeySource.NONE
    assert keys.get("liveavatar") is None
    assert not keys.keychain_available()
    caplog.set_level(logging.DEBUG)
    assert keys.store("liveavatar", KEY, this_run_only=False) is KeySource.THIS_RUN
    assert keys.get("liveavatar") == KEY
    assert keys.source("liveavatar") is KeySource.THIS_RUN
    assert keys.get("heygen_streaming") is None
    assert "kept for this run only" in caplog.text
    assert KEY not in caplog.text
    assert _files_holding(_isolated_keys.parent, KEY) == []
    assert ApiKeys().get("liveavatar") is None  # another run (instance) does not have it


def test_keyrings_stand_in_backends_count_as_no_keychain() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    assert not ApiKeys().keychain_available()
    # keyring's null backend would drop a key silently
    keyring.set_keyring(keyring.backends.null.Keyring())  # type: ignore[no-untyped-call]
    keys = ApiKeys()
    assert not keys.keychain_available()
    assert keys.store("heygen_streaming", KEY) is KeySource.THIS_RUN
    assert keys.get("heygen_streaming") == KEY


def test_with_a_keychain_the_key_goes_there(caplog: pytest.LogCaptureFixture) -> None:
    keychain = MemoryKeychain()
    keyring.set_keyring(keychain)
    keys = ApiKeys()
    assert keys.keychain_available()
    caplog.set_level(logging.DEBUG)
    assert keys.store("liveavatar", KEY, this_run_only=False) is KeySource.KEYCHAIN
    assert keychain.kept == {(KEYRING_SERVICE, "liveavatar"): KEY}
    assert keys.source("liveavatar") is KeySource.KEYCHAIN
    assert ApiKeys().get("liveavatar") == KEY  # the next run finds it
    assert KEY not in caplog.text


def test_this_run_only_when_asked_leaves_the_keychain_alone() -> None:
    keychain = MemoryKeychain()
    keyring.set_keyring(keychain)
    keys = ApiKeys()
    keys.store("liveavatar", "an-older-key")
    assert keys.store("liveavatar", KEY, this_run_only=True) is KeySource.THIS_RUN
    assert keys.get("liveavatar") == KEY and keys.source("liveavatar") is KeySource.THIS_RUN
    assert keychain.kept == {(KEYRING_SERVICE, "liveavatar"): "an-older-key"}
    assert keys.store("liveavatar", "a-newer-key") is KeySource.KEYCHAIN  # this run's goes
    assert keys.source("liveavatar") is KeySource.KEYCHAIN and keys.get("liveavatar") == (
        "a-newer-key"
    )


def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(MemoryKeychain())
    keys = ApiKeys()
    keys.store("liveavatar", "from-the-keychain")
    keys.store("heygen_streaming", "kept-this-run", this_run_only=True)
    monkeypatch.setenv("LIVEAVATAR_API_KEY", f" {KEY}\n")
    monkeypatch.setenv("HEYGEN_API_KEY", "from-the-environment")
    assert keys.get("liveavatar") == KEY and keys.source("liveavatar") is KeySource.ENVIRONMENT
    assert keys.get("heygen_streaming") == "from-the-environment"
    assert keys.source("heygen_streaming") is KeySource.ENVIRONMENT
    monkeypatch.setenv("LIVEAVATAR_API_KEY", "  ")  # blank is unset
    assert keys.source("liveavatar") is KeySource.KEYCHAIN
    assert environment_variable("liveavatar") == "LIVEAVATAR_API_KEY"
    assert environment_variable("heygen_streaming") == "HEYGEN_API_KEY"


def test_the_environment_works_with_no_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(FailingKeychain())
    monkeypatch.setenv("HEYGEN_API_KEY", KEY)
    assert load_api_key("heygen_streaming") == KEY
    assert default_keys().source("heygen_streaming") is KeySource.ENVIRONMENT


def test_the_demo_takes_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(MemoryKeychain())
    keys = ApiKeys()
    assert keys.get("demo") is None and keys.source("demo") is KeySource.NONE
    with pytest.raises(ValueError):
        keys.store("demo", KEY)
    with pytest.raises(ValueError):
        keys.store("liveavatar", "   ")


def test_forget() -> None:
    keychain = MemoryKeychain()
    keyring.set_keyring(keychain)
    keys = ApiKeys()
    keys.store("liveavatar", KEY)
    keys.store("heygen_streaming", KEY, this_run_only=True)
    keys.forget("liveavatar")
    keys.forget("heygen_streaming")
    keys.forget("heygen_streaming")  # nothing left: no error
    assert keychain.kept == {}
    assert keys.source("liveavatar") is KeySource.NONE
    assert keys.source("heygen_streaming") is KeySource.NONE
    keyring.set_keyring(FailingKeychain())
    keys.store("liveavatar", KEY)
    keys.forget("liveavatar")  # no keychain: still forgets this run's key, no error
    assert keys.get("liveavatar") is None


def test_load_and_save_api_key_keep_working(_isolated_keys: Path) -> None:
    keychain = MemoryKeychain()
    keyring.set_keyring(keychain)
    assert load_api_key("liveavatar") is None
    save_api_key("liveavatar", KEY)
    assert load_api_key("liveavatar") == KEY
    assert keychain.kept == {(KEYRING_SERVICE, "liveavatar"): KEY}
    forget_api_key("liveavatar")
    assert load_api_key("liveavatar") is None

    keyring.set_keyring(FailingKeychain())
    save_api_key("heygen_streaming", KEY)  # no keychain: no error, kept for this run
    assert load_api_key("heygen_streaming") == KEY
    assert default_keys().source("heygen_streaming") is KeySource.THIS_RUN
    assert _files_holding(_isolated_keys.parent, KEY) == []

"""Settings and secrets. Settings live in QSettings; the API key lives in the OS keychain
(``keyring``), never in settings files, logs or reports. With no key the app runs the offline
demo."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, fields
from typing import Any

import keyring
import keyring.errors

log = logging.getLogger(__name__)
KEYRING_SERVICE = "avatar-desktop"
BACKENDS = ("demo", "liveavatar", "heygen_streaming")


@dataclass
class AppSettings:
    backend: str = "demo"
    service_url: str = ""  # empty: the backend's public URL
    avatar_id: str = ""  # empty: the backend's first avatar
    voice_id: str = ""
    context_id: str = ""
    quality: str = "high"
    avatar_language: str = "en"
    ui_language: str = ""  # empty: the system's
    first_frame_deadline_s: float = 5.0
    sandbox: bool = False

    @classmethod
    def load(cls, store: Any) -> AppSettings:
        """From a QSettings-like ``store`` (value(key, default) / setValue(key, value))."""
        settings = cls()
        for f in fields(cls):
            default = getattr(settings, f.name)
            raw = store.value(f.name, default)
            try:
                if isinstance(default, bool):
                    value: Any = raw in (True, "true", "1", 1)
                else:
                    value = type(default)(raw)
            except (TypeError, ValueError):
                value = default
            setattr(settings, f.name, value)
        if settings.backend not in BACKENDS:
            settings.backend = "demo"
        return settings

    def save(self, store: Any) -> None:
        for f in fields(self):
            store.setValue(f.name, getattr(self, f.name))


def load_api_key(backend: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, backend)
    except keyring.errors.KeyringError as exc:
        log.warning(
            "the keychain is not available (%s): using the offline demo", type(exc).__name__
        )
        return None


def save_api_key(backend: str, api_key: str) -> None:
    """Raises keyring.errors.KeyringError when there is no keychain to keep it in."""
    keyring.set_password(KEYRING_SERVICE, backend, api_key)


def forget_api_key(backend: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, backend)

"""Settings and secrets. The API key lives in the OS keychain (``keyring``), never in settings
files, logs or reports; with no key the app runs the offline demo."""

from __future__ import annotations

import contextlib
import logging

import keyring
import keyring.errors

log = logging.getLogger(__name__)
KEYRING_SERVICE = "avatar-desktop"


def load_api_key(backend: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, backend)
    except keyring.errors.KeyringError as exc:
        log.warning(
            "the keychain is not available (%s): using the offline demo", type(exc).__name__
        )
        return None


def save_api_key(backend: str, api_key: str) -> None:
    keyring.set_password(KEYRING_SERVICE, backend, api_key)


def forget_api_key(backend: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, backend)

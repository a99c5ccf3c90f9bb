"""Settings and secrets. Settings live in QSettings. The API key comes from an environment
variable (which wins), the OS keychain (``keyring``), or the app's memory for this run only (when
the user asks, or when there is no keychain); it is never written to settings files, logs or
reports, nor anywhere in plain text. With no key the app runs the offline demo."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

log = logging.getLogger(__name__)
KEYRING_SERVICE = "avatar-desktop"
BACKENDS = ("demo", "liveavatar", "heygen_streaming")
RECORDING_QUALITIES = ("source", "720p")


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
    first_frame_deadline_s: float = 30.0  # the avatar's join, in the same session (Timing)
    sandbox: bool = False
    start_on_open: bool = False  # a paid backend's session starts with the app only if chosen
    recording_folder: str = ""  # empty: the Videos folder's "Avatar Desktop"
    recording_quality: str = "source"  # or "720p"
    record_microphone: bool = False  # the user's side of the conversation in the file too

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
        if settings.recording_quality not in RECORDING_QUALITIES:
            settings.recording_quality = "source"
        return settings

    def save(self, store: Any) -> None:
        for f in fields(self):
            store.setValue(f.name, getattr(self, f.name))


class KeySource(enum.Enum):
    """Where the key for a backend comes from, in the order ``ApiKeys.get`` looks."""

    ENVIRONMENT = "environment"  # an environment variable; wins over everything else
    THIS_RUN = "this_run"  # the app's memory, gone when the app exits
    KEYCHAIN = "keychain"  # the OS keychain
    NONE = "none"  # no key: the offline demo runs


ENVIRONMENT_VARIABLES: Mapping[str, str] = {
    "liveavatar": "LIVEAVATAR_API_KEY",
    "heygen_streaming": "HEYGEN_API_KEY",
}


def environment_variable(backend: str) -> str | None:
    """The name of the environment variable that holds ``backend``'s key (None for the demo)."""
    return ENVIRONMENT_VARIABLES.get(backend)


def _backend_can_keep_secrets(backend: keyring.backend.KeyringBackend) -> bool:
    """False for keyring's stand-ins when no real keychain was found (fail: raises; null:
    forgets silently), and for a chainer that has nothing to chain."""
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        return bool(backend.backends)
    return True


class ApiKeys:
    """The API keys of the online backends: from the environment, the keychain, or kept in
    this process's memory for this run only. Never logs a key, never writes one in plain text."""

    def __init__(
        self, service: str = KEYRING_SERVICE, environ: Mapping[str, str] | None = None
    ) -> None:
        self._service = service
        self._environ = environ  # None: os.environ, read at each call
        self._this_run: dict[str, str] = {}
        self._keychain_failed = False  # the last keychain call raised

    # -- reading -----------------------------------------------------------------------------
    def get(self, backend: str) -> str | None:
        """The key to use for ``backend``, or None (then the offline demo runs)."""
        return self._lookup(backend)[0]

    def source(self, backend: str) -> KeySource:
        """Where ``get(backend)`` takes its key from."""
        return self._lookup(backend)[1]

    def keychain_available(self) -> bool:
        """Whether there is a system keychain to keep a key in (as far as is known: a keychain
        that raised on its last use counts as absent until a call succeeds)."""
        return not self._keychain_failed and self._keychain_backend_ok()

    @staticmethod
    def _keychain_backend_ok() -> bool:
        try:
            return _backend_can_keep_secrets(keyring.get_keyring())
        except Exception:  # noqa: BLE001 - a keyring that fails to load is no keychain
            return False

    def _lookup(self, backend: str) -> tuple[str | None, KeySource]:
        name = environment_variable(backend)
        if name is None:
            return None, KeySource.NONE
        environ = os.environ if self._environ is None else self._environ
        from_environment = environ.get(name, "").strip()
        if from_environment:
            return from_environment, KeySource.ENVIRONMENT
        if backend in self._this_run:
            return self._this_run[backend], KeySource.THIS_RUN
        from_keychain = self._keychain_get(backend)
        if from_keychain:
            return from_keychain, KeySource.KEYCHAIN
        return None, KeySource.NONE

    def _keychain_get(self, backend: str) -> str | None:
        try:
            key = keyring.get_password(self._service, backend)
        except keyring.errors.KeyringError as exc:
            if not self._keychain_failed:
                log.warning("the system keychain is not available (%s)", type(exc).__name__)
            self._keychain_failed = True
            return None
        self._keychain_failed = False
        return key

    # -- changing ----------------------------------------------------------------------------
    def store(self, backend: str, key: str, *, this_run_only: bool = False) -> KeySource:
        """Keeps ``key`` for ``backend``: in the keychain, or for this run only when asked or
        when the keychain raises. Returns where it went (KEYCHAIN or THIS_RUN). An environment
        variable, when set, still wins over it (see ``source``)."""
        if environment_variable(backend) is None:
            raise ValueError(f"the backend {backend!r} takes no API key")
        key = key.strip()
        if not key:
            raise ValueError("an empty API key")
        if this_run_only:
            log.info("the API key for %s is kept for this run only, as asked", backend)
        else:
            failure = self._keychain_set(backend, key)
            if failure is None:
                self._keychain_failed = False
                self._this_run.pop(backend, None)
                log.info("the API key for %s is kept in the system keychain", backend)
                return KeySource.KEYCHAIN
            self._keychain_failed = True
            log.warning(
                "there is no system keychain here (%s): the API key for %s is kept for this run "
                "only",
                failure,
                backend,
            )
        self._this_run[backend] = key
        return KeySource.THIS_RUN

    def _keychain_set(self, backend: str, key: str) -> str | None:
        """None when the keychain kept the key; else why not (never with the key in it)."""
        if not self._keychain_backend_ok():
            return "no keychain backend"  # keyring's null backend would drop it silently
        try:
            keyring.set_password(self._service, backend, key)
        except keyring.errors.KeyringError as exc:
            return type(exc).__name__
        return None

    def forget(self, backend: str) -> None:
        """Drops the key kept for this run and the keychain's (best effort). An environment
        variable stays: only whoever started the app can change it."""
        self._this_run.pop(backend, None)
        try:
            keyring.delete_password(self._service, backend)
        except keyring.errors.PasswordDeleteError:
            pass  # there was none
        except keyring.errors.KeyringError as exc:
            self._keychain_failed = True
            log.info("the system keychain is not available (%s)", type(exc).__name__)


_default_keys: ApiKeys | None = None


def default_keys() -> ApiKeys:
    """The process-wide keys (what load_api_key, save_api_key and the Settings dialog use)."""
    global _default_keys
    if _default_keys is None:
        _default_keys = ApiKeys()
    return _default_keys


def load_api_key(backend: str) -> str | None:
    """The key to use for ``backend`` (environment, this run, keychain), or None."""
    return default_keys().get(backend)


def save_api_key(backend: str, api_key: str) -> None:
    """Keeps the key in the keychain; for this run only when there is no keychain (logged,
    without the key). Does not raise for a missing keychain."""
    default_keys().store(backend, api_key)


def forget_api_key(backend: str) -> None:
    default_keys().forget(backend)

"""What went wrong, classified the way the session needs: terminal (stop and say what to do) or
retryable (back off and try a new session), with a message in plain words."""

from __future__ import annotations

import enum


class ErrorKind(enum.Enum):
    BAD_API_KEY = "bad_api_key"
    AVATAR_NOT_FOUND = "avatar_not_found"
    NO_CREDITS = "no_credits"
    CONCURRENT_LIMIT = "concurrent_limit"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"
    SESSION_ENDED = "session_ended"
    NO_VIDEO = "no_video"
    CONNECT_FAILED = "connect_failed"
    MEDIA_ENGINE = "media_engine"
    INTERNAL = "internal"
    INVALID_SETTINGS = "invalid_settings"  # refused before any billed call
    REFUSED = "refused"  # a 4xx we have no meaning for: said, never retried blindly
    SESSION_LIMIT = "session_limit"  # the service ended it: maximum length (sandbox: 1 min)
    IDLE_ENDED = "idle_ended"  # the service ended it after its idle timeout
    CLOSED_ELSEWHERE = "closed_elsewhere"  # stopped by someone else (another app, dashboard)

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = {
    ErrorKind.BAD_API_KEY,
    ErrorKind.AVATAR_NOT_FOUND,
    ErrorKind.NO_CREDITS,
    ErrorKind.CONCURRENT_LIMIT,
    ErrorKind.INTERNAL,
    ErrorKind.BAD_RESPONSE,
    ErrorKind.INVALID_SETTINGS,
    ErrorKind.REFUSED,
    ErrorKind.SESSION_LIMIT,
    ErrorKind.IDLE_ENDED,
    ErrorKind.CLOSED_ELSEWHERE,
}
"""Never retried: another session would cost the user credits and end the same way."""

# Plain words for the user: the one table, in the source language. The UI translates each text
# with QCoreApplication.translate("Advice", text); scripts/update_translations.py extracts them.
ADVICE: dict[ErrorKind, str] = {
    ErrorKind.BAD_API_KEY: "The API key was refused. Check it in Settings.",
    ErrorKind.AVATAR_NOT_FOUND: "That avatar does not exist for this account. Pick another one.",
    ErrorKind.NO_CREDITS: "The account has no credits left. Add credits, then start again.",
    ErrorKind.CONCURRENT_LIMIT: (
        "Too many sessions are open for this account. Stop the stale sessions, then start again."
    ),
    ErrorKind.RATE_LIMITED: "The service asked us to slow down. Trying again shortly.",
    ErrorKind.SERVER_ERROR: "The avatar service had an error. Trying again.",
    ErrorKind.NETWORK: "The avatar service cannot be reached. Check the network.",
    ErrorKind.TIMEOUT: "The avatar service did not answer in time.",
    ErrorKind.BAD_RESPONSE: (
        "The avatar service answered something we do not understand. Try again later; "
        "the diagnostics hold its answer."
    ),
    ErrorKind.SESSION_ENDED: "The service ended the session.",
    ErrorKind.NO_VIDEO: "The avatar's video did not arrive in time.",
    ErrorKind.CONNECT_FAILED: "Could not join the avatar's room.",
    ErrorKind.MEDIA_ENGINE: "The app's video and sound engine stopped. Starting it again.",
    ErrorKind.INTERNAL: (
        "Something went wrong inside the app. Copy the diagnostics (View → Diagnostics) "
        "and send them to us."
    ),
    ErrorKind.INVALID_SETTINGS: (
        "An avatar, voice or context in Settings is not one this service knows. "
        "Pick them from the lists in Settings."
    ),
    ErrorKind.REFUSED: ("The avatar service refused the request. The diagnostics show its answer."),
    ErrorKind.SESSION_LIMIT: (
        "The session reached its maximum length (a sandbox session lasts one minute). "
        "Press Start for a new one."
    ),
    ErrorKind.IDLE_ENDED: (
        "The service ended the session after a long time without activity. "
        "Press Start for a new one."
    ),
    ErrorKind.CLOSED_ELSEWHERE: (
        "The session was closed from elsewhere (another app or the account's dashboard)."
    ),
}

# How the service says why it ended a session (LiveAvatar's SessionEndReason, contract.md §1.2)
# → what that means for the user. Any other reason is a failure worth one more try.
ENDED_BY_SERVICE: dict[str, ErrorKind] = {
    "NO_CREDITS": ErrorKind.NO_CREDITS,
    "MAX_DURATION_REACHED": ErrorKind.SESSION_LIMIT,
    "AVATAR_DELETED": ErrorKind.AVATAR_NOT_FOUND,
    "IDLE_TIMEOUT": ErrorKind.IDLE_ENDED,
    "USER_CLOSED": ErrorKind.CLOSED_ELSEWHERE,
}


class AvatarServiceError(Exception):
    """An error from a provider or the media layer, with its kind and the service's own text."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str = "",
        status: int | None = None,
        *,
        code: object = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.code = code  # the service's own code, for diagnostics
        self.retry_after_s = retry_after_s  # the service asked us to wait this long

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]

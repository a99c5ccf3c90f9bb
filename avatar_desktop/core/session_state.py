"""The session's states, as the user sees them, and the record of each change.

``Idle → CreatingSession → Connecting → WaitingForAvatar → Live ⇄ Reconnecting → Ending → Idle``,
with ``Failed`` reachable from every active state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SessionState(enum.Enum):
    IDLE = "idle"
    CREATING_SESSION = "creating_session"
    CONNECTING = "connecting"
    WAITING_FOR_AVATAR = "waiting_for_avatar"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDING = "ending"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self not in (SessionState.IDLE, SessionState.FAILED)


_ACTIVE = {
    SessionState.CREATING_SESSION,
    SessionState.CONNECTING,
    SessionState.WAITING_FOR_AVATAR,
    SessionState.LIVE,
    SessionState.RECONNECTING,
}

ALLOWED: dict[SessionState, frozenset[SessionState]] = {
    # Failed straight from Idle: the run broke before any session (e.g. an internal error).
    SessionState.IDLE: frozenset({SessionState.CREATING_SESSION, SessionState.FAILED}),
    SessionState.CREATING_SESSION: frozenset({SessionState.CONNECTING}),
    SessionState.CONNECTING: frozenset({SessionState.WAITING_FOR_AVATAR}),
    SessionState.WAITING_FOR_AVATAR: frozenset({SessionState.LIVE}),
    SessionState.LIVE: frozenset({SessionState.RECONNECTING}),
    SessionState.RECONNECTING: frozenset({SessionState.LIVE}),
    SessionState.ENDING: frozenset({SessionState.IDLE, SessionState.FAILED}),
    # A retry after a failure starts over with a new session.
    SessionState.FAILED: frozenset({SessionState.CREATING_SESSION, SessionState.IDLE}),
}
for _state in _ACTIVE:
    ALLOWED[_state] = ALLOWED[_state] | {SessionState.ENDING, SessionState.FAILED}
# A retry moves from any step straight to a fresh session (the old one is stopped on the way).
for _state in _ACTIVE - {SessionState.CREATING_SESSION}:
    ALLOWED[_state] = ALLOWED[_state] | {SessionState.CREATING_SESSION}


class IllegalTransition(RuntimeError):
    pass


def check_transition(old: SessionState, new: SessionState) -> None:
    if new not in ALLOWED[old]:
        raise IllegalTransition(f"{old.value} → {new.value} is not a transition of the session")


@dataclass(frozen=True)
class StateChange:
    """One journal entry: when, from what to what, for which session, and what caused it."""

    at: float  # wall clock, seconds
    old: SessionState
    new: SessionState
    session_id: str | None
    cause: str
    attempt: int = 1
    max_attempts: int = 1
    next_retry_at: float | None = None

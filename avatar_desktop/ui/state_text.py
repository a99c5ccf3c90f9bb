"""What each session state says to the user (source strings in English, translated by Qt)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from avatar_desktop.core.errors import ErrorKind
from avatar_desktop.core.session_state import SessionState, StateChange


def _tr(text: str) -> str:
    return QCoreApplication.translate("SessionState", text)


def state_label(change: StateChange | None) -> str:
    """The one-line description of the current step, for the overlay and the status bar."""
    if change is None:
        return _tr("Ready. Press Start to meet the avatar.")
    state = change.new
    if state is SessionState.IDLE:
        return _tr("Ready. Press Start to meet the avatar.")
    if state is SessionState.CREATING_SESSION:
        if change.attempt > 1:
            return _tr("Creating a new session (attempt {0} of {1})…").format(
                change.attempt, change.max_attempts
            )
        return _tr("Creating session…")
    if state is SessionState.CONNECTING:
        return _tr("Connecting…")
    if state is SessionState.WAITING_FOR_AVATAR:
        return _tr("Waiting for the avatar…")
    if state is SessionState.LIVE:
        return _tr("Live")
    if state is SessionState.RECONNECTING:
        return _tr("Reconnecting…")
    if state is SessionState.ENDING:
        return _tr("Ending the session…")
    return _tr("Something went wrong.")


def advice(kind: ErrorKind) -> str:
    """What went wrong and what to do, in the user's language (mirrors core.errors.ADVICE)."""
    texts = {
        ErrorKind.BAD_API_KEY: _tr("The API key was refused. Check it in Settings."),
        ErrorKind.AVATAR_NOT_FOUND: _tr(
            "That avatar does not exist for this account. Pick another one."
        ),
        ErrorKind.NO_CREDITS: _tr(
            "The account has no credits left. Add credits, then start again."
        ),
        ErrorKind.CONCURRENT_LIMIT: _tr(
            "Too many sessions are open for this account. "
            "Stop the stale sessions, then start again."
        ),
        ErrorKind.RATE_LIMITED: _tr("The service asked us to slow down. Trying again shortly."),
        ErrorKind.SERVER_ERROR: _tr("The avatar service had an error. Trying again."),
        ErrorKind.NETWORK: _tr("The avatar service cannot be reached. Check the network."),
        ErrorKind.TIMEOUT: _tr("The avatar service did not answer in time."),
        ErrorKind.BAD_RESPONSE: _tr("The avatar service answered something we do not understand."),
        ErrorKind.SESSION_ENDED: _tr("The service ended the session."),
        ErrorKind.NO_VIDEO: _tr("The avatar's video did not arrive in time."),
        ErrorKind.CONNECT_FAILED: _tr("Could not join the avatar's room."),
    }
    return texts[kind]


def gave_up(attempts: int) -> str:
    return _tr("Gave up after {0} attempts. Press Start to try again.").format(attempts)

"""What each session state says to the user (source strings in English, translated by Qt)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from avatar_desktop.core.errors import ADVICE, ErrorKind
from avatar_desktop.core.preparation import PREPARATION_TEXT, Preparation
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
    """What went wrong and what to do, in the user's language (the core's one table)."""
    return QCoreApplication.translate("Advice", ADVICE[kind])


def preparation_text(step: Preparation) -> str:
    return QCoreApplication.translate("Preparation", PREPARATION_TEXT[step])


def gave_up(attempts: int) -> str:
    return _tr("Gave up after {0} attempts. Press Start to try again.").format(attempts)

"""Typed events from the avatar service, whatever the backend (providers map their JSON here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Speaker = Literal["avatar", "user"]


@dataclass(frozen=True)
class SpeechActivity:
    """Someone started or stopped speaking (the avatar's voice, or the user's as heard)."""

    speaker: Speaker
    speaking: bool


@dataclass(frozen=True)
class TranscriptPiece:
    """Words said; ``final`` closes the current line, a non-final piece adds to it."""

    speaker: Speaker
    text: str
    final: bool


@dataclass(frozen=True)
class SessionStopped:
    reason: str


@dataclass(frozen=True)
class PushToTalkState:
    active: bool
    failed: bool = False


AvatarEvent = SpeechActivity | TranscriptPiece | SessionStopped | PushToTalkState

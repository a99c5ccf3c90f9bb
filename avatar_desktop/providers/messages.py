"""Data-channel messages of both backends → typed events. Anything malformed is ignored (None):
a broken or hostile message must never take the session down."""

from __future__ import annotations

import json
from typing import Any

from avatar_desktop.core.events import (
    AvatarEvent,
    PushToTalkState,
    SessionStopped,
    Speaker,
    SpeechActivity,
    TranscriptPiece,
)

MAX_MESSAGE_BYTES = 64 * 1024


def json_object(data: bytes) -> dict[str, Any] | None:
    if len(data) > MAX_MESSAGE_BYTES:
        return None
    try:
        decoded = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _text(message: dict[str, Any], key: str) -> str | None:
    value = message.get(key)
    return value if isinstance(value, str) else None


def liveavatar_event(message: dict[str, Any]) -> AvatarEvent | None:
    kind = message.get("event_type")
    if not isinstance(kind, str):
        return None
    speech: dict[str, AvatarEvent] = {
        "avatar.speak_started": SpeechActivity("avatar", True),
        "avatar.speak_ended": SpeechActivity("avatar", False),
        "user.speak_started": SpeechActivity("user", True),
        "user.speak_ended": SpeechActivity("user", False),
        "user.push_to_talk_started": PushToTalkState(True),
        "user.push_to_talk_stopped": PushToTalkState(False),
        "user.push_to_talk_start_failed": PushToTalkState(False, failed=True),
        "user.push_to_talk_stop_failed": PushToTalkState(False, failed=True),
    }
    if kind in speech:
        return speech[kind]
    if kind in ("avatar.transcription", "avatar.transcription.chunk",
                "user.transcription", "user.transcription.chunk"):  # fmt: skip
        text = _text(message, "text")
        if text is None:
            return None
        speaker: Speaker = "avatar" if kind.startswith("avatar") else "user"
        return TranscriptPiece(speaker, text, final=not kind.endswith(".chunk"))
    if kind == "session.stopped":
        reason = _text(message, "stop_reason") or _text(message, "end_reason") or "UNKNOWN"
        return SessionStopped(reason)
    return None


def v1_event(message: dict[str, Any]) -> AvatarEvent | None:
    kind = message.get("type")
    simple: dict[Any, AvatarEvent] = {
        "avatar_start_talking": SpeechActivity("avatar", True),
        "avatar_stop_talking": SpeechActivity("avatar", False),
        "user_start": SpeechActivity("user", True),
        "user_stop": SpeechActivity("user", False),
        "avatar_end_message": TranscriptPiece("avatar", "", final=True),
        "user_end_message": TranscriptPiece("user", "", final=True),
    }
    if kind in simple:
        return simple[kind]
    if kind in ("avatar_talking_message", "user_talking_message"):
        text = _text(message, "message")
        if text is None:
            return None
        return TranscriptPiece("avatar" if kind.startswith("avatar") else "user", text, final=False)
    return None


def named_items(data: Any, id_key: str, name_key: str) -> list[tuple[str, str]]:
    """(id, name) pairs from a listing, whether bare or under ``results``; junk is skipped."""
    items = data.get("results", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    return [
        (str(item[id_key]), str(item.get(name_key) or item[id_key]))
        for item in items
        if isinstance(item, dict) and item.get(id_key)
    ]

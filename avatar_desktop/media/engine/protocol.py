"""Messages between the app and its media engine: JSON lines, one object each.

App → engine (``cmd``): ``connect{url, token, avatar_identity, gen}``,
``send_data{data_b64, topic}``, ``mic_muted{muted}``, ``mic_device{device}``,
``speaker_device{device}``, ``list_devices``, ``disconnect``, ``quit``. ``connect`` may carry
``microphone{enabled, device, muted, processing{echo_cancellation, ...}}``.
Engine → app (``event``): ``ready{frames}``, ``connected``, ``participant{identity, present}``,
``track{identity, kind, subscribed}``, ``first_frame{width, height}``, ``video_stalled{since_ms}``,
``video_resumed``, ``data{identity, topic, data_b64}``, ``reconnecting``, ``reconnected``,
``disconnected{reason}``, ``connect_failed{error}``, ``quality{quality}``, ``stats{...}``,
``audio_output{available, error}``, ``microphone{available, error}``, ``mic_level{dbfs}``,
``devices{inputs, outputs}``, ``error{error}``. Events of a room carry ``gen``, the
generation its ``connect`` named, so the app can drop a previous room's stragglers.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return message if isinstance(message, dict) else None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)

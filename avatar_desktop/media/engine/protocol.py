"""Messages between the app and its media engine: JSON lines, one object each.

App → engine (``cmd``, each with an ``id``): ``connect{url, token, avatar_identity, gen}``,
``send_data{data_b64, topic}``, ``mic_muted{muted}``, ``mic_device{device}``,
``speaker_device{device}``, ``list_devices``, ``record_start{path, quality, microphone}``
(``source`` or ``720p``; the microphone mixed in or not), ``record_cue{text, start, end}``
(times on the app's wall clock), ``record_stop``, ``disconnect``, ``quit``. ``connect`` may carry
``microphone{enabled, device, muted, processing{echo_cancellation, ...}}``. The engine answers
every command that has an ``id`` with ``reply{id, ok, error}`` once it has done it (``connect``:
once joining has begun; how joining ends comes as ``connected`` or ``connect_failed``).
Engine → app (``event``): ``ready{frames}``, ``reply``, ``connected``,
``participant{identity, present}``, ``track{identity, kind, subscribed}``,
``first_frame{width, height}``, ``video_stalled{since_ms}``, ``video_resumed``,
``data{identity, topic, data_b64}``, ``reconnecting``, ``reconnected``, ``disconnected{reason}``,
``connect_failed{error}``, ``quality{quality}``, ``stats{...}``, ``recording{active, path,
seconds, bytes, frames_written, frames_dropped, cues, error}``, ``audio_output{available,
error}``, ``microphone{available, error}``, ``mic_level{dbfs}``, ``devices{inputs, outputs}``,
``error{error}``. Events of a room carry ``gen``, the generation its ``connect`` named.

The app parses each line once, here, into the core's typed events (core/media_port.py);
anything malformed is dropped and counted, never passed up.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from avatar_desktop.core import media_port as m


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
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True)
class Reply:
    """The engine's answer to the command with ``id``."""

    id: int
    ok: bool
    error: str = ""


def _text(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    return "" if value is None else str(value)


def _number(message: dict[str, Any], key: str) -> float | None:
    value = message.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _devices(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [d for d in value if isinstance(d, dict) and "index" in d and "name" in d]


def parse_event(message: dict[str, Any]) -> m.MediaEvent | Reply | None:
    """One engine message as a typed event; None when it is not one we know or is malformed."""
    name = message.get("event")
    gen_value = message.get("gen")
    gen = gen_value if isinstance(gen_value, int) and not isinstance(gen_value, bool) else None
    try:
        return _parse(str(name), message, gen)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None


def _parse(name: str, message: dict[str, Any], gen: int | None) -> m.MediaEvent | Reply | None:
    if name == "reply":
        return Reply(int(message["id"]), bool(message.get("ok")), _text(message, "error"))
    if name == "data":
        return m.DataReceived(
            gen=gen,
            identity=_text(message, "identity"),
            topic=_text(message, "topic"),
            data=unb64(str(message["data_b64"])),
        )
    if name == "participant":
        return m.ParticipantChanged(
            gen=gen, identity=_text(message, "identity"), present=bool(message.get("present"))
        )
    if name == "track":
        kind = _text(message, "kind")
        if kind not in ("video", "audio"):
            return None
        return m.TrackChanged(
            gen=gen,
            identity=_text(message, "identity"),
            kind=kind,
            subscribed=bool(message.get("subscribed")),
        )
    if name == "first_frame":
        return m.FirstFrame(
            gen=gen,
            width=int(message.get("width") or 0),
            height=int(message.get("height") or 0),
        )
    if name == "video_stalled":
        return m.VideoStalled(gen=gen, since_ms=_number(message, "since_ms") or 0.0)
    if name == "stats":
        counters = {k: v for k, v in message.items() if k not in ("event", "gen")}
        return m.MediaStats(
            gen=gen,
            fps=_number(message, "fps"),
            rtt_ms=_number(message, "rtt_ms"),
            counters=counters,
        )
    if name == "quality":
        return m.QualityChanged(gen=gen, quality=_text(message, "quality"))
    if name == "mic_level":
        dbfs = _number(message, "dbfs")
        return None if dbfs is None else m.MicLevel(gen=gen, dbfs=dbfs)
    if name in ("audio_output", "microphone"):
        cls = m.AudioOutputState if name == "audio_output" else m.MicrophoneState
        return cls(gen=gen, available=bool(message.get("available")), error=_text(message, "error"))
    if name == "devices":
        return m.DevicesListed(
            gen=gen,
            inputs=_devices(message.get("inputs")),
            outputs=_devices(message.get("outputs")),
            error=_text(message, "error"),
        )
    if name in ("connect_failed", "error"):
        cls2 = m.ConnectFailed if name == "connect_failed" else m.EngineError
        return cls2(gen=gen, error=_text(message, "error"))
    if name == "disconnected":
        return m.Disconnected(gen=gen, reason=_text(message, "reason"))
    if name == "recording":
        return m.RecordingStatus(
            active=bool(message.get("active")),
            path=_text(message, "path"),
            seconds=_number(message, "seconds") or 0.0,
            bytes=int(message.get("bytes") or 0),
            frames_written=int(message.get("frames_written") or 0),
            frames_dropped=int(message.get("frames_dropped") or 0),
            cues=int(message.get("cues") or 0),
            error=_text(message, "error"),
        )
    simple: dict[str, type[m.MediaEvent]] = {
        "connected": m.Connected,
        "video_resumed": m.VideoResumed,
        "reconnecting": m.Reconnecting,
        "reconnected": m.Reconnected,
    }
    cls3 = simple.get(name)
    return None if cls3 is None else cls3(gen=gen)

"""The binary frames v1's voice-chat websocket carries from the official SDK (contract.md §4.4):
protobuf ``pipecat.Frame`` with a ``text`` (TextFrame, field 1) or an ``audio`` (AudioRawFrame,
field 2: audio bytes = 3, sample_rate = 4, num_channels = 5). Only these two are read; the wire
format is decoded here by hand because the rig needs nothing else of protobuf."""

from __future__ import annotations

from dataclasses import dataclass

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class FrameError(ValueError):
    """Bytes that are not a pipecat frame."""


@dataclass(frozen=True)
class AudioFrame:
    pcm: bytes  # S16LE
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class TextFrame:
    text: str


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise FrameError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(data: bytes) -> dict[int, int | bytes]:
    """Field number → value (the last one wins, as protobuf has it for scalars)."""
    found: dict[int, int | bytes] = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            found[number], at = _varint(data, at)
        elif wire == _LENGTH:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise FrameError("truncated field")
            found[number], at = data[at : at + size], at + size
        elif wire in (_FIXED64, _FIXED32):
            at += 8 if wire == _FIXED64 else 4
        else:
            raise FrameError(f"unsupported wire type {wire}")
    if at != len(data):
        raise FrameError("truncated field")
    return found


def parse_frame(data: bytes) -> AudioFrame | TextFrame | None:
    """The frame's audio or text; None for the other kinds (transcription)."""
    outer = _fields(data)
    audio, text = outer.get(2), outer.get(1)
    if isinstance(audio, bytes):
        inner = _fields(audio)
        pcm, rate, channels = inner.get(3, b""), inner.get(4, 16_000), inner.get(5, 1)
        if not isinstance(pcm, bytes) or not isinstance(rate, int) or not isinstance(channels, int):
            raise FrameError("malformed audio frame")
        return AudioFrame(pcm, rate, channels)
    if isinstance(text, bytes):
        value = _fields(text).get(3, b"")
        if not isinstance(value, bytes):
            raise FrameError("malformed text frame")
        return TextFrame(value.decode("utf-8", errors="replace"))
    return None


def _key(number: int, wire: int) -> bytes:
    return _encode_varint(number << 3 | wire)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _length_field(number: int, payload: bytes) -> bytes:
    return _key(number, _LENGTH) + _encode_varint(len(payload)) + payload


def audio_frame(pcm: bytes, sample_rate: int = 16_000, channels: int = 1) -> bytes:
    """An AudioRawFrame as the official SDK sends it (for tests and the rig's own clients)."""
    inner = (
        _length_field(3, pcm)
        + _key(4, _VARINT)
        + _encode_varint(sample_rate)
        + _key(5, _VARINT)
        + _encode_varint(channels)
    )
    return _length_field(2, inner)


def text_frame(text: str) -> bytes:
    return _length_field(1, _length_field(3, text.encode()))

"""The voice-chat websocket's protobuf frames (contract.md §4.4), decoded by hand."""

from __future__ import annotations

import pytest

from avatar_desktop.rig.pipecat_frames import (
    AudioFrame,
    FrameError,
    TextFrame,
    audio_frame,
    parse_frame,
    text_frame,
)


def test_audio_and_text_frames_round_trip() -> None:
    pcm = bytes(range(256)) * 4  # 1 024 bytes = 512 samples, the SDK's block
    assert parse_frame(audio_frame(pcm)) == AudioFrame(pcm, 16_000, 1)
    assert parse_frame(audio_frame(b"\x01\x00", 48_000, 2)) == AudioFrame(b"\x01\x00", 48_000, 2)
    assert parse_frame(text_frame("¿Qué tal?")) == TextFrame("¿Qué tal?")


def test_a_field_the_rig_does_not_read_is_skipped() -> None:
    # TextFrame with id = 7 (varint) and name = "t" before its text, as protobuf.js writes them
    inner = b"\x08\x07" + b"\x12\x01t" + b"\x1a\x02hi"
    assert parse_frame(b"\x0a" + bytes([len(inner)]) + inner) == TextFrame("hi")
    assert parse_frame(b"\x1a\x00") is None  # a transcription frame


@pytest.mark.parametrize(
    "data",
    [audio_frame(b"\x00" * 64)[:-3], b"\x12\x7f\x00", b"\xff", b"\x0b\x00"],
    ids=["truncated", "length-past-the-end", "truncated-varint", "group-wire-type"],
)
def test_broken_bytes_raise_frame_error(data: bytes) -> None:
    with pytest.raises(FrameError):
        parse_frame(data)

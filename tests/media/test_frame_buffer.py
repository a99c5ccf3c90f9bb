"""The shared frame buffer and the engine's scaler, without a room: slots, holds, sizes."""

from __future__ import annotations

from collections.abc import Iterator
from multiprocessing import resource_tracker

import numpy as np
import pytest
from livekit import rtc

from avatar_desktop.media.engine.frame_scaler import FrameScaler
from avatar_desktop.media.frame_buffer import FrameReader, FrameWriter, fit
from avatar_desktop.rig.avatar.stamp import Stamp, read_stamp, write_stamp


def same_process_reader(writer: FrameWriter) -> FrameReader:
    """A reader beside its writer: the reader's own unregistering (meant for the window's
    process) took the writer's registration too, so it is given back."""
    reader = FrameReader(writer.name)
    resource_tracker.register(writer.shm._name, "shared_memory")  # type: ignore[attr-defined]
    return reader


@pytest.fixture
def pair() -> Iterator[tuple[FrameWriter, FrameReader]]:
    writer = FrameWriter()
    reader = same_process_reader(writer)
    yield writer, reader
    reader.close()
    writer.close()


def solid(value: int, width: int = 4, height: int = 2) -> bytes:
    return bytes([value]) * (width * height * 4)


def test_the_writer_never_touches_the_frame_the_reader_holds(
    pair: tuple[FrameWriter, FrameReader],
) -> None:
    writer, reader = pair
    writer.write(4, 2, solid(1), received_us=10)
    held = reader.latest()
    assert held is not None and held.received_us == 10 and bytes(held.pixels) == solid(1)
    for value in range(2, 9):  # the reader is slow: many frames go by while it paints
        writer.write(4, 2, solid(value), received_us=value)
        assert bytes(held.pixels) == solid(1)
    newest = reader.latest()
    assert newest is not None and bytes(newest.pixels) == solid(8)
    assert reader.latest() is None  # nothing newer
    assert reader.frames_written() == 8
    del held, newest


def test_two_frames_published_within_a_tick_are_both_shown_in_order(
    pair: tuple[FrameWriter, FrameReader],
) -> None:
    writer, reader = pair
    writer.write(4, 2, solid(1), received_us=1)
    first = reader.latest()
    writer.write(4, 2, solid(2), received_us=2)  # the engine was late: two before the next tick
    writer.write(4, 2, solid(3), received_us=3)
    second = reader.latest()
    assert second is not None and (second.seq, bytes(second.pixels)) == (2, solid(2))
    assert first is not None and bytes(first.pixels) == solid(1)  # still whole: not reused
    writer.write(4, 2, solid(4), received_us=4)  # written while 2 is held and 3 is unseen
    assert bytes(second.pixels) == solid(2)
    third = reader.latest()
    assert third is not None and (third.seq, bytes(third.pixels)) == (3, solid(3))
    fourth = reader.latest()
    assert fourth is not None and (fourth.seq, bytes(fourth.pixels)) == (4, solid(4))
    assert reader.latest() is None
    del first, second, third, fourth


def test_a_reader_behind_by_more_than_one_frame_jumps_to_the_newest(
    pair: tuple[FrameWriter, FrameReader],
) -> None:
    writer, reader = pair
    writer.write(4, 2, solid(1), received_us=1)
    assert reader.latest() is not None
    for value in (2, 3, 4):  # the window was away for three frames: showing 3 would lag
        writer.write(4, 2, solid(value), received_us=value)
    newest = reader.latest()
    assert newest is not None and (newest.seq, bytes(newest.pixels)) == (4, solid(4))
    del newest


def test_the_readers_size_reaches_the_writer_and_frames_fit_it(
    pair: tuple[FrameWriter, FrameReader],
) -> None:
    writer, reader = pair
    assert writer.wanted_size() == (0, 0)
    reader.request_size(730, 460)
    assert writer.wanted_size() == (730, 460)
    assert fit((1280, 720), (730, 460)) == (730, 410)
    assert fit((1280, 720), (0, 0)) == (1280, 720)
    assert fit((1280, 720), (3840, 2160)) == (1920, 1080)  # at most the slot
    assert fit((640, 360), (1921, 1081)) == (1920, 1080)


def test_a_held_frame_keeps_the_buffer_mapped_until_let_go() -> None:
    writer = FrameWriter()
    reader = same_process_reader(writer)
    writer.write(4, 2, solid(3), received_us=1)
    frame = reader.latest()
    assert frame is not None
    assert reader.close() is False  # the window still paints from it
    del frame
    assert reader.close() is True
    writer.close()


def test_the_scaler_converts_and_scales_and_keeps_the_stamp(
    pair: tuple[FrameWriter, FrameReader],
) -> None:
    writer, reader = pair
    width, height = 1280, 720
    luma = np.full((height, width), 90, np.uint8)
    write_stamp(luma, Stamp(frame_number=77, sent_at_us=123_456))
    chroma = np.full(width * height // 2, 128, np.uint8)
    i420 = rtc.VideoFrame(width, height, rtc.VideoBufferType.I420,
                          luma.tobytes() + chroma.tobytes())  # fmt: skip
    reader.request_size(730, 460)
    assert FrameScaler(writer).write(i420, received_us=5) == (730, 410)
    frame = reader.latest()
    assert frame is not None and (frame.width, frame.height, frame.stride) == (730, 410, 2920)
    pixels = np.frombuffer(frame.pixels, np.uint8).reshape(410, 730, 4)
    assert read_stamp(np.ascontiguousarray(pixels[:, :, 1])) == Stamp(77, 123_456)
    grey = pixels[300, 400]
    assert abs(int(grey[0]) - int(grey[2])) <= 2 and grey[3] == 255  # grey, opaque BGRA
    del frame, pixels, grey


def test_the_scaler_shows_an_even_size(pair: tuple[FrameWriter, FrameReader]) -> None:
    writer, reader = pair
    i420 = rtc.VideoFrame(1280, 720, rtc.VideoBufferType.I420, bytes(1280 * 720 * 3 // 2))
    reader.request_size(1895, 1065)  # the whole of an odd-sized view: 1893x1065 would fit
    assert FrameScaler(writer).write(i420, received_us=5) == (1892, 1064)


def blue_i420(width: int, height: int) -> rtc.VideoFrame:
    """A picture whose colour lives in the chroma planes: mid luma, U high (blue), V neutral."""
    chroma = ((width + 1) // 2) * ((height + 1) // 2)
    data = bytes([110]) * (width * height) + bytes([230]) * chroma + bytes([128]) * chroma
    return rtc.VideoFrame(width, height, rtc.VideoBufferType.I420, data)


@pytest.mark.parametrize("size", [(640, 360), (641, 361)], ids=["even-in-place", "odd-copied"])
def test_the_scaler_finds_the_colour_in_the_chroma_planes(
    pair: tuple[FrameWriter, FrameReader], size: tuple[int, int]
) -> None:
    writer, reader = pair
    reader.request_size(320, 180)
    width, height = FrameScaler(writer).write(blue_i420(*size), received_us=5)
    assert (width, height) in ((320, 180), (318, 180))  # an odd picture fits a little narrower
    frame = reader.latest()
    assert frame is not None
    pixels = np.frombuffer(frame.pixels, np.uint8).reshape(height, frame.stride // 4, 4)
    blue, green, red, alpha = (int(c) for c in pixels[90, 160])
    assert blue > red + 100 and blue > green + 100 and alpha == 255
    same = pixels[:, :width] == pixels[90, 160]
    assert np.all(same)  # one colour everywhere: no plane read from the wrong place
    del frame, pixels

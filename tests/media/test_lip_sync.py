from __future__ import annotations

from avatar_desktop.media.engine.lip_sync import (
    MAX_HOLD_MS,
    PICTURE_PATH_MS,
    RECORDING_STEP_MS,
    PictureDelay,
)


def test_the_picture_waits_for_the_voice_less_its_own_path() -> None:
    delay = PictureDelay()
    assert delay.update(70.0) == 70.0 - PICTURE_PATH_MS  # the first frame: at once


def test_the_hold_moves_a_millisecond_a_frame_so_frames_keep_their_order() -> None:
    delay = PictureDelay()
    delay.update(50.0)
    holds = [delay.update(150.0) for _ in range(5)]
    assert holds == [41.0, 42.0, 43.0, 44.0, 45.0]


def test_no_voice_no_hold_and_never_past_the_cap() -> None:
    delay = PictureDelay()
    assert delay.update(None) == 0.0
    other = PictureDelay()
    assert other.update(5_000.0) == MAX_HOLD_MS
    assert PictureDelay().update(3.0) == 0.0  # a voice faster than the picture: no hold


def test_when_the_voice_skips_a_backlog_the_picture_skips_with_it() -> None:
    delay = PictureDelay()
    delay.update(300.0)
    assert delay.update(280.0) == 289.0  # a small change: a millisecond a frame
    assert delay.update(40.0) == 40.0 - PICTURE_PATH_MS  # the buffer caught up: at once


def test_a_recordings_delay_follows_the_skew_five_times_faster() -> None:
    delay = PictureDelay(picture_path_ms=0.0, floor_ms=-100.0, step_ms=RECORDING_STEP_MS)
    delay.update(0.0)  # the first frame, before the first second's statistics
    holds = [delay.update(80.0) for _ in range(16)]
    assert holds[:3] == [5.0, 10.0, 15.0] and holds[-1] == 80.0  # half a second, not 2.7

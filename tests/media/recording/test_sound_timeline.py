"""Where the recording's sound goes: the voice by its own continuity, the microphone by its
capture time, both summed on one sample clock."""

from __future__ import annotations

import numpy as np

from avatar_desktop.media.recording.sound_timeline import SAMPLE_RATE, SoundTimeline

BLOCK = SAMPLE_RATE // 100


def _block(value: int) -> np.ndarray:
    return np.full(BLOCK, value, np.int16)


def _drain(timeline: SoundTimeline, final: bool = False) -> np.ndarray:
    parts = []
    while (part := timeline.ready(final)) is not None:
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def test_the_first_voice_goes_where_its_time_says_and_the_priming_stands_in_for_the_start() -> None:
    timeline = SoundTimeline(origin_s=1.0, lead_samples=480)
    timeline.voice(_block(100), 1.0)  # its first 480 samples are the encoder's priming's
    timeline.voice(_block(200), 1.01)
    out = _drain(timeline)
    assert out.tolist() == [200] * BLOCK
    late = SoundTimeline(origin_s=0.0)
    late.voice(_block(100), 0.05)  # the voice began 50 ms after the first frame
    out = _drain(late)
    assert out.size == round(0.06 * SAMPLE_RATE) and not out[:2400].any() and out[2400] == 100


def test_a_voice_block_that_comes_a_little_late_keeps_the_voice_continuous() -> None:
    timeline = SoundTimeline(origin_s=0.0)
    for i, delay in enumerate([0.0, 0.0, 0.09, 0.0]):  # the third came 90 ms late
        timeline.voice(_block(i + 1), i / 100 + delay)
    out = _drain(timeline)
    assert out.tolist() == [1] * BLOCK + [2] * BLOCK + [3] * BLOCK + [4] * BLOCK


def test_the_microphone_is_mixed_in_at_its_capture_time_once_both_have_had_time_to_come() -> None:
    timeline = SoundTimeline(origin_s=0.0, mixing=True)
    for i in range(30):
        timeline.voice(_block(1000), i / 100)
    assert timeline.ready() is not None  # all but the last 150 ms
    for i in range(30):  # the microphone's blocks of the same instants, after the voice's
        timeline.microphone(_block(7), i / 100)
    out = np.concatenate([out for out in [timeline.ready(final=True)] if out is not None])
    assert out.tolist() == [1007] * (15 * BLOCK)
    assert timeline.samples_late == 15 * BLOCK  # those whose place had been encoded


def test_with_the_voice_silent_the_microphone_is_recorded_and_sums_clip_not_wrap() -> None:
    timeline = SoundTimeline(origin_s=0.0, mixing=True)
    for i in range(20):
        timeline.microphone(_block(30_000), i / 100)
    for i in range(20):
        timeline.voice(_block(30_000), i / 100)
    out = _drain(timeline, final=True)
    assert out.size == 20 * BLOCK and out.min() == 32767


def test_a_microphone_drifting_off_its_times_is_placed_anew() -> None:
    timeline = SoundTimeline(origin_s=0.0, mixing=True)
    timeline.microphone(_block(5), 0.0)
    timeline.microphone(_block(5), 0.01 + 0.1)  # 100 ms later than its place: a new place
    out = _drain(timeline, final=True)
    assert out.size == round(0.12 * SAMPLE_RATE)
    assert out[BLOCK : round(0.11 * SAMPLE_RATE)].tolist() == [0] * round(0.1 * SAMPLE_RATE)

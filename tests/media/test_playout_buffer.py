"""The playout buffer against clock drift, simulated: the room's 10 ms frames arrive a little
faster or slower than the speaker plays, for minutes, and nothing is dropped."""

from __future__ import annotations

import time

import numpy as np
import pytest

from avatar_desktop.media.audio_output import SAMPLE_RATE, JitterBuffer

BLOCK = SAMPLE_RATE // 100


def run(drift_ppm: float, seconds: float) -> tuple[JitterBuffer, list[float], np.ndarray]:
    """Writes a 440 Hz tone at the room's rate, reads at the speaker's; returns the depths."""
    buffer = JitterBuffer()
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE)).astype(
        np.int16
    )
    room_clock, written, depths = 0.0, 0, []
    played = np.zeros(BLOCK, np.int16)
    out: list[np.ndarray] = []
    for block in range(int(seconds * 100)):
        speaker_time = (block + 1) / 100
        # the room's blocks due by now, on its own clock
        while room_clock <= speaker_time * (1 + drift_ppm * 1e-6):
            start = written % (tone.size - BLOCK)
            buffer.write(tone[start : start + BLOCK])
            written += BLOCK
            room_clock += 0.01
        buffer.read_into(played)
        depths.append(buffer.stats.depth_ms)
        if block >= int(seconds * 100) - 50:
            out.append(played.copy())
    return buffer, depths, np.concatenate(out)


@pytest.mark.parametrize("drift_ppm", [-300.0, 0.0, 300.0])
def test_drift_is_absorbed_by_resampling_without_drops_or_underruns(drift_ppm: float) -> None:
    buffer, depths, tail = run(drift_ppm, seconds=180)
    assert buffer.stats.dropped_samples == 0 and buffer.stats.overflows == 0
    assert buffer.stats.underruns == 0
    settled = sorted(depths[len(depths) // 3 :])
    assert 20 <= settled[len(settled) // 2] <= 60, settled[len(settled) // 2]  # after a read
    assert abs(buffer.stats.rate_ratio - 1) <= JitterBuffer.MAX_RATE_CHANGE
    # The resampled tone stays a clean tone: no jumps between neighbouring samples beyond
    # what a 440 Hz sine of this level has (plus a little for the interpolation).
    steps = np.abs(np.diff(tail.astype(np.int32)))
    assert steps.max() <= 8000 * 2 * np.pi * 440 / SAMPLE_RATE * 1.1 + 2


def test_a_stall_underruns_once_then_primes_again() -> None:
    buffer = JitterBuffer()
    out = np.zeros(BLOCK, np.int16)
    for _ in range(5):  # 50 ms, then the room stalls
        buffer.write(np.full(BLOCK, 100, np.int16))
    reads = 0
    while buffer.stats.underruns == 0 and reads < 8:
        buffer.read_into(out)
        reads += 1
    assert buffer.stats.underruns == 1 and reads in (5, 6)  # the last samples, then silence
    assert not out[-1]
    buffer.read_into(out)  # not primed again until the target depth is back
    assert buffer.stats.underruns == 1 and not out.any()
    for _ in range(4):
        buffer.write(np.full(BLOCK, 7, np.int16))
    buffer.read_into(out)
    assert out.min() == 7


def test_a_late_frame_is_counted_and_the_underrun_says_how_long_the_room_was_silent() -> None:
    buffer = JitterBuffer()
    out = np.zeros(BLOCK, np.int16)
    for _ in range(5):
        buffer.write(np.full(BLOCK, 100, np.int16))
    buffer.read_into(out)  # the speaker plays
    time.sleep(0.04)  # the room's next frame comes 40 ms late
    buffer.write(np.full(BLOCK, 100, np.int16))
    assert buffer.stats.late_writes == 1 and buffer.stats.longest_write_gap_ms >= 40
    while buffer.stats.underruns == 0:
        buffer.read_into(out)
    assert buffer.stats.underrun_write_gaps_ms == [pytest.approx(0, abs=20)]


def test_what_arrives_before_the_speaker_starts_is_not_kept_as_latency() -> None:
    buffer = JitterBuffer()
    for _ in range(150):  # 1.5 s while the device opens
        buffer.write(np.full(BLOCK, 5, np.int16))
    assert buffer.stats.depth_ms <= 40 and buffer.stats.dropped_samples == 0
    assert buffer.stats.discarded_before_start == 146 * BLOCK
    out = np.zeros(BLOCK, np.int16)
    buffer.read_into(out)
    for _ in range(100):  # playing: from now on nothing is let go
        buffer.write(np.full(BLOCK, 5, np.int16))
        buffer.read_into(out)
    assert buffer.stats.discarded_before_start == 146 * BLOCK
    assert buffer.stats.dropped_samples == 0 and buffer.stats.underruns == 0


def test_a_burst_after_a_stall_is_skipped_down_to_the_target_without_a_click() -> None:
    buffer = JitterBuffer()
    out = np.zeros(BLOCK, np.int16)
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE)).astype(
        np.int16
    )
    written = 0

    def write(blocks: int) -> None:
        nonlocal written
        for _ in range(blocks):
            buffer.write(tone[written : written + BLOCK])
            written += BLOCK

    write(4)
    played = []
    for _ in range(50):  # steady
        write(1)
        buffer.read_into(out)
        played.append(out.copy())
    write(30)  # the engine was starved: 300 ms at once
    for _ in range(20):
        write(1)
        buffer.read_into(out)
        played.append(out.copy())
    assert buffer.stats.catch_ups == 1 and buffer.stats.depth_ms <= 60
    assert buffer.stats.caught_up_samples >= 25 * BLOCK
    steps = np.abs(np.diff(np.concatenate(played).astype(np.int32)))
    assert steps.max() <= 8000 * 2 * np.pi * 440 / SAMPLE_RATE * 2.5, steps.max()  # no click

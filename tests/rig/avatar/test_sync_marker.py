from __future__ import annotations

import numpy as np

from avatar_desktop.rig.avatar.speech import SAMPLE_RATE, SpeechSynthesizer
from avatar_desktop.rig.avatar.stamp import Stamp, read_stamp, write_stamp
from avatar_desktop.rig.avatar.sync_marker import ToneMixer, find_tones, is_marker_frame
from avatar_desktop.rig.avatar.voice import FRAME_SAMPLES


def test_the_marker_flag_survives_the_stamp_and_leaves_the_counter_alone() -> None:
    luma = np.full((720, 1280), 90, np.uint8)
    write_stamp(luma, Stamp(4321, 987_654, marker=True))
    assert read_stamp(luma) == Stamp(4321, 987_654, marker=True)
    write_stamp(luma, Stamp(4322, 987_700))
    assert read_stamp(luma) == Stamp(4322, 987_700, marker=False)


def test_one_marker_frame_a_second() -> None:
    assert [n for n in range(90) if is_marker_frame(n, 30)] == [15, 45, 75]


def test_tones_start_when_announced_and_are_found_there_under_speech() -> None:
    """The mixer places each tone by emission time; the finder recovers it within 1 ms from
    real speech with the tones mixed in."""
    speech = SpeechSynthesizer().synthesize(
        "Lips and voice belong together; this sentence runs over several marker tones."
    )
    mixer = ToneMixer(SAMPLE_RATE)
    due = [0.5003, 1.5011, 2.4997]
    for at in due:
        mixer.announce(at)
    frames = -(-max(speech.size, 3 * SAMPLE_RATE) // FRAME_SAMPLES)
    padded = np.zeros(frames * FRAME_SAMPLES, np.int16)
    padded[: speech.size] = speech
    out = np.concatenate(
        [
            mixer.mix(padded[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES], i / 100)
            for i in range(frames)
        ]
    )
    assert mixer.late == 0
    found = [i / SAMPLE_RATE for i in find_tones(out, SAMPLE_RATE)]
    assert len(found) == len(due)
    for got, want in zip(found, due, strict=True):
        assert abs(got - want) < 0.001, (got, want)
    assert find_tones(padded, SAMPLE_RATE) == []  # speech alone holds no marker


def test_a_tone_announced_too_late_starts_at_once_and_is_counted() -> None:
    mixer = ToneMixer(SAMPLE_RATE)
    mixer.announce(0.0)
    out = mixer.mix(np.zeros(FRAME_SAMPLES, np.int16), 0.005)
    assert mixer.late == 1
    assert np.abs(out[:48]).max() > 0

"""The speaker's and the microphone's clocks made one for the echo canceller: the ratio read off
the echo, the played sound resampled onto the microphone's clock without a jump, and the real
AEC3 in a simulated kitchen whose two clocks differ by 100 ppm."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from livekit import rtc

from avatar_desktop.media.clock_drift import FRAME, SAMPLE_RATE, EchoDrift, ReferenceResampler
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from avatar_desktop.rig.avatar.vad import VoiceActivityDetector
from tests.acoustic_room import KITCHEN, AcousticRoom


def test_nothing_is_guessed_without_an_echo_to_measure() -> None:
    drift = EchoDrift()
    rng = np.random.default_rng(2)
    for _ in range(3000):  # half a minute: the avatar talking, the microphone hearing a fan
        drift.played(rng.integers(-8000, 8000, FRAME).astype(np.int16))
        drift.captured(rng.integers(-30, 30, FRAME).astype(np.int16))
        drift.step()
    assert drift.measured == 0 and drift.ppm == 0.0


def test_the_ratio_applied_moves_slowly_towards_the_estimate() -> None:
    drift = EchoDrift()
    drift.target = 1 - 100e-6
    applied = [drift.step() for _ in range(2000)]  # twenty seconds of played blocks
    assert max(abs(b - a) for a, b in itertools.pairwise(applied)) <= 0.1e-6 + 1e-12
    assert applied[99] == pytest.approx(1 - 10e-6)  # 10 ppm a second
    assert drift.ppm == -100.0


def run(
    resampler: ReferenceResampler, signal: npt.NDArray[np.int16], ratio: float
) -> npt.NDArray[np.int16]:
    frames = [resampler.push(block, ratio) for block in signal.reshape(-1, FRAME)]
    return np.concatenate([f for batch in frames for f in batch])


def test_at_one_rate_the_played_sound_passes_unchanged() -> None:
    signal = np.random.default_rng(1).integers(-20000, 20000, 100 * FRAME).astype(np.int16)
    out = run(ReferenceResampler(), signal, 1.0)
    assert out.size >= signal.size - FRAME
    assert np.array_equal(out, signal[: out.size])


def test_taking_over_from_the_sound_as_played_keeps_a_frame_per_block() -> None:
    """The canceller must not see a frame go missing at the switch: from the first block on,
    one frame a block, the stream 8 samples behind what was passed before (no gap, no jump)."""
    signal = np.random.default_rng(2).integers(-20000, 20000, 20 * FRAME).astype(np.int16)
    blocks = signal.reshape(-1, FRAME)
    resampler = ReferenceResampler(before=blocks[4])
    frames = [resampler.push(block, 1.0) for block in blocks[5:]]
    assert [len(batch) for batch in frames] == [1] * len(frames)
    out = np.concatenate([batch[0] for batch in frames])
    start = 5 * FRAME - 8
    assert np.array_equal(out, signal[start : start + out.size])


def test_a_drifting_rate_stretches_the_sound_without_a_jump() -> None:
    ratio = 1 - 100e-6  # the microphone's clock slower: fewer played samples per captured one
    n = np.arange(60 * SAMPLE_RATE)
    tone = (12000 * np.sin(2 * np.pi * 1000 * n / SAMPLE_RATE)).astype(np.int16)
    out = run(ReferenceResampler(), tone, ratio).astype(np.float64)
    assert abs(out.size - tone.size / ratio) <= 2 * FRAME  # 288 samples more over the minute
    expected = 12000 * np.sin(2 * np.pi * 1000 * np.arange(out.size) * ratio / SAMPLE_RATE)
    error = out[FRAME:] - expected[FRAME:]
    assert 20 * np.log10(np.sqrt(np.mean(error**2)) / 12000) < -60  # no click, no jump


def test_the_canceller_in_a_kitchen_with_two_clocks_hears_no_false_turn() -> None:
    """Five minutes of answers through the kitchen at 0 dB with the microphone's clock 100 ppm
    off: without the resampling AEC3's render buffer slipped a frame every ~80 s and the rig's
    VAD heard 3 false turns (0.10-0.19 s at 141, 221, 283 s); with it, none, and the ratio is
    found from the echo within a minute."""
    spec = replace(KITCHEN.with_coupling(0.0), drift_ppm=-100.0)
    room = AcousticRoom(spec)
    answer = SpeechSynthesizer().synthesize(
        "Open the settings and pick another microphone from the list; the change applies at "
        "once, and the avatar hears you through it from the next word."
    )
    seconds = 300
    played = np.zeros(seconds * SAMPLE_RATE, np.int16)
    for start in range(1, seconds, 20):
        at = start * SAMPLE_RATE
        played[at : at + answer.size] = answer[: played.size - at]
    apm = rtc.AudioProcessingModule(echo_cancellation=True, noise_suppression=True,
                                    high_pass_filter=True)  # fmt: skip
    drift, resampler, vad = EchoDrift(), ReferenceResampler(), VoiceActivityDetector()
    owed, started_at, found_at = 0.0, [], None
    for i, block in enumerate(played.reshape(-1, FRAME)):
        room.push(block)
        drift.played(block)
        for reference in resampler.push(block, drift.step()):
            apm.process_reverse_stream(rtc.AudioFrame(reference.tobytes(), SAMPLE_RATE, 1, FRAME))
        owed += FRAME / room.drift_ratio
        while owed >= FRAME and room.queued >= FRAME:
            owed -= FRAME
            heard = np.clip(np.round(room.pull()), -32768, 32767).astype(np.int16)
            drift.captured(heard)
            capture = rtc.AudioFrame(heard.tobytes(), SAMPLE_RATE, 1, FRAME)
            apm.set_stream_delay_ms(0)
            apm.process_stream(capture)
            if vad.feed(np.frombuffer(capture.data, np.int16)) == "started" and i > 800:
                started_at.append(i / 100)  # past the first answer (the app's warm-up)
        if found_at is None and abs(drift.ppm - spec.drift_ppm) <= 5:
            found_at = i / 100
    assert found_at is not None and found_at <= 60, found_at
    assert drift.ppm == pytest.approx(spec.drift_ppm, abs=5.0)
    assert started_at == []


def test_the_ratio_holds_across_speaker_underflows() -> None:
    """A speaker underflow plays silence the canceller never saw: the echo comes 10 ms later
    from there on. PortAudio reports its own underflows (``broken()``), not the sound server's.
    On the rig under load the target went to the 1000 ppm limit after one (2026-12-07); a
    least-squares line through the points on both sides of an unreported one went to -576 ppm
    here. The robust fit stays on the clock."""
    spec = replace(KITCHEN.with_coupling(0.0), drift_ppm=-100.0)
    room = AcousticRoom(spec)
    answer = SpeechSynthesizer().synthesize(
        "The settings keep your key in the keychain; nothing else on this computer reads it."
    )
    seconds, reported, unreported = 120, {4250, 4290}, {6750}  # each in the middle of an answer
    played = np.zeros(seconds * SAMPLE_RATE, np.int16)
    for start in range(1, seconds, 8):
        at = start * SAMPLE_RATE
        played[at : at + answer.size] = answer[: played.size - at]
    drift, owed, targets = EchoDrift(), 0.0, []
    for i, block in enumerate(played.reshape(-1, FRAME)):
        if i in reported | unreported:
            room.push(np.zeros(FRAME, np.int16))  # what the device played in the gap
            owed += FRAME / room.drift_ratio
            if i in reported:
                drift.broken()
        room.push(block)
        drift.played(block)
        drift.step()
        owed += FRAME / room.drift_ratio
        while owed >= FRAME and room.queued >= FRAME:
            owed -= FRAME
            drift.captured(np.clip(np.round(room.pull()), -32768, 32767).astype(np.int16))
        if drift.measured >= 10:
            targets.append((drift.target - 1) * 1e6)
    assert drift.breaks == 2 and drift.measured >= 50
    assert 1 <= drift.off_line <= 10  # the unreported jump shows
    worst = max(targets, key=lambda t: abs(t - spec.drift_ppm))
    assert abs(worst - spec.drift_ppm) <= 5.0, worst
    assert drift.ppm == pytest.approx(spec.drift_ppm, abs=2.0)

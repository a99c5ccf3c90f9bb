"""The simulated room's DSP: the impulse response has the asked shape, the streaming
convolution equals a direct one, drift consumes the asked share more input, and the room is
cheap enough for real time."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.acoustic_room import (
    BLOCK,
    KITCHEN,
    OFFICE,
    RATE,
    ROOMS,
    AcousticRoom,
    DriftResampler,
    PartitionedConvolver,
    impulse_response,
    soft_clip,
)


@pytest.mark.parametrize("spec", ROOMS, ids=lambda s: s.name)
def test_impulse_response_has_its_direct_path_and_decay(spec: object) -> None:
    from tests.acoustic_room import RoomSpec

    assert isinstance(spec, RoomSpec)
    h = impulse_response(spec)
    direct = round(spec.direct_ms * RATE / 1000)
    assert np.all(h[:direct] == 0) and h[direct] >= 0.99
    # The tail's energy in successive 50 ms windows decays ~60 dB per RT60.
    start = direct + int(0.02 * RATE)
    win = int(0.05 * RATE)
    energies = [np.sum(h[start + i * win : start + (i + 1) * win] ** 2) for i in range(3)]
    slope_db_per_s = 10 * np.log10(energies[2] / energies[0]) / 0.1
    assert abs(slope_db_per_s + 60 / spec.rt60_s) < 0.35 * 60 / spec.rt60_s
    reverb_db = 10 * np.log10(np.sum(h[direct + 1 :] ** 2))
    assert abs(reverb_db - spec.tail_db) < 1.5


def test_partitioned_convolution_equals_direct_convolution() -> None:
    rng = np.random.default_rng(0)
    h = rng.standard_normal(3 * BLOCK + 17)
    x = rng.standard_normal(8 * BLOCK)
    conv = PartitionedConvolver(h)
    streamed = np.concatenate([conv.process(x[i : i + BLOCK]) for i in range(0, x.size, BLOCK)])
    assert np.allclose(streamed, np.convolve(x, h)[: x.size], atol=1e-9)


def test_drift_resampler_consumes_the_asked_extra_input() -> None:
    fast = DriftResampler(100.0)
    fast.push(np.arange(200_000, dtype=np.float64))
    out = np.concatenate([fast.pull(BLOCK) for _ in range(400)])
    assert out[-1] == pytest.approx((out.size - 1) * (1 + 100e-6), abs=1e-6)


def test_soft_clip_limits_and_is_linear_when_quiet() -> None:
    assert soft_clip(np.array([0.001]), 2.0)[0] == pytest.approx(0.001, rel=1e-3)
    assert soft_clip(np.array([1.0]), 2.0)[0] < 0.5
    assert np.all(soft_clip(np.array([0.3]), 0.0) == 0.3)


def test_room_gain_and_noise_levels() -> None:
    spec = OFFICE.with_coupling(-12.0)
    room = AcousticRoom(spec)
    quiet = np.concatenate([room.pull() for _ in range(100)])
    noise_dbfs = 20 * np.log10(np.sqrt(np.mean(quiet**2)) / 32768)
    assert abs(noise_dbfs - spec.noise_dbfs) < 2.0
    tone = (3000 * np.sin(2 * np.pi * 500 * np.arange(RATE) / RATE)).astype(np.int16)
    room.push(tone)
    heard = np.concatenate([room.pull() for _ in range(room.queued // BLOCK)])
    ratio_db = 20 * np.log10(np.std(heard[RATE // 4 :]) / np.std(tone.astype(np.float64)))
    # Direct path at the coupling, plus the reverberation's energy on top (a few dB).
    assert spec.coupling_db - 1 < ratio_db < spec.coupling_db + 4
    assert room.blocks_short == 100


def test_room_runs_far_faster_than_real_time() -> None:
    room = AcousticRoom(KITCHEN.with_coupling(0.0))
    block = (np.random.default_rng(1).standard_normal(BLOCK) * 3000).astype(np.int16)
    started = time.process_time()
    for _ in range(300):
        room.push(block)
        room.pull()
    per_block_ms = (time.process_time() - started) / 300 * 1000
    assert per_block_ms < 5.0, per_block_ms  # 10 ms of real time per block

"""The residual echo gate and the echo delay estimator on synthetic energies: echo alone is
attenuated once learned, the user's voice over it passes whole, nothing is gated while the
avatar is quiet, and the delay is found from the envelopes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from avatar_desktop.media.echo_gate import FRAME, EchoDelayEstimator, ResidualEchoGate


def _speech_like_energies(blocks: int, seed: int, rms: float = 3000.0) -> npt.NDArray[np.float64]:
    """Syllable-rate bursts of 10 ms energies."""
    rng = np.random.default_rng(seed)
    envelope = np.clip(np.sin(np.arange(blocks) * 2 * np.pi / 25 + rng.uniform(0, 6)), 0.05, None)
    energies: npt.NDArray[np.float64] = (
        rms * envelope * rng.uniform(0.5, 1.5, blocks)
    ) ** 2 * FRAME
    return energies


def _block(energy: float, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    noise = rng.standard_normal(FRAME)
    block: npt.NDArray[np.int16] = np.clip(noise * np.sqrt(energy / FRAME), -32768, 32767).astype(
        np.int16
    )
    return block


def _run(
    gate: ResidualEchoGate, ref: npt.NDArray[np.float64], mic: npt.NDArray[np.float64]
) -> list[float]:
    """The published energy per block; the microphone's block k echoes reference k - delay."""
    rng = np.random.default_rng(7)
    out = []
    for k in range(ref.size):
        gate.reference(float(ref[k]))
        samples = _block(float(mic[k]), rng)
        energy = float(np.sum(samples.astype(np.float64) ** 2))
        published = gate.process(samples, energy)
        out.append(float(np.sum(published.astype(np.float64) ** 2)))
    return out


def test_echo_alone_is_attenuated_once_learned() -> None:
    ref = _speech_like_energies(1000, 1)
    residual = np.roll(ref, 5) * 10 ** (-25 / 10)  # the canceller left -25 dB
    gate = ResidualEchoGate()
    gate.delay_blocks = 5
    out = np.array(_run(gate, ref, residual))
    loud = (32768 * 10 ** (-50 / 20)) ** 2 * FRAME  # well below the rig VAD's -42 dBFS
    assert np.sum(residual[300:] > loud) > 100  # the residual alone would be heard
    assert np.sum(out[300:] > loud) == 0
    assert -30 < gate.residual_ratio_db < -18


def test_the_user_over_the_echo_passes_whole() -> None:
    ref = _speech_like_energies(1200, 2)
    residual = np.roll(ref, 5) * 10 ** (-25 / 10)
    user = np.zeros_like(ref)
    user[800:1000] = (2000.0**2) * FRAME  # -24 dBFS, the avatar's residual about -35 dBFS
    gate = ResidualEchoGate()
    gate.delay_blocks = 5
    out = _run(gate, ref, residual + user)
    passed = sum(out[800:1000]) / (residual[800:1000] + user[800:1000]).sum()
    assert passed > 0.9, passed
    assert gate.double_talk_blocks >= 190


def test_nothing_is_gated_while_the_avatar_is_quiet() -> None:
    ref = np.zeros(500)
    user = _speech_like_energies(500, 3, rms=300.0)
    gate = ResidualEchoGate()
    out = _run(gate, ref, user)
    assert gate.gated_blocks == 0
    assert np.allclose(sum(out), user.sum(), rtol=0.1)


def test_the_delay_is_found_from_the_envelopes() -> None:
    ref = _speech_like_energies(800, 4)
    rng = np.random.default_rng(5)
    mic = np.roll(ref, 12) * 0.3 + rng.uniform(0, 1, ref.size) * ref.mean() * 0.05
    estimator = EchoDelayEstimator()
    for r, m in zip(ref, mic, strict=True):
        estimator.feed(float(r), float(m))
    assert estimator.delay_blocks == 12
    assert estimator.confidence > 0.8


def test_a_burst_of_residual_without_a_louder_microphone_is_not_taken_for_the_user() -> None:
    """The canceller losing the room for half a second: its output jumps to the raw echo's
    level, but the raw microphone is no louder than the room makes it, so it stays gated."""
    ref = _speech_like_energies(1000, 6)
    raw = np.roll(ref, 5)
    residual = raw * 10 ** (-25 / 10)
    residual[600:650] = raw[600:650]  # diverged
    gate = ResidualEchoGate()
    gate.delay_blocks = 5
    rng = np.random.default_rng(8)
    out = []
    for k in range(ref.size):
        gate.reference(float(ref[k]))
        samples = _block(float(residual[k]), rng)
        energy = float(np.sum(samples.astype(np.float64) ** 2))
        published = gate.process(samples, energy, float(raw[k]))
        out.append(float(np.sum(published.astype(np.float64) ** 2)))
    assert sum(out[600:650]) < 0.01 * residual[600:650].sum()


def test_the_user_as_loud_as_the_echo_is_heard_within_half_a_second() -> None:
    """0 dB coupling: the user's voice at the microphone no louder than the avatar's echo (its
    syllables make the raw level jump around the room's prediction block by block)."""
    ref = _speech_like_energies(1200, 9)
    raw = np.roll(ref, 5)
    residual = raw * 10 ** (-30 / 10)
    user = np.zeros_like(ref)
    user[800:1000] = _speech_like_energies(200, 10)
    user[800:1000] *= raw[700:800].mean() / user[800:1000].mean()  # as loud as the echo
    gate = ResidualEchoGate()
    gate.delay_blocks = 5
    rng = np.random.default_rng(11)
    fed = passed = 0.0
    for k in range(ref.size):
        gate.reference(float(ref[k]))
        samples = _block(float(residual[k] + user[k]), rng)
        energy = float(np.sum(samples.astype(np.float64) ** 2))
        published = gate.process(samples, energy, float(raw[k] + user[k]))
        if k == 799:
            assert gate.double_talk_blocks == 0
        if k == 850:
            assert gate.double_talk_blocks > 0, "not heard in the first 0.5 s"
        if k >= 800:
            fed += energy
            passed += float(np.sum(published.astype(np.float64) ** 2))
    assert passed > 0.8 * fed, passed / fed

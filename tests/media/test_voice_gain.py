"""The gain stage behind the echo gate: it lifts a quiet user's voice, never the room's noise in
the quiet and never the echo while the avatar speaks, and it lifts the user talking over the
avatar once the gate has taken them for the user."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from avatar_desktop.media.voice_gain import FRAME, VoiceGain


def _block(rms: float, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    block: npt.NDArray[np.int16] = np.round(rng.standard_normal(FRAME) * rms).astype(np.int16)
    return block


def _energy(block: npt.NDArray[np.int16]) -> float:
    return float(np.sum(block.astype(np.float64) ** 2))


def _feed(
    gain: VoiceGain, rms: float, blocks: int, avatar_loud: bool = False, user: bool = False
) -> float:
    """Published over fed, in dB, over the last half of ``blocks``."""
    rng = np.random.default_rng(3)
    fed = out = 0.0
    for k in range(blocks):
        block = _block(rms, rng)
        published = gain.process(block, _energy(block), avatar_loud, user)
        if k >= blocks // 2:
            fed += _energy(block)
            out += _energy(published)
    return 10 * float(np.log10(out / fed))


def test_the_quiet_before_the_avatar_speaks_raises_no_gain() -> None:
    gain = VoiceGain()
    _feed(gain, rms=30.0, blocks=500)  # a room's noise at about -60 dBFS, 5 s
    assert gain.gain_db == 0.0


def test_a_quiet_voice_is_lifted_towards_the_target() -> None:
    gain = VoiceGain()
    _feed(gain, rms=30.0, blocks=200)  # the noise floor first
    lifted_db = _feed(gain, rms=600.0, blocks=300)  # a voice at about -35 dBFS
    assert 10.0 < gain.gain_db <= VoiceGain.MAX_GAIN_DB
    assert abs(lifted_db - gain.gain_db) < 1.0


def test_the_echo_is_never_lifted_and_teaches_nothing() -> None:
    gain = VoiceGain()
    _feed(gain, rms=30.0, blocks=200)
    _feed(gain, rms=600.0, blocks=300)
    learned = gain.gain_db
    echo_db = _feed(gain, rms=3000.0, blocks=300, avatar_loud=True)  # what the canceller left
    assert abs(echo_db) < 0.1
    assert gain.gain_db == learned


def test_the_user_over_the_avatar_gets_the_voice_gain() -> None:
    gain = VoiceGain()
    _feed(gain, rms=30.0, blocks=200)
    _feed(gain, rms=600.0, blocks=300)
    over_db = _feed(gain, rms=600.0, blocks=100, avatar_loud=True, user=True)
    assert abs(over_db - gain.gain_db) < 1.0


def test_loud_blocks_are_not_clipped_by_the_gain() -> None:
    gain = VoiceGain()
    _feed(gain, rms=30.0, blocks=200)
    _feed(gain, rms=600.0, blocks=300)
    assert gain.gain_db > 10.0
    rng = np.random.default_rng(5)
    shout = _block(5000.0, rng)  # peaks near -4 dBFS: the learned gain would clip them
    published = gain.process(shout, _energy(shout), False, False)
    published = gain.process(shout, _energy(shout), False, False)
    assert int(np.max(np.abs(published.astype(np.int32)))) <= VoiceGain.PEAK_LIMIT

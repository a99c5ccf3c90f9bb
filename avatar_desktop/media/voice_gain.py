"""Gain control for the published microphone that never lifts the avatar's echo.

WebRTC's AGC inside the processing module sits before the residual echo gate and knows
nothing of the speaker: it raised its gain in the quiet before the avatar spoke and lifted
what the canceller left by as much (measured in the simulated rooms of #19: ERLE 1-17 dB with
it, 22-45 dB without). This stage comes after the gate instead. It learns the user's speech
level only from blocks that are voice with the avatar quiet, and applies its gain only where
the echo cannot be: while the avatar is quiet, or on blocks the gate passes as the user
talking over it. Everything else (the gate's attenuated residual) goes out at unity gain.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FRAME = 480


class VoiceGain:
    """A slow gain towards ``TARGET_DBFS`` of speech, between 0 dB and ``MAX_GAIN_DB``."""

    TARGET_DBFS = -23.0  # the speech's RMS over its voiced blocks
    MAX_GAIN_DB = 18.0
    VOICE_OVER_FLOOR_DB = 10.0  # a block this far above the noise floor is voice
    # A voice into a laptop's microphone is -40 to -20 dBFS; a television's babble across
    # the room (-55 dBFS in the living room of #19) must not pass for a quiet user.
    MIN_VOICE_DBFS = -45.0
    LEVEL_MEMORY = 0.98  # per voiced block: about half a second of speech
    FLOOR_RISE = 1.001  # per block: the floor follows a louder room within a few seconds
    PEAK_LIMIT = 32000.0

    def __init__(self) -> None:
        self._target = (32768 * 10 ** (self.TARGET_DBFS / 20)) ** 2 * FRAME
        self._min_voice = (32768 * 10 ** (self.MIN_VOICE_DBFS / 20)) ** 2 * FRAME
        self._over_floor = 10 ** (self.VOICE_OVER_FLOOR_DB / 10)
        self._max_gain = 10 ** (self.MAX_GAIN_DB / 20)
        self._floor: float | None = None
        self._level: float | None = None  # the speech's energy per block, smoothed
        self._applied = 1.0
        self.gain = 1.0  # what the user's voice gets now

    @property
    def gain_db(self) -> float:
        return round(20 * float(np.log10(self.gain)), 1)

    def _learn(self, energy: float) -> None:
        floor = self._floor
        self._floor = energy if floor is None else min(energy, floor * self.FLOOR_RISE)
        if energy < self._min_voice or energy < self._floor * self._over_floor:
            return
        level = self._level
        self._level = (
            energy
            if level is None
            else self.LEVEL_MEMORY * level + (1 - self.LEVEL_MEMORY) * energy
        )
        wanted = (self._target / self._level) ** 0.5
        self.gain = min(self._max_gain, max(1.0, wanted))

    def process(
        self, samples: npt.NDArray[np.int16], energy: float, avatar_loud: bool, user: bool
    ) -> npt.NDArray[np.int16]:
        """``samples`` (after the gate, ``energy`` their sum of squares before it): what to
        publish. ``avatar_loud``: the speaker (or its echo's tail) may be in the block;
        ``user``: the gate took the block for the user talking over it."""
        if not avatar_loud:
            self._learn(energy)
        target = self.gain if (user or not avatar_loud) else 1.0
        peak = float(np.max(np.abs(samples.astype(np.float32)))) if samples.size else 0.0
        if peak * target > self.PEAK_LIMIT:
            target = max(1.0, self.PEAK_LIMIT / peak)
        if target == self._applied == 1.0:
            return samples
        ramp = np.linspace(self._applied, target, samples.size, dtype=np.float32)
        self._applied = target
        out = np.round(samples.astype(np.float32) * ramp)
        return np.clip(out, -32768, 32767).astype(np.int16)

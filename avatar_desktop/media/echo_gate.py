"""What a call app adds after the echo canceller: a double-talk aware gate on the published
microphone (and an estimate of the echo's delay from the envelopes, reported).

AEC3 leaves a residual when the room is loud and reverberant and the loudspeaker distorts (a
laptop at 0 dB coupling): tens of milliseconds above the rig's VAD threshold are enough for a
false user turn. The gate predicts, per 10 ms block, how much residual the avatar's voice can
leave: the loudest reference block around the echo's delay (and its decaying tail, the room's
reverberation) times the residual's share of the reference, learned over the blocks not taken
for the user. Three blocks in a row well above that prediction, with the raw microphone over
those three blocks also above what the room alone gives (summed: at 0 dB coupling the user is
no louder than the echo, and block by block the syllables of both cross the prediction), are
the user (double talk): they pass whole, held open 200 ms so the gaps between syllables do not
chop the words. A block the prediction explains is attenuated. The gate does nothing while the
avatar is quiet, so it never turns into the half-duplex mute that would stop the user from
interrupting.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FRAME = 480


class EchoDelayEstimator:
    """The delay (in 10 ms blocks) between the reference and its echo at the microphone: the
    lag that best correlates their amplitude envelopes over the last few seconds."""

    def __init__(self, max_lag: int = 60, window: int = 300, every: int = 50) -> None:
        self.max_lag = max_lag
        self._ref = np.zeros(window + max_lag)
        self._mic = np.zeros(window + max_lag)
        self._count = 0
        self._every = every
        self.delay_blocks: int | None = None
        self.confidence = 0.0

    def feed(self, reference_energy: float, mic_energy: float) -> None:
        self._ref = np.roll(self._ref, -1)
        self._mic = np.roll(self._mic, -1)
        self._ref[-1] = reference_energy**0.5
        self._mic[-1] = mic_energy**0.5
        self._count += 1
        if self._count % self._every == 0 and self._count >= self._ref.size:
            self._estimate()

    def _estimate(self) -> None:
        n = self._ref.size - self.max_lag
        mic = self._mic[-n:] - self._mic[-n:].mean()
        if not np.any(self._ref[-n - self.max_lag :] > 0):
            return
        scores = np.empty(self.max_lag + 1)
        for lag in range(self.max_lag + 1):
            ref = self._ref[self._ref.size - n - lag : self._ref.size - lag]
            ref = ref - ref.mean()
            denom = float(np.sqrt(np.sum(ref**2) * np.sum(mic**2)))
            scores[lag] = float(np.sum(ref * mic)) / denom if denom > 0 else 0.0
        best = int(np.argmax(scores))
        if scores[best] > 0.4:
            self.delay_blocks = best
            self.confidence = round(float(scores[best]), 2)


class ResidualEchoGate:
    """Attenuates blocks explained by the avatar's echo; passes the user's voice over it."""

    MARGIN_DB = 10.0  # the user must exceed the predicted residual by this much
    ONSET_BLOCKS = 3  # ... for this many blocks in a row
    RAW_MARGIN_DB = 3.0  # and the raw microphone must exceed the room's echo by this much
    ATTENUATION_DB = -30.0
    HOLD_BLOCKS = 20  # 200 ms open after the user's last block: the gaps between syllables
    TAIL_DECAY_DB = 1.0  # per block: a 0.6 s RT60, the longest a home room has
    QUIET_DBFS = -55.0  # a reference below this is the avatar quiet; a residual, harmless
    FORGET = 0.97  # the residual ratio's memory, per block (~0.3 s)
    RELEARN_BLOCKS = 300  # 3 s taken for the user with the avatar loud: the ratios were wrong

    def __init__(self, history: int = 80) -> None:
        self._ref = np.zeros(history)
        self._tail = 0.0
        self.delay_blocks = 0
        self.spread_blocks = 2
        # The residual's share of the reference energy, as a ratio of decayed sums; it starts
        # at 1 (the canceller not converged yet: all of the echo left).
        self._num = 1.0
        self._den = 1.0
        self._gain = 1.0
        self._hold = 0
        self._above = 0
        self._voice_run = 0
        self._raw_num = 1.0  # the room's coupling (microphone before the canceller / reference)
        self._raw_den = 1.0
        self._raw_margin = 10 ** (self.RAW_MARGIN_DB / 10)
        # The raw microphone and the room's prediction over the last ONSET_BLOCKS: a voice as
        # loud as the echo (0 dB coupling) lifts their sum by 3 dB, while block by block the
        # syllables of both put it above and below the prediction (measured: a user over the
        # echo at 0 dB heard after 1.9 s, or not at all, with a per-block test).
        self._raw_recent = np.zeros(self.ONSET_BLOCKS)
        self._raw_predicted = np.zeros(self.ONSET_BLOCKS)
        self._margin = 10 ** (self.MARGIN_DB / 10)
        self._quiet = (32768 * 10 ** (self.QUIET_DBFS / 20)) ** 2 * FRAME
        self._decay = 10 ** (-self.TAIL_DECAY_DB / 10)
        self.gated_blocks = 0
        self.double_talk_blocks = 0
        # The last block's verdict, for the gain stage behind the gate (voice_gain.py).
        self.avatar_loud = False  # the echo (or its tail) could be in it
        self.passed_user = False  # taken for the user talking over the avatar

    @property
    def residual_ratio_db(self) -> float:
        return 10 * float(np.log10(max(self._num, 1e-12) / max(self._den, 1e-12)))

    def reference(self, energy: float) -> None:
        """The energy of the block the speaker played (10 ms)."""
        self._ref = np.roll(self._ref, -1)
        self._ref[-1] = energy

    def _driver(self) -> float:
        """The reference energy that the echo in the current microphone block comes from: the
        loudest block played between ``delay_blocks - 2`` and ``delay_blocks + spread_blocks``
        ago (the delay is known only so well), and the reverberation of what came before."""
        newest = self._ref.size - 1 - max(0, self.delay_blocks - 2)
        oldest = max(0, self._ref.size - 1 - self.delay_blocks - self.spread_blocks)
        near = float(np.max(self._ref[oldest : newest + 1])) if newest >= oldest else 0.0
        self._tail = max(near, self._tail * self._decay)
        return self._tail

    def learn(self, energy: float, raw_energy: float) -> None:
        """A block the canceller is still learning from (the first second of the avatar's
        voice, which the microphone holds back anyway): all of it counts as residual."""
        driver = self._driver()
        if driver > self._quiet:
            self._num = self.FORGET * self._num + energy
            self._den = self.FORGET * self._den + driver
            self._raw_num = self.FORGET * self._raw_num + raw_energy
            self._raw_den = self.FORGET * self._raw_den + driver

    def process(
        self, samples: npt.NDArray[np.int16], energy: float, raw_energy: float | None = None
    ) -> npt.NDArray[np.int16]:
        """``samples`` after the canceller (``energy`` their sum of squares): what to publish.
        ``raw_energy``: the microphone's block before the canceller, if known."""
        driver = self._driver()
        predicted = driver * self._num / self._den
        target = 1.0
        self.avatar_loud = driver > self._quiet
        self.passed_user = False
        if self.avatar_loud:  # the avatar is loud (what it leaves may still be faint)
            # The canceller losing the room for a moment (its residual jumping) must not pass
            # as the user: a voice over the echo also raises the microphone's raw level above
            # what the room alone gives, which the canceller's state cannot.
            raw_ok = True
            if raw_energy is not None:
                self._raw_recent = np.roll(self._raw_recent, -1)
                self._raw_predicted = np.roll(self._raw_predicted, -1)
                self._raw_recent[-1] = raw_energy
                self._raw_predicted[-1] = driver * self._raw_num / self._raw_den
                raw_ok = (
                    raw_energy > self._raw_predicted[-1]
                    and float(np.sum(self._raw_recent))
                    > float(np.sum(self._raw_predicted)) * self._raw_margin
                )
            voice = energy > predicted * self._margin and raw_ok
            self._voice_run = self._voice_run + 1 if voice else 0
            # Blocks taken for the user teach nothing, unless they go on for longer than a
            # user talks over a loud avatar: then the ratios were wrong (they start at a guess
            # and could sink while the echo was late) and must learn again.
            if not voice or self._voice_run > self.RELEARN_BLOCKS:
                self._num = self.FORGET * self._num + energy
                self._den = self.FORGET * self._den + driver
                if raw_energy is not None:
                    self._raw_num = self.FORGET * self._raw_num + raw_energy
                    self._raw_den = self.FORGET * self._raw_den + driver
            self._above = self._above + 1 if voice else 0
            if self._above >= self.ONSET_BLOCKS:  # a voice, not a single echo peak
                self._hold = self.HOLD_BLOCKS
                self.double_talk_blocks += 1
            elif self._hold == 0 and predicted * self._margin > self._quiet:
                target = 10 ** (self.ATTENUATION_DB / 20)
        else:
            self._above = 0
        if self._hold > 0:
            self._hold -= 1
            target = 1.0
            self.passed_user = self.avatar_loud
        if target < 1.0:
            self.gated_blocks += 1
        if target == self._gain == 1.0:
            return samples
        ramp = np.linspace(self._gain, target, samples.size, dtype=np.float32)
        self._gain = target
        return np.round(samples.astype(np.float32) * ramp).astype(np.int16)

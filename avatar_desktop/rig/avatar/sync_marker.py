"""Lip-sync markers: once a second the avatar flags one video frame's stamp and, at the instant
that frame is captured, starts a short high tone in its voice. A receiver that notes when it
painted the flagged frame and when its speaker played the tone has the offset between picture and
sound, end to end, on one clock.

The tone sits at 12 kHz: the synthetic voice (espeak-ng, synthesised at 22 kHz) has nothing there,
and Opus keeps it at the bitrates LiveKit uses for voice. The audio side is placed by emission
time, not by when the loop wrote it: a sample handed to the ``AudioSource`` now leaves it after
what is already queued (``queued_duration``).
"""

from __future__ import annotations

import collections

import numpy as np
import numpy.typing as npt

TONE_HZ = 12_000.0
TONE_S = 0.030
_EDGE_S = 0.001
_AMPLITUDE = 6000


def is_marker_frame(number: int, fps: int) -> bool:
    """One frame a second, half a second after each whole second of frames."""
    return number % fps == fps // 2


def tone(rate: int) -> npt.NDArray[np.float32]:
    """The marker: a 30 ms sine with 1 ms raised-cosine edges (no click at its ends)."""
    n, edge = round(TONE_S * rate), round(_EDGE_S * rate)
    wave = np.sin(2 * np.pi * TONE_HZ * np.arange(n) / rate).astype(np.float32) * _AMPLITUDE
    ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)).astype(np.float32)
    wave[:edge] *= ramp
    wave[n - edge :] *= ramp[::-1]
    return wave


class ToneMixer:
    """Mixes the tone into the voice so that its first sample leaves the source at each time
    announced (on the event loop's clock)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._tone = tone(rate)
        self._due: collections.deque[float] = collections.deque()
        self._rest = np.zeros(0, np.float32)
        self.late = 0  # announced too late to start on time

    def announce(self, at: float) -> None:
        if not self._due or at > self._due[-1]:
            self._due.append(at)

    def mix(self, samples: npt.NDArray[np.int16], emitted_at: float) -> npt.NDArray[np.int16]:
        """``samples`` (one frame) whose first sample leaves at ``emitted_at``: with the tone."""
        n = samples.size
        layer = np.zeros(n, np.float32)
        if self._rest.size:
            take = min(n, self._rest.size)
            layer[:take] += self._rest[:take]
            self._rest = self._rest[take:]
        while self._due and self._due[0] < emitted_at + n / self.rate:
            offset = round((self._due.popleft() - emitted_at) * self.rate)
            if offset < 0:
                self.late += 1
                offset = 0
            fits = min(n - offset, self._tone.size)
            layer[offset : offset + fits] += self._tone[:fits]
            self._rest = self._tone[fits:].copy()
        if not layer.any():
            return samples
        mixed = samples.astype(np.float32) + layer
        clipped: npt.NDArray[np.int16] = np.clip(mixed, -32768, 32767).astype(np.int16)
        return clipped


def find_tones(samples: npt.NDArray[np.int16], rate: int) -> list[int]:
    """Where the markers start in recorded sound: sample indices of each tone's onset.

    The 12 kHz component's envelope (the signal shifted to 0 Hz and averaged over 1 ms); an
    onset is where it first passes half the strongest tone's level, then nothing for 0.5 s.
    A 1 ms average lets loud speech leak in, so the sound is first differenced twice: +41 dB
    at 12 kHz against 1 kHz, a high-pass that costs two subtractions.
    """
    if samples.size < rate // 10:
        return []
    emphasised = np.diff(samples.astype(np.float64), n=2, prepend=[0.0, 0.0])
    n = np.arange(samples.size)
    shifted = emphasised * np.exp(-2j * np.pi * TONE_HZ * n / rate)
    width = max(1, rate // 1000)
    sums = np.cumsum(np.concatenate([[0], shifted]))
    envelope = 2 * np.abs(sums[width:] - sums[:-width]) / width  # centred 1 ms later
    level = float(np.percentile(envelope, 99.9))
    if level < 2 * _AMPLITUDE / 4:  # a tone under -12 dB of the marker's: none in this sound
        return []
    onsets: list[int] = []
    above = np.flatnonzero(envelope > level / 2)
    for index in above:
        if not onsets or index - onsets[-1] > rate // 2:
            onsets.append(int(index) + width // 2)
    return onsets

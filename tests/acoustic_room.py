"""A simulated laptop between the speaker and the microphone, in real time: the loudspeaker's
soft clipping, a room's impulse response (direct path, early reflections, an exponentially
decaying diffuse tail), background noise and the drift between the playback and capture clocks.

Pure DSP on 10 ms blocks (48 kHz); the real-time bridge lives in ``tests/pulse_harness.py``.
The convolution is uniformly partitioned (one 960-point FFT per block and one complex
multiply-add per partition), so a 0.6 s response costs well under a millisecond per block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RATE = 48_000
BLOCK = RATE // 100
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RoomSpec:
    """One acoustic situation. ``coupling_db`` is the gain of the direct path relative to the
    speaker signal; ``noise_dbfs`` the RMS of the background noise at the microphone."""

    name: str
    rt60_s: float
    direct_ms: float
    coupling_db: float = -12.0
    tail_db: float = -6.0  # energy of reflections + tail relative to the direct path's
    clip_drive: float = 2.0  # loudspeaker soft clipping: tanh(drive * x) / drive, 0 = linear
    noise: str = "fan"  # "fan", "babble" or "none"
    noise_dbfs: float = -60.0
    drift_ppm: float = 0.0  # capture clock relative to playback
    seed: int = 1

    def with_coupling(self, coupling_db: float) -> RoomSpec:
        return RoomSpec(**{**self.__dict__, "coupling_db": coupling_db})

    @property
    def label(self) -> str:
        return f"{self.name}@{self.coupling_db:+.0f}dB"


# A laptop on a desk in a small office, the same in a kitchen with hard walls, and a living
# room with its television's babble (the three rooms the tests and the benchmark run).
OFFICE = RoomSpec("office", rt60_s=0.2, direct_ms=5.0, noise="fan", drift_ppm=50.0, seed=1)
KITCHEN = RoomSpec("kitchen", rt60_s=0.6, direct_ms=12.0, tail_db=-3.0, noise="fan",
                   drift_ppm=-100.0, seed=2)  # fmt: skip
LIVING = RoomSpec("living", rt60_s=0.35, direct_ms=20.0, noise="babble", noise_dbfs=-55.0,
                  drift_ppm=100.0, seed=3)  # fmt: skip
ROOMS = (OFFICE, KITCHEN, LIVING)


def impulse_response(spec: RoomSpec, rate: int = RATE) -> FloatArray:
    """Direct path (gain 1 at ``direct_ms``), a few early reflections in the next 15 ms and a
    diffuse tail decaying 60 dB over ``rt60_s``; the coupling is applied by the room."""
    rng = np.random.default_rng(spec.seed)
    direct = round(spec.direct_ms * rate / 1000)
    length = direct + int(min(spec.rt60_s, 0.6) * rate)
    wanted = 10 ** (spec.tail_db / 10)  # half in the early reflections, half in the tail
    early = np.zeros(length)
    for _ in range(6):
        at = direct + int(rng.uniform(0.002, 0.015) * rate)
        early[at] += rng.uniform(0.2, 0.5) * rng.choice((-1.0, 1.0))
    early *= np.sqrt(wanted / 2 / float(np.sum(early**2)))
    t = np.arange(length - direct) / rate
    tail = rng.standard_normal(t.size) * np.exp(-6.908 * t / spec.rt60_s)
    tail[: int(0.003 * rate)] = 0.0  # the diffuse field builds up after the first reflections
    tail *= np.sqrt(wanted / 2 / float(np.sum(tail**2)))
    h = early
    h[direct:] += tail
    h[direct] += 1.0
    return h


class PartitionedConvolver:
    """Streaming convolution with a long filter, ``BLOCK`` samples in and out per call."""

    def __init__(self, h: FloatArray, block: int = BLOCK) -> None:
        self.block = block
        parts = -(-h.size // block)
        padded = np.zeros(parts * block)
        padded[: h.size] = h
        self._spectra = np.fft.rfft(padded.reshape(parts, block), n=2 * block, axis=1)
        self._history = np.zeros_like(self._spectra)  # the input blocks' spectra, newest first
        self._previous = np.zeros(block)

    def process(self, x: FloatArray) -> FloatArray:
        """Overlap-save: the last two input blocks transformed, the filter's partitions applied
        to the spectra of the last ``parts`` blocks."""
        self._history = np.roll(self._history, 1, axis=0)
        self._history[0] = np.fft.rfft(np.concatenate([self._previous, x]))
        self._previous = x.copy()
        acc = np.einsum("ij,ij->j", self._history, self._spectra)
        return np.fft.irfft(acc, n=2 * self.block)[self.block :]


def soft_clip(x: FloatArray, drive: float) -> FloatArray:
    """A small loudspeaker driven hard: ``x`` in full-scale units (±1)."""
    if drive <= 0:
        return x
    return np.tanh(drive * x) / drive


def fan_noise(seconds: float, rng: np.random.Generator, rate: int = RATE) -> FloatArray:
    """Between pink and brown (amplitude falling as f^-0.75), nothing below 20 Hz."""
    n = int(seconds * rate)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    shape = np.where(freqs > 20, np.maximum(freqs, 1.0) ** -0.75, 0.0)
    out: FloatArray = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n=n)
    normalized: FloatArray = out / np.sqrt(np.mean(out**2))
    return normalized


def babble_noise(seconds: float, rng: np.random.Generator, rate: int = RATE) -> FloatArray:
    """Several far talkers: band-limited noise (300-3400 Hz) in syllable-rate bursts."""
    n = int(seconds * rate)
    total: FloatArray = np.zeros(n)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = ((freqs > 300) & (freqs < 3400)).astype(float)
    t = np.arange(n) / rate
    for _ in range(6):
        spectrum = np.fft.rfft(rng.standard_normal(n)) * band
        voice = np.fft.irfft(spectrum, n=n)
        rate_hz = rng.uniform(3.0, 6.0)
        envelope = np.clip(np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 6.3)), 0, None) ** 2
        total += voice * envelope
    normalized: FloatArray = total / np.sqrt(np.mean(total**2))
    return normalized


class DriftResampler:
    """Reads its input ``ratio`` times as fast as it writes (linear interpolation across calls):
    the capture clock running ``ppm`` faster than playback."""

    def __init__(self, ppm: float) -> None:
        self.ratio = 1.0 + ppm * 1e-6
        self._pending = np.zeros(0)
        self._phase = 0.0

    def push(self, x: FloatArray) -> None:
        self._pending = np.concatenate([self._pending, x])

    @property
    def available(self) -> int:
        """Output samples that can be produced now."""
        return max(0, int((self._pending.size - 1 - self._phase) / self.ratio))

    def pull(self, count: int) -> FloatArray:
        positions = self._phase + np.arange(count) * self.ratio
        out: FloatArray = np.interp(positions, np.arange(self._pending.size), self._pending)
        advance = self._phase + count * self.ratio
        consumed = int(advance)
        self._phase = advance - consumed
        self._pending = self._pending[consumed:]
        return out


class AcousticRoom:
    """What the microphone hears of the speaker: ``push`` what was played, ``pull`` 10 ms of the
    microphone's echo + noise (int16 scale). Pulls with too little played audio queued return
    the noise alone (the speaker silent), so the bridge never waits on the speaker."""

    def __init__(self, spec: RoomSpec) -> None:
        self.spec = spec
        self.gain = 10 ** (spec.coupling_db / 20)
        self._conv = PartitionedConvolver(impulse_response(spec))
        self._drift = DriftResampler(spec.drift_ppm)
        self._in = np.zeros(0)
        rng = np.random.default_rng(spec.seed + 100)
        if spec.noise == "none":
            self._noise = np.zeros(RATE)
        else:
            make = fan_noise if spec.noise == "fan" else babble_noise
            self._noise = make(8.0, rng) * 32768 * 10 ** (spec.noise_dbfs / 20)
        self._noise_at = 0
        self.blocks_in = 0
        self.blocks_short = 0  # pulls that found no played audio queued

    def push(self, played: npt.NDArray[np.int16]) -> None:
        self._in = np.concatenate([self._in, played.astype(np.float64) / 32768])
        while self._in.size >= BLOCK:
            x, self._in = self._in[:BLOCK], self._in[BLOCK:]
            wet = self._conv.process(soft_clip(x, self.spec.clip_drive))
            self._drift.push(wet * self.gain * 32768)
            self.blocks_in += 1

    @property
    def queued(self) -> int:
        return self._drift.available

    @property
    def drift_ratio(self) -> float:
        """Played samples per microphone sample."""
        return self._drift.ratio

    def pull(self, count: int = BLOCK) -> FloatArray:
        if self._drift.available < count:
            self.blocks_short += 1
            return self.pull_noise(count)
        return self._drift.pull(count) + self.pull_noise(count)

    def pull_noise(self, count: int = BLOCK) -> FloatArray:
        """The background noise alone (the speaker's audio not yet there)."""
        idx = (self._noise_at + np.arange(count)) % self._noise.size
        self._noise_at = (self._noise_at + count) % self._noise.size
        return self._noise[idx]

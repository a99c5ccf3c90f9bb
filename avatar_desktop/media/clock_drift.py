"""The speaker's and the microphone's clocks, made one for the echo canceller.

AEC3 pairs the played stream and the captured one frame by frame: it expects as many 10 ms
frames of each. Two devices (or a sound card's two converters) never run at exactly one rate:
at 100 ppm the speaker hands over one frame more than the microphone every 100 s, AEC3's render
buffer slips it, its echo path jumps by 10 ms, and for a moment its residual is loud enough to
be taken for the user (a 5-minute kitchen at 0 dB: 1-3 false turns of 60-200 ms a run; offline,
the real AEC3 in the same room: 3, at 141, 221 and 283 s). So what was played is resampled onto
the microphone's clock before the canceller gets it (``ReferenceResampler``), a fraction of a
sample at a time, as the room itself does to the sound.

The ratio is read off the echo itself (``EchoDrift``): each second the avatar is heard, where
in the played stream the microphone's last half second of echo came from is found to a sample by
cross-correlation (GCC-PHAT); the slope of that position against the microphone's own count,
over the last half minute, is the number of played samples per captured one. The devices' own
timestamps were tried first and wandered by ±100 ppm over a minute on the rig (their buffering
changes), more than the drift they were to measure.
"""

from __future__ import annotations

import collections

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48_000
FRAME = SAMPLE_RATE // 100
MAX_DRIFT = 1e-3  # 1000 ppm: past this the devices are not at one nominal rate at all
_TAPS = 16
_PHASES = 512
# The correlation: the microphone's last half second against the last second played.
_WINDOW = SAMPLE_RATE // 2
_SEARCH = SAMPLE_RATE // 4
_HISTORY = _WINDOW + 2 * _SEARCH  # samples of each stream kept (a whole number of frames)
_FFT = 1 << int(np.ceil(np.log2(_HISTORY)))
_MEASURE_EVERY = 100  # captured blocks: once a second
_LOUD_RMS = 300.0  # the reference's level (about -40 dBFS) above which its echo is measured
_MIN_PEAK = 0.08  # a PHAT peak weaker than this is no echo (the user talking, noise)
_FIT_SPAN = 30 * SAMPLE_RATE  # the ratio is the slope over the last half minute
_MIN_POINTS = 8
_OUTLIER = 48  # samples: a position further than this from the line is not believed
# The applied ratio moves by at most this much per played block (10 ppm a second): a new
# estimate stretches the echo path slowly, and AEC3 follows a slow stretch.
_SLEW_PER_BLOCK = 0.1e-6


class EchoDrift:
    """Played samples per captured one, found from the echo: ``played`` gets each block the
    speaker played, ``captured`` each raw microphone block; ``step()`` gives the resampler its
    ratio for the next played block. ``broken()`` after the echo path jumped (a device
    underflow or overflow): the echo's offset changes there, so the line is fitted with an
    offset of its own on each side of it, the one slope shared."""

    def __init__(self) -> None:
        # The last _HISTORY samples of each stream, as rings (written a block at a time, read
        # in order only once a second, when measured).
        self._played = np.zeros(_HISTORY, np.float32)
        self._mic = np.zeros(_HISTORY, np.float32)
        self._played_count = 0  # samples of each stream so far
        self._mic_count = 0
        self._blocks = 0
        # (segment, microphone sample, the played sample its echo came from), one a
        # measurement. A break starts a new segment: the echo's offset changes there, not the
        # rate, so the points before it still tell the slope.
        self._sources: collections.deque[tuple[int, int, float]] = collections.deque(maxlen=60)
        self._segment = 0
        # Both streams' counts from which a measurement's windows lie wholly after the last break.
        self._whole_from = (_HISTORY, _HISTORY)
        self.target = 1.0
        self.applied = 1.0
        self.measured = 0
        self.breaks = 0
        self.off_line = 0  # measurements the fit left out

    def played(self, block: npt.NDArray[np.int16]) -> None:
        _into_ring(self._played, self._played_count, block)
        self._played_count += block.size

    def captured(self, block: npt.NDArray[np.int16]) -> None:
        _into_ring(self._mic, self._mic_count, block)
        self._mic_count += block.size
        self._blocks += 1
        if self._blocks % _MEASURE_EVERY == 0:
            self._measure()

    def broken(self) -> None:
        self._segment += 1
        self._whole_from = (self._mic_count + _HISTORY, self._played_count + _HISTORY)
        self.breaks += 1

    def step(self) -> float:
        change = self.target - self.applied
        self.applied += min(_SLEW_PER_BLOCK, max(-_SLEW_PER_BLOCK, change))
        return self.applied

    @property
    def ppm(self) -> float:
        """The ratio applied now, as parts per million away from one."""
        return round((self.applied - 1.0) * 1e6, 1)

    def _measure(self) -> None:
        """Where the microphone's last ``_WINDOW`` samples came from in the played stream: the
        best match in the last ``_WINDOW + 2 * _SEARCH`` played samples (an echo is never newer
        than what was played, and not half a second older)."""
        if self._mic_count < self._whole_from[0] or self._played_count < self._whole_from[1]:
            return  # a window reaching back across a break would match either side of it
        played = _in_order(self._played, self._played_count)
        if float(np.sqrt(np.mean(np.square(played, dtype=np.float64)))) < _LOUD_RMS:
            return
        mic = _in_order(self._mic, self._mic_count)[-_WINDOW:]
        spectrum = np.fft.rfft(played, _FFT) * np.conj(np.fft.rfft(mic, _FFT))
        spectrum /= np.maximum(np.abs(spectrum), 1e-9)
        # correlation[k]: how well the microphone's window matches the played samples from k on.
        lags = np.fft.irfft(spectrum, _FFT)[: _HISTORY - _WINDOW + 1]
        best = int(np.argmax(lags))
        if lags[best] < _MIN_PEAK:
            return
        offset = 0.0
        if 0 < best < lags.size - 1:  # a parabola through the peak: a fraction of a sample
            a, b, c = float(lags[best - 1]), float(lags[best]), float(lags[best + 1])
            if a - 2 * b + c != 0:
                offset = 0.5 * (a - c) / (a - 2 * b + c)
        source = self._played_count - _HISTORY + best + offset
        self._sources.append((self._segment, self._mic_count - _WINDOW, source))
        self.measured += 1
        self._fit()

    def _fit(self) -> None:
        newest = self._sources[-1][1]
        points = [p for p in self._sources if newest - p[1] <= _FIT_SPAN]
        if len(points) < _MIN_POINTS:
            return
        slope, kept = _slope(
            np.array([g for g, _, _ in points]),
            np.array([n for _, n, _ in points], np.float64) - points[0][1],
            np.array([s for _, _, s in points]) - points[0][2],
        )
        if not kept[-1]:
            self.off_line += 1  # a wrong peak, or the echo path jumped without a report
        # A slope past MAX_DRIFT is no clock at all but points that do not lie on one line.
        if slope is not None and abs(slope - 1.0) <= MAX_DRIFT:
            self.target = slope

    def figures(self) -> dict[str, float | int]:
        """For the engine's statistics."""
        return {
            "mic_clock_drift_ppm": self.ppm,
            "mic_clock_target_ppm": round((self.target - 1.0) * 1e6, 1),
            "mic_clock_measured": self.measured,
            "mic_clock_breaks": self.breaks,
            "mic_clock_off_line": self.off_line,
        }


def _slope(
    segment: npt.NDArray[np.int64], at: npt.NDArray[np.float64], source: npt.NDArray[np.float64]
) -> tuple[float | None, npt.NDArray[np.bool_]]:
    """The one slope of ``source`` against ``at`` that all segments share (each its own offset).
    A wrong peak (the room's reflection, the avatar's pitch) lands hundreds of samples off the
    line; a least-squares fit over all points would tilt towards it, so the points off a
    robust first line (the median of the slopes between points a second or more apart, each
    segment's median offset) are left out before the fit. Also says which points it kept."""
    kept = np.ones(at.size, bool)
    i, j = np.triu_indices(at.size, 1)
    pairs = (segment[i] == segment[j]) & (at[j] - at[i] >= SAMPLE_RATE)
    if not pairs.any():
        return None, kept
    rough = float(np.median((source[j] - source[i])[pairs] / (at[j] - at[i])[pairs]))
    offset = source - rough * at
    for g in np.unique(segment):
        mine = segment == g
        kept[mine] = np.abs(offset[mine] - np.median(offset[mine])) <= _OUTLIER
    if kept.sum() < _MIN_POINTS:
        return None, kept
    covariance = variance = 0.0
    for g in np.unique(segment[kept]):
        mine = kept & (segment == g)
        dt, ds = at[mine] - at[mine].mean(), source[mine] - source[mine].mean()
        covariance += float(dt @ ds)
        variance += float(dt @ dt)
    return (covariance / variance if variance > 0 else None), kept


def _into_ring(ring: npt.NDArray[np.float32], written: int, block: npt.NDArray[np.int16]) -> None:
    """Writes ``block`` into ``ring`` after the ``written`` samples before it (a block never
    wraps: the ring holds a whole number of blocks)."""
    start = written % ring.size
    ring[start : start + block.size] = block


def _in_order(ring: npt.NDArray[np.float32], written: int) -> npt.NDArray[np.float32]:
    """The ring's samples, oldest first."""
    start = written % ring.size
    return np.concatenate([ring[start:], ring[:start]])


def _kernel() -> npt.NDArray[np.float64]:
    """Windowed-sinc interpolation taps, one row per fractional position 0 … 1: row ``p`` holds
    the weights of the samples at offsets -7 … 8 for a point ``p / _PHASES`` past offset 0."""
    offsets = np.arange(-(_TAPS // 2) + 1, _TAPS // 2 + 1)
    fractions = np.arange(_PHASES + 1) / _PHASES
    x = offsets[None, :] - fractions[:, None]
    window = np.kaiser(_TAPS * 64 + 1, 8.0)
    index = np.clip(np.round((x + _TAPS / 2) * 64).astype(int), 0, _TAPS * 64)
    taps: npt.NDArray[np.float64] = np.sinc(x) * window[index]
    normalized: npt.NDArray[np.float64] = taps / taps.sum(axis=1, keepdims=True)
    return normalized


_KERNEL = _kernel()
_LEFT = _TAPS // 2 - 1  # samples the kernel needs before the point it interpolates
_RIGHT = _TAPS - _LEFT - 1  # ... and after it


class ReferenceResampler:
    """What was played, on the microphone's clock: ``push`` a played block, get back the whole
    10 ms frames (0, 1 or now and then 2) it completes. ``ratio`` (played samples per captured
    one) may change between blocks; the stream never jumps, it only stretches.

    The kernel needs ``_RIGHT`` (8) samples past each point, so the output trails the input
    by that much. Taking over from a stream passed on as it was (``before``: the last block
    already given to the canceller), the output starts that many samples before the end of
    ``before``: the first push completes a frame, as the pass-through did, and the canceller's
    echo path moves by 8 samples (0.17 ms) instead of slipping a whole 10 ms frame."""

    def __init__(self, before: npt.NDArray[np.int16] | None = None) -> None:
        if before is None or before.size < _TAPS:
            self._input = np.zeros(_LEFT, np.float64)  # history the kernel reaches back into
            self._position = float(_LEFT)  # where in ``_input`` the next output sample falls
        else:
            self._input = before.astype(np.float64)
            self._position = float(before.size - _RIGHT)
        self._output = np.zeros(0, np.float64)

    def push(self, block: npt.NDArray[np.int16], ratio: float) -> list[npt.NDArray[np.int16]]:
        self._input = np.concatenate([self._input, block.astype(np.float64)])
        usable = self._input.size - 1 - _RIGHT  # the last point whose taps are all there
        count = max(0, int(np.floor((usable - self._position) / ratio)) + 1)
        if count:
            points = self._position + np.arange(count) * ratio
            whole = np.floor(points).astype(np.int64)
            phase = np.round((points - whole) * _PHASES).astype(np.int64)
            rows = whole[:, None] + np.arange(-_LEFT, _TAPS - _LEFT)[None, :]
            values = np.sum(self._input[rows] * _KERNEL[phase], axis=1)
            self._output = np.concatenate([self._output, values])
            self._position += count * ratio
        keep_from = max(0, int(np.floor(self._position)) - _LEFT)
        self._input = self._input[keep_from:]
        self._position -= keep_from
        frames = []
        while self._output.size >= FRAME:
            frame, self._output = self._output[:FRAME], self._output[FRAME:]
            frames.append(np.clip(np.round(frame), -32768, 32767).astype(np.int16))
        return frames

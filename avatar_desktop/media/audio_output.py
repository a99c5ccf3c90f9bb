"""The avatar's voice to the speaker: 10 ms frames into a short playout buffer, pulled by the
sounddevice output callback, which absorbs the drift between the two clocks by resampling a
fraction of a percent (never by dropping blocks); underruns and drops are counted."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
SAMPLE_RATE = 48_000
LATE_WRITE_MS = 30.0


class AudioOutputUnavailable(RuntimeError):
    """No speaker (or no audio system): the session goes on without sound."""


@dataclass
class PlayoutStats:
    underruns: int = 0
    overflows: int = 0  # writes that found the ring full and dropped its oldest samples
    dropped_samples: int = 0
    # Before the speaker plays its first block (opening a device takes a second or more),
    # the room's samples would only pile up as latency: all but the newest are let go.
    discarded_before_start: int = 0
    frames_played: int = 0
    # A starved engine hands over a burst: the backlog past CATCH_UP_MS is skipped at once (a
    # 5 ms crossfade, no click) instead of being played a minute late at 0.5 % speed.
    catch_ups: int = 0
    caught_up_samples: int = 0
    depth_ms: float = 0.0
    rate_ratio: float = 1.0  # how fast the speaker consumes the room's samples, now
    # How the room's frames arrive (each should come 10 ms after the last): a gap longer than
    # the buffer's depth is an underrun waiting to happen; what it was at each underrun says
    # whether the delivery or the device ran out.
    late_writes: int = 0  # gaps over LATE_WRITE_MS while the speaker plays
    longest_write_gap_ms: float = 0.0
    underrun_write_gaps_ms: list[float] = field(default_factory=list)  # the last few


class JitterBuffer:
    """The avatar's samples between the room and the speaker, held near ``target_ms``.

    The room's clock and the sound card's never agree exactly (±100 ppm and more), so the depth
    creeps. Instead of dropping whole blocks when it grows (an audible click each time) or
    running dry when it shrinks, the reader consumes slightly more or fewer samples than it
    plays, resampled by linear interpolation: at most ``MAX_RATE_CHANGE`` (0.5 %, far below
    what an ear hears as pitch), steering the depth back over a second or two. Writes drop the
    oldest samples only when the ring is full, which a steady stream never reaches; before the
    speaker has started, the buffer keeps only the newest ``target_ms``. A backlog far past
    the target (the engine was starved and handed over a burst) is skipped down to the target,
    crossfaded: a conversation that stays 300 ms late is worse than 300 ms not heard.
    """

    MAX_RATE_CHANGE = 0.005
    STEER_PER_MS = 0.0002  # rate change per ms of depth away from the target
    CATCH_UP_MS = 150  # past the target: no drift does this, only a burst
    _CROSSFADE = SAMPLE_RATE // 200

    def __init__(self, capacity_ms: int = 400, target_ms: int = 40) -> None:
        self._ring = np.zeros(SAMPLE_RATE * capacity_ms // 1000, np.int16)
        self._target = SAMPLE_RATE * target_ms // 1000
        self._read = 0
        self._size = 0
        self._phase = 0.0  # fractional position of the next output sample past ``_read``
        self._primed = False
        self._playing = False  # the speaker has asked for samples at least once
        self._lock = threading.Lock()
        self._written_at: float | None = None
        self.stats = PlayoutStats()

    def write(self, samples: npt.NDArray[np.int16]) -> None:
        now = time.monotonic()
        with self._lock:
            if self._written_at is not None and self._playing:
                gap_ms = (now - self._written_at) * 1000
                self.stats.longest_write_gap_ms = max(self.stats.longest_write_gap_ms, gap_ms)
                if gap_ms > LATE_WRITE_MS:
                    self.stats.late_writes += 1
            self._written_at = now
            if not self._playing:
                self._let_go_of(max(0, self._size + samples.size - self._target))
            cap = self._ring.size
            n = min(samples.size, cap)
            samples = samples[-n:]
            overflow = self._size + n - cap
            if overflow > 0:
                self._read = (self._read + overflow) % cap
                self._size -= overflow
                self.stats.overflows += 1
                self.stats.dropped_samples += overflow
            start = (self._read + self._size) % cap
            first = min(n, cap - start)
            self._ring[start : start + first] = samples[:first]
            self._ring[: n - first] = samples[first:]
            self._size += n
            self.stats.depth_ms = self._size * 1000 / SAMPLE_RATE

    def _let_go_of(self, count: int) -> None:
        """Drops the ``count`` oldest samples, before the speaker starts."""
        count = min(count, self._size)
        self._read = (self._read + count) % self._ring.size
        self._size -= count
        self.stats.discarded_before_start += count

    def _ratio(self) -> float:
        error_ms = (self._size - self._target) * 1000 / SAMPLE_RATE
        change = max(-self.MAX_RATE_CHANGE, min(self.MAX_RATE_CHANGE, error_ms * self.STEER_PER_MS))
        return 1.0 + change

    def _catch_up(self) -> None:
        """Skips the backlog down to the target, fading from the next samples into those after
        the skip."""
        excess = self._size - self._target
        if excess <= SAMPLE_RATE * self.CATCH_UP_MS // 1000:
            return
        fade = self._CROSSFADE
        cap = self._ring.size
        before = self._take(fade).astype(np.float32)
        self._read = (self._read + excess) % cap
        self._size -= excess
        after = self._take(fade).astype(np.float32)
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        mixed = (before * (1 - ramp) + after * ramp).astype(np.int16)
        first = min(fade, cap - self._read)
        self._ring[self._read : self._read + first] = mixed[:first]
        self._ring[: fade - first] = mixed[first:]
        self.stats.catch_ups += 1
        self.stats.caught_up_samples += excess

    def _take(self, count: int) -> npt.NDArray[np.int16]:
        """The next ``count`` samples from the ring (not consumed)."""
        cap = self._ring.size
        first = min(count, cap - self._read)
        return np.concatenate([self._ring[self._read : self._read + first],
                               self._ring[: count - first]])  # fmt: skip

    def read_into(self, out: npt.NDArray[np.int16]) -> None:
        """Fills ``out`` (called on the audio thread)."""
        with self._lock:
            self._playing = True
            if not self._primed and self._size < self._target:
                out[:] = 0
                return
            self._primed = True
            self._catch_up()
            n = out.size
            ratio = self._ratio()
            positions = self._phase + np.arange(n) * ratio
            needed = int(positions[-1]) + 2  # the interpolation reads one sample ahead
            if needed > self._size:  # ran dry: play what is left, then silence
                left = self._take(self._size)
                out[: left.size] = left
                out[left.size :] = 0
                self._read = (self._read + self._size) % self._ring.size
                self._size, self._phase, self._primed = 0, 0.0, False
                self.stats.underruns += 1
                if self._written_at is not None:
                    gaps = self.stats.underrun_write_gaps_ms
                    gaps.append(round((time.monotonic() - self._written_at) * 1000, 1))
                    del gaps[:-10]
            else:
                window = self._take(needed).astype(np.float32)
                out[:] = np.interp(positions, np.arange(needed), window).astype(np.int16)
                advance = self._phase + n * ratio
                consumed = int(advance)
                self._phase = advance - consumed
                self._read = (self._read + consumed) % self._ring.size
                self._size -= consumed
            self.stats.rate_ratio = ratio
            self.stats.frames_played += 1
            self.stats.depth_ms = self._size * 1000 / SAMPLE_RATE


Played = Callable[[npt.NDArray[np.int16], float | None, bool], None]


class SpeakerOutput:
    """Plays a JitterBuffer on an output device (None: the system default). ``played`` gets a
    copy of each block as it goes out (the echo canceller's reference), from the audio thread,
    with when (time.monotonic) it reaches the DAC by PortAudio's timestamps (None: unknown)
    and whether the device ran dry before it (the blocks after it reach the room later)."""

    def __init__(
        self,
        buffer: JitterBuffer,
        device: int | str | None = None,
        played: Played | None = None,
    ) -> None:
        self.buffer = buffer
        self._played = played
        self.output_delay_ms: float | None = None  # a block's wait for the DAC, smoothed
        # Callbacks PortAudio ran too late for the device (it played silence meanwhile):
        # each one moves what is played against the echo canceller's reference.
        self.device_underflows = 0
        try:
            import sounddevice as sd
        except OSError as exc:  # "PortAudio library not found"
            raise AudioOutputUnavailable(str(exc)) from exc
        try:
            self._stream: Any = sd.OutputStream(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=SAMPLE_RATE // 100,
                device=device,
                callback=self._callback,
                latency="low",
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:  # no device, or none that fits
            raise AudioOutputUnavailable(str(exc)) from exc

    def _callback(self, outdata: Any, frames: int, stamps: Any, status: Any) -> None:
        underflowed = bool(status.output_underflow)
        if underflowed:
            self.device_underflows += 1
        self.buffer.read_into(outdata[:, 0])
        ahead = stamps.outputBufferDacTime - stamps.currentTime
        known = 0 <= ahead < 1.0
        if known:
            last = self.output_delay_ms
            self.output_delay_ms = ahead * 1000 if last is None else 0.95 * last + 50 * ahead
        if self._played is not None:
            rendered_at = time.monotonic() + ahead if known else None
            self._played(outdata[:, 0].copy(), rendered_at, underflowed)

    @property
    def latency_ms(self) -> int:
        return int(self._stream.latency * 1000)

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

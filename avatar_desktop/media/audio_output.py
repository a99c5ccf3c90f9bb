"""The avatar's voice to the speaker: 10 ms frames into a bounded jitter buffer, pulled by the
sounddevice output callback. The callback only copies; underruns and overflows are counted."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
SAMPLE_RATE = 48_000


class AudioOutputUnavailable(RuntimeError):
    """No speaker (or no audio system): the session goes on without sound."""


@dataclass
class PlayoutStats:
    underruns: int = 0
    overflows: int = 0
    frames_played: int = 0
    depth_ms: float = 0.0


class JitterBuffer:
    """A bounded ring of int16 samples: writes drop the oldest when full, reads pad silence."""

    def __init__(self, capacity_ms: int = 120, preroll_ms: int = 40) -> None:
        """NetEq upstream already smooths the network; this only absorbs scheduling jitter and
        the drift between the room's clock and the speaker's, so it stays short (measured at
        300 ms: always full, 290 ms of added latency)."""
        self._ring = np.zeros(SAMPLE_RATE * capacity_ms // 1000, np.int16)
        self._preroll = SAMPLE_RATE * preroll_ms // 1000
        self._read = 0
        self._size = 0
        self._primed = False
        self._lock = threading.Lock()
        self.stats = PlayoutStats()

    def write(self, samples: npt.NDArray[np.int16]) -> None:
        with self._lock:
            cap = self._ring.size
            n = min(samples.size, cap)
            samples = samples[-n:]
            overflow = self._size + n - cap
            if overflow > 0:
                self._read = (self._read + overflow) % cap
                self._size -= overflow
                self.stats.overflows += 1
            start = (self._read + self._size) % cap
            first = min(n, cap - start)
            self._ring[start : start + first] = samples[:first]
            self._ring[: n - first] = samples[first:]
            self._size += n
            self.stats.depth_ms = self._size * 1000 / SAMPLE_RATE

    def read_into(self, out: npt.NDArray[np.int16]) -> None:
        """Fills ``out`` (called on the audio thread)."""
        with self._lock:
            if not self._primed and self._size < self._preroll:
                out[:] = 0
                return
            self._primed = True
            cap = self._ring.size
            n = min(out.size, self._size)
            first = min(n, cap - self._read)
            out[:first] = self._ring[self._read : self._read + first]
            out[first:n] = self._ring[: n - first]
            out[n:] = 0
            self._read = (self._read + n) % cap
            self._size -= n
            if n < out.size:
                self.stats.underruns += 1
                self._primed = False
            self.stats.frames_played += 1
            self.stats.depth_ms = self._size * 1000 / SAMPLE_RATE


class SpeakerOutput:
    """Plays a JitterBuffer on an output device (None: the system default). ``played`` gets a
    copy of each block as it goes out (the echo canceller's reference), from the audio thread."""

    def __init__(
        self,
        buffer: JitterBuffer,
        device: int | str | None = None,
        played: Callable[[npt.NDArray[np.int16]], None] | None = None,
    ) -> None:
        self.buffer = buffer
        self._played = played
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

    def _callback(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        self.buffer.read_into(outdata[:, 0])
        if self._played is not None:
            self._played(outdata[:, 0].copy())

    @property
    def latency_ms(self) -> int:
        return int(self._stream.latency * 1000)

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

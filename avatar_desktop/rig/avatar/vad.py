"""Energy voice-activity detection on the 10 ms frames of the user's microphone."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass
class SpeechSegment:
    started_s: float
    ended_s: float

    @property
    def duration_s(self) -> float:
        return self.ended_s - self.started_s


@dataclass
class VoiceActivityDetector:
    """Speech starts after ``onset_ms`` of frames above ``threshold_dbfs`` and ends after
    ``hangover_ms`` below it; the segment spans first to last voiced frame."""

    threshold_dbfs: float = -42.0
    onset_ms: int = 60
    hangover_ms: int = 800
    frame_ms: int = 10
    clock_s: float = 0.0
    speaking: bool = False
    _voiced_run: int = 0
    _silent_run: int = 0
    _first_voiced_s: float = 0.0
    _last_voiced_s: float = 0.0
    segments: list[SpeechSegment] = field(default_factory=list)

    def feed(self, samples: npt.NDArray[np.int16]) -> str | None:
        """Feeds one frame; returns "started", "ended" or None."""
        self.clock_s += self.frame_ms / 1000
        rms = float(np.sqrt(np.mean(samples.astype(np.float32) ** 2))) if samples.size else 0.0
        dbfs = 20 * np.log10(max(rms, 1e-3) / 32768)
        voiced = dbfs > self.threshold_dbfs
        if voiced:
            if self._voiced_run == 0 and not self.speaking:
                self._first_voiced_s = self.clock_s - self.frame_ms / 1000
            self._voiced_run += 1
            self._silent_run = 0
            self._last_voiced_s = self.clock_s
        else:
            self._voiced_run = 0 if not self.speaking else self._voiced_run
            self._silent_run += 1
        if not self.speaking and voiced and self._voiced_run * self.frame_ms >= self.onset_ms:
            self.speaking = True
            return "started"
        if self.speaking and self._silent_run * self.frame_ms >= self.hangover_ms:
            self.speaking = False
            self._voiced_run = 0
            self.segments.append(SpeechSegment(self._first_voiced_s, self._last_voiced_s))
            return "ended"
        return None

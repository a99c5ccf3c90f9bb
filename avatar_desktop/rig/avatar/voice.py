"""The avatar's voice: a queue of utterances played out as 10 ms frames, silence in between."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import numpy as np

from .speech import SAMPLE_RATE, Pcm
from .visemes import VisemeTrack

FRAME_SAMPLES = SAMPLE_RATE // 100


@dataclass
class Utterance:
    text: str
    pcm: Pcm
    language: str
    task_id: str = ""
    visemes: VisemeTrack | None = None  # none: the mouth follows the level

    @property
    def duration_ms(self) -> int:
        return int(self.pcm.size * 1000 / SAMPLE_RATE)


@dataclass
class VoiceFrame:
    samples: Pcm
    started: Utterance | None = None
    ended: Utterance | None = None
    level: float = 0.0  # 0..1, drives the mouth
    viseme: str | None = None  # from the utterance's phonemes, when it has them


@dataclass
class Voice:
    queue: collections.deque[Utterance] = field(default_factory=collections.deque)
    current: Utterance | None = None
    position: int = 0
    _silence: Pcm = field(default_factory=lambda: np.zeros(FRAME_SAMPLES, np.int16))

    @property
    def speaking(self) -> bool:
        return self.current is not None

    def enqueue(self, utterance: Utterance) -> None:
        self.queue.append(utterance)

    def interrupt(self) -> Utterance | None:
        """Stops the current utterance and drops the queued ones; returns what was cut."""
        cut = self.current
        self.queue.clear()
        self.current, self.position = None, 0
        return cut

    def next_frame(self) -> VoiceFrame:
        started = None
        if self.current is None and self.queue:
            self.current, self.position = self.queue.popleft(), 0
            started = self.current
        if self.current is None:
            return VoiceFrame(self._silence)
        chunk = self.current.pcm[self.position : self.position + FRAME_SAMPLES]
        self.position += FRAME_SAMPLES
        if chunk.size < FRAME_SAMPLES:
            chunk = np.concatenate([chunk, np.zeros(FRAME_SAMPLES - chunk.size, np.int16)])
        level = min(1.0, float(np.sqrt(np.mean(chunk.astype(np.float32) ** 2))) / 6000)
        visemes, viseme = self.current.visemes, None
        if visemes is not None:
            viseme = visemes.at((self.position - FRAME_SAMPLES / 2) * 1000 / SAMPLE_RATE)
        ended = None
        if self.position >= self.current.pcm.size:
            ended, self.current = self.current, None
        return VoiceFrame(chunk, started=started, ended=ended, level=level, viseme=viseme)

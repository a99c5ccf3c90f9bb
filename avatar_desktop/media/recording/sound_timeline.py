"""The recording's sound on one sample clock: the avatar's voice and, when the user asked, what
the microphone sent, each put where its time says and summed.

Positions count samples from the file's zero (the first frame); what is ready is handed to the
encoder in order. The voice keeps its own continuity — a late block is the network's jitter, not
a new place — except across a real gap; the microphone, captured here, goes where its capture
time says. With the microphone in, sound is held 150 ms before it is encoded, so a block of the
other source still on its way finds its place (the voice comes 30-90 ms after the moment it
stands for, the microphone 10-20 ms). The voice's continuity does not drift from the local
clock: WebRTC's jitter buffer stretches the sender's clock to the 10 ms pulls of this machine's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48_000
_GAP_S = 0.2  # voice this far behind the clock may be a gap: filled with silence
_SETTLE_S = 0.3  # how long late voice is held to tell a gap from a burst
_MIXING_LOOKAHEAD_S = 0.15
# The microphone's blocks drifted this far from their capture times: placed anew.
_MICROPHONE_REANCHOR_S = 0.06

Samples = npt.NDArray[np.int16]


class SoundTimeline:
    def __init__(self, origin_s: float, *, lead_samples: int = 0, mixing: bool = False) -> None:
        """``lead_samples``: sound the encoder puts first of its own (AAC's priming), standing in
        for that much of what arrived; ``mixing``: the microphone is recorded too."""
        self._origin_s = origin_s
        self._lead = lead_samples
        self._lookahead = round(_MIXING_LOOKAHEAD_S * SAMPLE_RATE) if mixing else 0
        self._buffer = np.zeros(0, np.int32)
        self.encoded = 0  # position of _buffer[0]: everything before it was handed out
        self._voice_at: int | None = None  # where the next voice sample goes
        self._pending: list[tuple[Samples, float]] = []
        self._microphone_at: int | None = None
        self.silence_filled_s = 0.0
        self.samples_late = 0  # came after their place had been encoded

    def position(self, at_s: float) -> int:
        """Where a sample heard at ``at_s`` belongs."""
        return round((at_s - self._origin_s) * SAMPLE_RATE) - self._lead

    # -- the avatar's voice ----------------------------------------------------------------
    def voice(self, samples: Samples, at_s: float) -> None:
        """Samples whose first one was heard at ``at_s``. Voice that comes more than 0.2 s
        after its place is held for 0.3 s before it is placed: a burst that catches up (the
        engine was starved and is handing over what queued) goes on where the voice was; a
        stretch with nothing (the link dropped) becomes silence."""
        if self._pending:
            self._pending.append((samples, at_s))
            if at_s - self._pending[0][1] >= _SETTLE_S:
                self._settle()
            return
        due = self.position(at_s)
        if self._voice_at is None:
            self._voice_at = due  # the first block: where its time says
        elif due - self._voice_at > _GAP_S * SAMPLE_RATE:
            self._pending.append((samples, at_s))
            return
        self._place_voice(samples)

    def _settle(self) -> None:
        """Places the held voice where its earliest-arriving block says the run began (a block
        can come late, never early), after silence if that is past a gap."""
        assert self._voice_at is not None
        before, start = 0, None
        for samples, at_s in self._pending:
            begins = self.position(at_s) - before
            start = begins if start is None else min(start, begins)
            before += samples.size
        behind = (start or 0) - self._voice_at
        if behind > _GAP_S * SAMPLE_RATE:
            self.silence_filled_s += behind / SAMPLE_RATE
            self._voice_at += behind
        for samples, _ in self._pending:
            self._place_voice(samples)
        self._pending.clear()

    def _place_voice(self, samples: Samples) -> None:
        assert self._voice_at is not None
        self._add(samples, self._voice_at)
        self._voice_at += samples.size

    # -- the microphone --------------------------------------------------------------------
    def microphone(self, samples: Samples, at_s: float) -> None:
        """What the microphone sent, captured at ``at_s`` (its first sample)."""
        due = self.position(at_s)
        at = self._microphone_at
        if at is None or abs(due - at) > _MICROPHONE_REANCHOR_S * SAMPLE_RATE:
            at = due
        self._microphone_at = at + samples.size
        self._add(samples, at)

    # -- out ---------------------------------------------------------------------------------
    def ready(self, final: bool = False) -> Samples | None:
        """The next stretch for the encoder, or None. ``final``: everything placed, held voice
        included."""
        if final and self._pending:
            self._settle()
        frontier = max(self._voice_at or 0, self._microphone_at or 0)
        upto = frontier if final else frontier - self._lookahead
        if upto <= self.encoded:
            return None
        count = upto - self.encoded
        self._cover(count)
        out = np.clip(self._buffer[:count], -32768, 32767).astype(np.int16)
        self._buffer = self._buffer[count:]
        self.encoded = upto
        return out

    def _add(self, samples: Samples, start: int) -> None:
        """Sums ``samples`` in from ``start``; what falls before the encoded part is lost."""
        skip = max(0, self.encoded - start)
        self.samples_late += min(skip, samples.size) if start >= 0 else 0
        if skip >= samples.size:
            return
        begin = start + skip - self.encoded
        end = begin + samples.size - skip
        self._cover(end)
        self._buffer[begin:end] += samples[skip:]

    def _cover(self, count: int) -> None:
        """Grows the buffer with silence to hold ``count`` samples from the encoded part."""
        if self._buffer.size < count:
            padding = np.zeros(count - self._buffer.size, np.int32)
            self._buffer = np.concatenate([self._buffer, padding])

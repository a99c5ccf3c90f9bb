"""How much later the receiver lets the avatar's voice out than its picture: WebRTC's audio
jitter buffer (NetEq) holds each sample longer than the video jitter buffer holds a frame, and
by an amount that grows with the network's and the machine's jitter.

A browser evens this out itself when the server puts both tracks in one sync group (LiveKit's
``sync_streams``, off by default and not something a client can ask for); without it the
voice leaves the receiver behind the lips it was captured with — measured on the rig at 31 ms
(jitter buffers 31 ms for the voice, 14 ms for the picture). The figure comes from the
inbound-RTP statistics the engine polls each second: the cumulative time the emitted samples
and frames spent in their buffers, differenced between two polls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# One noisy poll (a second's average) must not jerk the picture about.
_SMOOTHING = 0.5
MIN_SKEW_MS = -100.0
MAX_SKEW_MS = 300.0

Totals = dict[str, tuple[float, int]]  # kind -> (seconds spent in the buffer, items emitted)


def inbound_totals(entries: Iterable[Any]) -> Totals:
    """The cumulative jitter-buffer figures per kind (``audio``, ``video``) from a poll's
    ``RtcStats`` entries, summed over the tracks of that kind."""
    totals: Totals = {}
    for entry in entries:
        if entry.WhichOneof("stats") != "inbound_rtp":
            continue
        kind = entry.inbound_rtp.stream.kind
        inbound = entry.inbound_rtp.inbound
        seconds, count = totals.get(kind, (0.0, 0))
        totals[kind] = (
            seconds + inbound.jitter_buffer_delay,
            count + inbound.jitter_buffer_emitted_count,
        )
    return totals


class ReceiverSkew:
    """The voice's jitter-buffer delay less the picture's, in ms (0 until both are known)."""

    def __init__(self) -> None:
        self.skew_ms = 0.0
        self.audio_ms: float | None = None
        self.video_ms: float | None = None
        self._last: Totals = {}
        self._known = False

    def update(self, totals: Totals) -> float:
        """Takes a poll's totals; a track that ended or restarted (totals going backwards)
        restarts its kind's baseline instead of giving a figure."""
        for kind in ("audio", "video"):
            now, before = totals.get(kind), self._last.get(kind)
            if now is None:
                continue
            if before is not None and now[1] > before[1] and now[0] >= before[0]:
                current = (now[0] - before[0]) / (now[1] - before[1]) * 1000
                if kind == "audio":
                    self.audio_ms = current
                else:
                    self.video_ms = current
            self._last[kind] = now
        if self.audio_ms is not None and self.video_ms is not None:
            target = min(MAX_SKEW_MS, max(MIN_SKEW_MS, self.audio_ms - self.video_ms))
            if self._known:
                self.skew_ms += _SMOOTHING * (target - self.skew_ms)
            else:
                self._known, self.skew_ms = True, target
        return self.skew_ms

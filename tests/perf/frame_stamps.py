"""The rig's stamp read from a frame the view pulled (BGRA, scaled), for the benchmarks and the
window's tests: which of the avatar's frames reached the screen, and how late."""

from __future__ import annotations

import time

import numpy as np

from avatar_desktop.core.media_port import Frame, FrameSource
from avatar_desktop.rig.avatar.stamp import Stamp, latency_us, read_stamp


def painted_stamp(frame: Frame) -> Stamp | None:
    """Reads only the top band the stamp lives in (one channel: its blocks are grey), padded
    below so the reader sees the two block rows whole."""
    rows = np.frombuffer(frame.pixels, np.uint8).reshape(frame.height, frame.stride)
    band = np.ascontiguousarray(rows[: frame.height // 20 + 2, : frame.width * 4 : 4])
    return read_stamp(np.vstack([band, np.zeros_like(band)]))


class StampedSource:
    """Wraps the view's frame source to note which stamped frames reached the view, and when,
    while ``recording`` is on."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.numbers: list[int] = []
        self.seqs: list[int] = []  # which of the engine's published frames each pull took
        self.sent_to_pulled_ms: list[float] = []
        self.pulled_at: list[float] = []  # monotonic seconds of each pull, beside ``seqs``
        self.recording = False
        self.cpu_s = 0.0  # reading stamps is the benchmark's work, not the app's

    def request_size(self, width: int, height: int) -> None:
        self.source.request_size(width, height)

    def latest(self) -> Frame | None:
        frame = self.source.latest()
        if frame is not None and self.recording:
            began = time.thread_time()
            self.seqs.append(frame.seq)
            self.pulled_at.append(time.monotonic())
            stamp = painted_stamp(frame)
            if stamp is not None:
                self.numbers.append(stamp.frame_number)
                self.sent_to_pulled_ms.append(latency_us(stamp, time.time_ns() // 1000) / 1000)
            self.cpu_s += time.thread_time() - began
        return frame

    @property
    def dropped(self) -> int:
        """Stamped frames between the first and the last seen that never reached the view
        (lost anywhere: the sender on a loaded machine, the network, the engine, the view)."""
        numbers = sorted(set(self.numbers))
        return numbers[-1] - numbers[0] + 1 - len(numbers) if numbers else 0

    @property
    def missed_by_the_view(self) -> int:
        """Frames the engine published between the first and the last pulled that the view
        never took (a GUI thread too slow for the stream)."""
        seqs = sorted(set(self.seqs))
        return seqs[-1] - seqs[0] + 1 - len(seqs) if seqs else 0

    def misses(self) -> list[tuple[float, int, float]]:
        """Each place the view skipped published frames: (seconds since the first pull, frames
        skipped, milliseconds since the pull before). A gap of one display tick (~17 ms) means
        the engine published two frames within a tick; a longer one, a late view."""
        found = []
        for i in range(1, len(self.seqs)):
            skipped = self.seqs[i] - self.seqs[i - 1] - 1
            if skipped > 0:
                since = self.pulled_at[i] - self.pulled_at[0]
                found.append((since, skipped, 1000 * (self.pulled_at[i] - self.pulled_at[i - 1])))
        return found

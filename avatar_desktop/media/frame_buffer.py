"""The latest video frame, shared between the media engine process (writer) and the window
(reader) through shared memory: a header and two RGBA slots.

Writer: fills the slot the reader is not pointed at, then publishes it by bumping a sequence
counter (odd while the header changes, a seqlock). Reader: copies the published slot and checks
the counter did not move meanwhile; a slow reader only ever sees the newest frame (capacity 1).
"""

from __future__ import annotations

import contextlib
import struct
from multiprocessing import resource_tracker, shared_memory

from avatar_desktop.core.media_port import Frame

MAX_WIDTH, MAX_HEIGHT = 1920, 1088
SLOT_BYTES = MAX_WIDTH * MAX_HEIGHT * 4
# seq, slot, width, height, received_us (wall clock, for latency), frames_written
_HEADER = struct.Struct("<QQQQQQ")
HEADER_BYTES = 64
TOTAL_BYTES = HEADER_BYTES + 2 * SLOT_BYTES


class FrameWriter:
    def __init__(self, name: str | None = None) -> None:
        self.shm = shared_memory.SharedMemory(name=name, create=True, size=TOTAL_BYTES)
        self._buf = self.shm.buf
        assert self._buf is not None
        self._seq = 0
        self._slot = 0
        self._frames = 0
        _HEADER.pack_into(self._buf, 0, 0, 0, 0, 0, 0, 0)

    @property
    def name(self) -> str:
        return self.shm.name

    def write(self, width: int, height: int, rgba: bytes | memoryview, received_us: int) -> None:
        size = width * height * 4
        if width > MAX_WIDTH or height > MAX_HEIGHT or len(rgba) < size:
            raise ValueError(f"frame {width}x{height} does not fit the shared buffer")
        slot = 1 - self._slot
        start = HEADER_BYTES + slot * SLOT_BYTES
        assert self._buf is not None
        self._buf[start : start + size] = memoryview(rgba)[:size]
        self._frames += 1
        self._seq += 1  # odd: header changing
        _HEADER.pack_into(self._buf, 0, self._seq, slot, width, height, received_us, self._frames)
        self._seq += 1
        _HEADER.pack_into(self._buf, 0, self._seq, slot, width, height, received_us, self._frames)
        self._slot = slot

    def close(self) -> None:
        self._buf = None
        self.shm.close()
        self.shm.unlink()


class FrameReader:
    def __init__(self, name: str) -> None:
        self.shm = shared_memory.SharedMemory(name=name, create=False)
        # Python < 3.13 registers attached segments for cleanup too; the writer owns this one.
        with contextlib.suppress(Exception):
            resource_tracker.unregister(self.shm._name, "shared_memory")  # type: ignore[attr-defined]
        self.last_seq = 0

    def frames_written(self) -> int:
        assert self.shm.buf is not None
        return int(_HEADER.unpack_from(self.shm.buf, 0)[5])

    def latest(self) -> Frame | None:
        """The newest frame if it is newer than the last one read, else None."""
        buf = self.shm.buf
        assert buf is not None
        for _ in range(3):
            seq, slot, width, height, received_us, _n = _HEADER.unpack_from(buf, 0)
            if seq == self.last_seq or seq % 2 or width == 0:
                return None
            start = HEADER_BYTES + slot * SLOT_BYTES
            data = bytes(buf[start : start + width * height * 4])
            if _HEADER.unpack_from(buf, 0)[0] == seq:
                self.last_seq = seq
                return Frame(seq, width, height, received_us, data)
        return None

    def close(self) -> None:
        self.shm.close()

    def unlink_if_orphaned(self) -> None:
        """After the writer died without unlinking (a crash), remove the segment."""
        with contextlib.suppress(FileNotFoundError):
            shared_memory.SharedMemory(name=self.shm.name, create=False).unlink()

"""The newest video frames, shared between the media engine process (writer) and the window
(reader) through shared memory: a header and four BGRA slots, so the picture is never copied
on the window's side.

Writer: fills a slot that is none of the two last published and not the one the reader holds,
then publishes it by bumping a sequence counter (odd while the header changes, a seqlock); the
header names the newest frame and the one before it. Reader: takes a published slot, marks it
held and hands out a view of it; it stays untouched until the reader takes the next one.

The reader takes the newest frame, or the one before it when that is the very next one it has
not shown: two frames published within one display tick (the engine's loop or the window was
late by a few milliseconds) are then both shown, a tick apart, instead of the first being lost.
A reader slower than the stream still only ever sees the newest frame.

The reader also writes the size it shows frames at (device pixels): the writer scales to fit
it, so the window paints 1:1.
"""

from __future__ import annotations

import contextlib
import struct
from multiprocessing import resource_tracker, shared_memory

import numpy as np
import numpy.typing as npt

from avatar_desktop.core.media_port import Frame

MAX_WIDTH, MAX_HEIGHT = 1920, 1088
SLOTS = 4
SLOT_BYTES = MAX_WIDTH * MAX_HEIGHT * 4
# Written by the writer: seq, then the newest frame and the one before it, each as slot, width,
# height, stride, received_us (wall clock, for latency) and number (1, 2, ...; 0: none yet).
_SEQ = struct.Struct("<Q")
_PUBLISHED = struct.Struct("<QQQQQQ")
_NEWEST_OFFSET = _SEQ.size
_PREVIOUS_OFFSET = _NEWEST_OFFSET + _PUBLISHED.size
# Written by the reader, on a cache line of its own: held slot (-1: none), wanted width, height.
_READER = struct.Struct("<qQQ")
READER_OFFSET = 128
HEADER_BYTES = 192
TOTAL_BYTES = HEADER_BYTES + SLOTS * SLOT_BYTES
_NONE = (0, 0, 0, 0, 0, 0)


def fit(source: tuple[int, int], area: tuple[int, int]) -> tuple[int, int]:
    """The largest size of ``source``'s aspect inside ``area`` and the slot (even sides, so
    chroma stays aligned); the source size itself when no area is asked for."""
    width, height = source
    area_w, area_h = area
    if area_w <= 0 or area_h <= 0:
        area_w, area_h = width, height
    scale = min(area_w / width, area_h / height, MAX_WIDTH / width, MAX_HEIGHT / height)
    return max(2, int(width * scale) & ~1), max(2, int(height * scale) & ~1)


class FrameWriter:
    def __init__(self, name: str | None = None) -> None:
        self.shm = shared_memory.SharedMemory(name=name, create=True, size=TOTAL_BYTES)
        self._buf = self.shm.buf
        assert self._buf is not None
        self._seq = 0
        self._newest: tuple[int, ...] = _NONE
        self._previous: tuple[int, ...] = _NONE
        self._next: tuple[int, int, int] | None = None
        self._write_header()
        _READER.pack_into(self._buf, READER_OFFSET, -1, 0, 0)

    @property
    def name(self) -> str:
        return self.shm.name

    def wanted_size(self) -> tuple[int, int]:
        """The reader's display area in device pixels; (0, 0) before it said."""
        assert self._buf is not None
        _held, width, height = _READER.unpack_from(self._buf, READER_OFFSET)
        return int(width), int(height)

    def begin(self, width: int, height: int) -> npt.NDArray[np.uint8]:
        """A free slot as a (height, width * 4) array to draw the next frame into."""
        if width > MAX_WIDTH or height > MAX_HEIGHT or width < 1 or height < 1:
            raise ValueError(f"frame {width}x{height} does not fit the shared buffer")
        assert self._buf is not None
        held = _READER.unpack_from(self._buf, READER_OFFSET)[0]
        busy = {held}
        busy.update(record[0] for record in (self._newest, self._previous) if record[5])
        slot = next(s for s in range(SLOTS) if s not in busy)
        start = HEADER_BYTES + slot * SLOT_BYTES
        self._next = (slot, width, height)
        view = np.frombuffer(self._buf, np.uint8, width * height * 4, start)
        return view.reshape(height, width * 4)

    def publish(self, received_us: int) -> None:
        """Makes the frame drawn since ``begin`` the newest one."""
        if self._next is None:
            raise RuntimeError("publish without begin")
        slot, width, height = self._next
        self._next = None
        number = self._newest[5] + 1
        self._previous = self._newest
        self._newest = (slot, width, height, width * 4, received_us, number)
        self._write_header()

    def _write_header(self) -> None:
        assert self._buf is not None
        self._seq += 1  # odd: header changing
        _SEQ.pack_into(self._buf, 0, self._seq)
        _PUBLISHED.pack_into(self._buf, _NEWEST_OFFSET, *self._newest)
        _PUBLISHED.pack_into(self._buf, _PREVIOUS_OFFSET, *self._previous)
        self._seq += 1
        _SEQ.pack_into(self._buf, 0, self._seq)

    def write(self, width: int, height: int, bgra: bytes | memoryview, received_us: int) -> None:
        """Copies a whole BGRA frame in (tests, and sources that are already the right size)."""
        size = width * height * 4
        if len(bgra) < size:
            raise ValueError(f"{len(bgra)} bytes are not a {width}x{height} frame")
        target = self.begin(width, height)
        target[:] = np.frombuffer(bgra, np.uint8, size).reshape(height, width * 4)
        self.publish(received_us)

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
        self.last_number = 0  # of the frame taken last

    def frames_written(self) -> int:
        assert self.shm.buf is not None
        return int(_PUBLISHED.unpack_from(self.shm.buf, _NEWEST_OFFSET)[5])

    def request_size(self, width: int, height: int) -> None:
        buf = self.shm.buf
        assert buf is not None
        held = _READER.unpack_from(buf, READER_OFFSET)[0]
        _READER.pack_into(buf, READER_OFFSET, held, max(0, width), max(0, height))

    def latest(self) -> Frame | None:
        """The next frame to show, if there is one newer than the last taken, else None: the
        newest, or the one before it when that one follows the last taken (see the module's
        docstring). Its pixels are a view of shared memory, left alone by the writer until the
        next frame is taken."""
        buf = self.shm.buf
        assert buf is not None
        for _ in range(3):
            seq = _SEQ.unpack_from(buf, 0)[0]
            newest = _PUBLISHED.unpack_from(buf, _NEWEST_OFFSET)
            previous = _PUBLISHED.unpack_from(buf, _PREVIOUS_OFFSET)
            if seq % 2 or _SEQ.unpack_from(buf, 0)[0] != seq:
                continue  # caught the writer mid-header
            if newest[5] == 0 or newest[5] == self.last_number:
                return None
            caught_up = self.last_number and previous[5] == self.last_number + 1
            slot, width, height, stride, received_us, number = previous if caught_up else newest
            _held, want_w, want_h = _READER.unpack_from(buf, READER_OFFSET)
            _READER.pack_into(buf, READER_OFFSET, slot, want_w, want_h)
            # Published again meanwhile: the writer may not have seen the hold; look again.
            if _SEQ.unpack_from(buf, 0)[0] != seq:
                continue
            self.last_number = number
            start = HEADER_BYTES + slot * SLOT_BYTES
            pixels = buf[start : start + stride * height]
            return Frame(number, width, height, received_us, pixels, stride)
        return None

    def close(self) -> bool:
        """Unmaps the segment; False while a frame handed out still points into it (the
        caller tries again once the window has let go of it)."""
        try:
            self.shm.close()
        except BufferError:
            return False
        return True

    def unlink_if_orphaned(self) -> None:
        """After the writer died without unlinking (a crash), remove the segment."""
        with contextlib.suppress(FileNotFoundError):
            shared_memory.SharedMemory(name=self.shm.name, create=False).unlink()

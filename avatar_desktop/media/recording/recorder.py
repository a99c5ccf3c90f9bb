"""A recording in progress: the media engine hands it what it receives (the avatar's frames and
voice, the microphone when asked, transcript cues) and a thread of its own encodes it, so the
live view never waits on the encoder.

The engine's side only enqueues. Frames are dropped (and counted) when the encoder falls more
than half a second behind — the live view matters more than the file; sound is never dropped.
Times are taken when the engine enqueues, on one monotonic clock; the engine moves each frame by
how much later than the picture the receiver let the voice out (receiver_skew.py), so picture
and voice captured at one instant sit at one instant in the file.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .mp4_writer import Mp4Writer, fit_720p

log = logging.getLogger(__name__)
_MAX_QUEUED_FRAMES = 15  # half a second at 30 fps
_MAX_EARLY_AUDIO_S = 5.0  # sound kept while the first frame (the file's size) is awaited
_MAX_RENDER_LEAD_S = 1.0  # a render time further from now than this is not believed
# The encoder yields to the live view: its thread (and the threads libx264 starts from it, which
# inherit it) run at this niceness, so on a busy machine the file drops frames, not the screen.
ENCODER_NICENESS = 10


@dataclass(frozen=True)
class RecordingStats:
    path: str
    seconds: float
    bytes: int
    frames_written: int
    frames_dropped: int
    cues: int
    error: str = ""


@dataclass(frozen=True)
class _Video:
    i420: bytes
    width: int
    height: int
    at: float


@dataclass(frozen=True)
class _Audio:
    samples: npt.NDArray[np.int16]
    at: float


@dataclass(frozen=True)
class _Microphone:
    samples: npt.NDArray[np.int16]
    at: float


@dataclass(frozen=True)
class _Cue:
    text: str
    start: float
    end: float


_Item = _Video | _Audio | _Microphone | _Cue | None


class Recorder:
    """Records to ``path`` from construction until ``stop()``. ``quality`` is ``source`` (the
    stream's own size) or ``720p`` (fit into 1280x720); ``microphone``: what the user's
    microphone sent is mixed with the avatar's voice."""

    def __init__(
        self,
        path: Path,
        *,
        quality: str = "source",
        clock: Callable[[], float] = time.monotonic,
        microphone: bool = False,
    ) -> None:
        self.path = path
        self.quality = quality
        self.records_microphone = microphone
        self._clock = clock
        self._started = clock()
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._frames_queued = 0
        self._lock = threading.Lock()
        self.frames_dropped = 0
        self._writer: Mp4Writer | None = None
        self._early_audio: list[_Audio | _Microphone] = []
        self.error = ""
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    # -- fed from the engine's loop (cheap, never blocks) ------------------------------------
    def video(
        self,
        i420: bytes | memoryview,
        width: int,
        height: int,
        hold_s: float = 0.0,
        due_at: float | None = None,
    ) -> None:
        """A frame due at ``due_at`` on the recorder's clock (its render time from the
        receiver, which a starved engine loop does not delay; None: now), put ``hold_s`` later
        in the file (earlier if negative)."""
        with self._lock:
            if self._frames_queued >= _MAX_QUEUED_FRAMES:
                self.frames_dropped += 1
                return
            self._frames_queued += 1
        now = self._clock()
        due = now if due_at is None or abs(due_at - now) > _MAX_RENDER_LEAD_S else due_at
        at = due - self._started + hold_s
        self._queue.put(_Video(bytes(i420), width, height, at))

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        self._queue.put(_Audio(samples.copy(), self._clock() - self._started))

    def microphone(self, samples: npt.NDArray[np.int16], captured_at: float) -> None:
        """What the microphone sent, captured at ``captured_at`` on the recorder's clock;
        ignored unless the recording takes the microphone."""
        if self.records_microphone:
            self._queue.put(_Microphone(samples.copy(), captured_at - self._started))

    def cue(self, text: str, start_wall: float, end_wall: float) -> None:
        """A transcript line, its times on ``time.time()``'s clock (the app's transcript's)."""
        offset = time.time() - self._clock() + self._started
        self._queue.put(_Cue(text, start_wall - offset, end_wall - offset))

    def stop(self) -> RecordingStats:
        """Ends the file; what is queued is written first."""
        self._queue.put(None)
        self._thread.join()
        return self.stats

    @property
    def stats(self) -> RecordingStats:
        writer = self._writer
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        return RecordingStats(
            path=str(self.path),
            seconds=round(self._clock() - self._started, 1),
            bytes=size,
            frames_written=writer.frames_written if writer else 0,
            frames_dropped=self.frames_dropped,
            cues=writer.cues_written if writer else 0,
            error=self.error,
        )

    # -- the recorder's thread -------------------------------------------------------------
    def _run(self) -> None:
        _yield_to_the_live_view()
        try:
            while (item := self._queue.get()) is not None:
                if self.error:
                    continue  # the file is lost; keep emptying the queue until stop()
                self._write(item)
        except Exception as exc:  # a full disk, a vanished folder: said, never a crash
            log.exception("recording to %s failed", self.path)
            self.error = str(exc) or type(exc).__name__
            while self._queue.get() is not None:
                pass
        finally:
            self._close()

    def _write(self, item: _Video | _Audio | _Microphone | _Cue) -> None:
        if isinstance(item, _Video):
            with self._lock:
                self._frames_queued -= 1
            writer = self._writer or self._open(item.width, item.height, item.at)
            writer.write_video(item.i420, item.width, item.height, item.at)
        elif isinstance(item, _Audio | _Microphone):
            if self._writer is None:
                self._early_audio.append(item)
                while self._early_audio and item.at - self._early_audio[0].at > (
                    _MAX_EARLY_AUDIO_S
                ):
                    self._early_audio.pop(0)
            else:
                self._write_sound(self._writer, item)
        elif self._writer is not None:
            self._writer.write_cue(item.text, item.start, item.end)

    def _open(self, width: int, height: int, first_at: float) -> Mp4Writer:
        size = fit_720p(width, height) if self.quality == "720p" else (width & ~1, height & ~1)
        self._writer = Mp4Writer(
            self.path, *size, origin_s=first_at, microphone=self.records_microphone
        )
        for early in self._early_audio:
            self._write_sound(self._writer, early)
        self._early_audio.clear()
        return self._writer

    @staticmethod
    def _write_sound(writer: Mp4Writer, item: _Audio | _Microphone) -> None:
        if isinstance(item, _Microphone):
            writer.write_microphone(item.samples, item.at)
        else:
            writer.write_audio(item.samples, item.at)

    def _close(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception as exc:
                log.exception("closing the recording %s failed", self.path)
                self.error = self.error or str(exc) or type(exc).__name__


def _yield_to_the_live_view() -> None:
    """Lowers this thread's priority (Linux: niceness is per thread, and inherited by threads it
    starts). Elsewhere the recording runs at the app's priority: macOS and Windows set no
    priority for a single thread through Python's os module."""
    if sys.platform != "linux":
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENCODER_NICENESS)
    except OSError as exc:  # a sandbox that forbids it: the recording still runs
        log.info("the recorder's priority stays as it is: %s", exc)

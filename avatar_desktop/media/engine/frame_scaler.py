"""Decoded I420 frames → BGRA at the size the window shows them (FFmpeg's swscale through
PyAV), written straight into the shared frame slot. The window then paints 1:1: no second
conversion, no smooth transform per paint.

Two passes, each with its own reformatter (an ``SwsContext`` made once, not per frame): the
planes scaled in YUV, then converted to BGRA at the shown size. swscale's single pass that
does both costs as much or more (measured on a quiet machine, ms a frame, fused → two: 720p to
730x410 0.90 → 0.81, to 1920x1080 3.40 → 2.70; 1080p to 730x410 1.0 either way): its vector
code covers the YUV scalers and the YUV→RGB converter, not the two fused.

swscale reads the SDK's I420 buffer in place (even sizes, all the SDK sends: ``normalize_stride``
packs the planes) and runs on one thread: its slice threads cost more than they share out on
pictures this small (a quiet machine, CPU a 720p frame to 730x410: 0.70 ms threaded, 0.53 on one
thread; 1080p 1.15 → 0.77), and on a 2-core machine that is also decoding they wait for a core.
"""

from __future__ import annotations

import time

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter
from livekit import rtc

from ..frame_buffer import FrameWriter, fit

# Shrinking (the usual case: a 720p or 1080p stream in a smaller window) averages the source
# pixels each output pixel covers: no aliasing. Growing (a maximized window) is bilinear.
SHRINK, GROW = "AREA", "BILINEAR"


class FrameScaler:
    def __init__(self, frames: FrameWriter) -> None:
        self.frames = frames
        self._source: av.VideoFrame | None = None
        self._scale = VideoReformatter()
        self._convert = VideoReformatter()
        self.frames_scaled = 0
        # CPU time (this thread's: wall time counted the decoder's threads that preempted it,
        # 2.3-2.9 ms a 720p frame against 0.9 of CPU) converting, scaling and copying.
        self.seconds_spent = 0.0

    def _source_frame(self, frame: rtc.VideoFrame) -> av.VideoFrame:
        """The I420 picture as swscale's input: a view of the SDK's buffer where its size is
        even, else a copy into planes of PyAV's own (odd sizes round the chroma up)."""
        width, height = frame.width, frame.height
        data = np.frombuffer(frame.data, np.uint8)
        if width % 2 == 0 and height % 2 == 0:
            return av.VideoFrame.from_numpy_buffer(
                data.reshape(height * 3 // 2, width), format="yuv420p"
            )
        source = self._source
        if source is None or (source.width, source.height) != (width, height):
            source = self._source = av.VideoFrame(width, height, "yuv420p")
        chroma_w, chroma_h = (width + 1) // 2, (height + 1) // 2
        offset = 0
        for plane, (w, h) in zip(source.planes, ((width, height), (chroma_w, chroma_h),
                                                 (chroma_w, chroma_h)), strict=True):  # fmt: skip
            _copy_plane(data[offset : offset + w * h].reshape(h, w), plane)
            offset += w * h
        return source

    def write(self, frame: rtc.VideoFrame, received_us: int) -> tuple[int, int]:
        """Converts, scales and publishes one frame; returns the size written."""
        began = time.thread_time()
        if frame.type != rtc.VideoBufferType.I420:
            frame = frame.convert(rtc.VideoBufferType.I420)
        width, height = frame.width, frame.height
        source = self._source_frame(frame)
        out_w, out_h = _even(fit((width, height), self.frames.wanted_size()))
        sized = source
        if (out_w, out_h) != (width, height):
            sized = self._scale.reformat(
                source,
                width=out_w,
                height=out_h,
                interpolation=SHRINK if out_w < width else GROW,
                threads=1,
            )
        scaled = self._convert.reformat(sized, format="bgra", threads=1)
        plane = scaled.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(out_h, plane.line_size)
        target = self.frames.begin(out_w, out_h)
        target[:] = rows[:, : out_w * 4]
        self.frames.publish(received_us)
        self.frames_scaled += 1
        self.seconds_spent += time.thread_time() - began
        return out_w, out_h


def _even(size: tuple[int, int]) -> tuple[int, int]:
    return max(2, size[0] - size[0] % 2), max(2, size[1] - size[1] % 2)


def _copy_plane(pixels: npt.NDArray[np.uint8], plane: av.video.plane.VideoPlane) -> None:
    height, width = pixels.shape
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    rows[:height, :width] = pixels

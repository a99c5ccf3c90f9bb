"""Decoded I420 frames → BGRA at the size the window shows them, in one native pass (FFmpeg's
swscale through PyAV: colour conversion and scaling together), written straight into the shared
frame slot. The window then paints 1:1: no second conversion, no smooth transform per paint."""

from __future__ import annotations

import time

import av
import numpy as np
import numpy.typing as npt
from livekit import rtc

from ..frame_buffer import FrameWriter, fit

# Shrinking (the usual case: a 720p or 1080p stream in a smaller window) averages the source
# pixels each output pixel covers: no aliasing, and in swscale as cheap as its fast bilinear
# (0.70 ms for 720p and 1.22 ms for 1080p to 730x410, against 0.99 and 1.49 ms bilinear).
# Growing (a maximized window) is bilinear.
SHRINK, GROW = "AREA", "BILINEAR"


class FrameScaler:
    def __init__(self, frames: FrameWriter) -> None:
        self.frames = frames
        self._source: av.VideoFrame | None = None
        self.frames_scaled = 0
        self.seconds_spent = 0.0  # converting, scaling and copying, for the benchmarks

    def _source_frame(self, width: int, height: int) -> av.VideoFrame:
        frame = self._source
        if frame is None or (frame.width, frame.height) != (width, height):
            frame = self._source = av.VideoFrame(width, height, "yuv420p")
        return frame

    def write(self, frame: rtc.VideoFrame, received_us: int) -> tuple[int, int]:
        """Converts, scales and publishes one frame; returns the size written."""
        began = time.perf_counter()
        if frame.type != rtc.VideoBufferType.I420:
            frame = frame.convert(rtc.VideoBufferType.I420)
        width, height = frame.width, frame.height
        source = self._source_frame(width, height)
        data = np.frombuffer(frame.data, np.uint8)
        chroma_w, chroma_h = (width + 1) // 2, (height + 1) // 2
        offset = 0
        for plane, (w, h) in zip(source.planes, ((width, height), (chroma_w, chroma_h),
                                                 (chroma_w, chroma_h)), strict=True):  # fmt: skip
            _copy_plane(data[offset : offset + w * h].reshape(h, w), plane)
            offset += w * h
        out_w, out_h = fit((width, height), self.frames.wanted_size())
        interpolation = SHRINK if out_w < width else GROW
        scaled = source.reformat(
            width=out_w, height=out_h, format="bgra", interpolation=interpolation
        )
        plane = scaled.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(out_h, plane.line_size)
        target = self.frames.begin(out_w, out_h)
        target[:] = rows[:, : out_w * 4]
        self.frames.publish(received_us)
        self.frames_scaled += 1
        self.seconds_spent += time.perf_counter() - began
        return out_w, out_h


def _copy_plane(pixels: npt.NDArray[np.uint8], plane: av.video.plane.VideoPlane) -> None:
    height, width = pixels.shape
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    rows[:height, :width] = pixels

"""Which way to the screen costs the GUI thread less: the engine's RGBA (converted natively by
libyuv in the engine process) wrapped in a QImage and painted, or the I420 planes copied into a
YUV420P QVideoFrame and painted by Qt Multimedia (which converts to RGB on the GPU when there is
one, on the CPU otherwise).

    python -m tests.perf.bench_renderers [--frames 300] [--smoke]

Needs a display (Xvfb is fine). Prints and writes JSON (default artifacts/bench_renderers.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from avatar_desktop.rig.avatar.face import QUALITY_SIZES, FacePainter
from avatar_desktop.rig.avatar.stamp import Stamp
from avatar_desktop.rig.avatar.visemes import from_level
from tests.perf.report import write_report


class Canvas(QWidget):
    """Paints whatever ``draw`` does, like the video view, so repaint() times one frame."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(960, 540)
        self.draw: Any = None
        self.paints = 0

    def paintEvent(self, _event: Any) -> None:
        self.paints += 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # as the video view
        if self.draw is not None:
            self.draw(painter, QRectF(self.rect()))
        painter.end()


def frames(width: int, height: int, count: int) -> tuple[list[bytes], list[bytes]]:
    painter = FacePainter(width, height)
    i420, rgba = [], []
    for n in range(count):
        data = bytes(painter.paint(Stamp(n, n), from_level((n % 30) / 29), n / 30))
        i420.append(data)
        frame = rtc.VideoFrame(width, height, rtc.VideoBufferType.I420, data)
        rgba.append(bytes(frame.convert(rtc.VideoBufferType.RGBA).data))
    return i420, rgba


def time_qimage(canvas: Canvas, rgba: list[bytes], width: int, height: int) -> list[float]:
    costs = []
    for data in rgba:
        started = time.perf_counter()
        image = QImage(data, width, height, width * 4, QImage.Format.Format_RGBA8888)
        canvas.draw = lambda p, r, img=image: p.drawImage(r, img)
        canvas.repaint()
        costs.append((time.perf_counter() - started) * 1000)
    return costs


def time_qvideoframe(canvas: Canvas, i420: list[bytes], width: int, height: int) -> list[float]:
    costs = []
    fmt = QVideoFrameFormat(QSize(width, height), QVideoFrameFormat.PixelFormat.Format_YUV420P)
    y_size, c_size = width * height, (width // 2) * (height // 2)
    for data in i420:
        started = time.perf_counter()
        frame = QVideoFrame(fmt)
        frame.map(QVideoFrame.MapMode.WriteOnly)
        src = np.frombuffer(data, np.uint8)
        half_w, half_h = width // 2, height // 2
        planes = (
            (0, src[:y_size], width, height),
            (1, src[y_size : y_size + c_size], half_w, half_h),
            (2, src[y_size + c_size :], half_w, half_h),
        )
        for index, plane, w, h in planes:
            stride = frame.bytesPerLine(index)
            dst = np.frombuffer(frame.bits(index), np.uint8)[: stride * h].reshape(h, stride)
            dst[:, :w] = plane.reshape(h, w)
        frame.unmap()
        options = QVideoFrame.PaintOptions()
        canvas.draw = lambda p, r, f=frame, o=options: f.paint(p, r, o)
        canvas.repaint()
        costs.append((time.perf_counter() - started) * 1000)
    return costs


def summary(costs: list[float]) -> dict[str, float]:
    ordered = sorted(costs)
    return {"ms_p50": round(statistics.median(ordered), 2),
            "ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "ms_mean": round(statistics.fmean(ordered), 2)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_renderers.json"))
    args = parser.parse_args(argv)
    count = 20 if args.smoke else args.frames
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    canvas = Canvas()
    canvas.show()
    # repaint() paints nothing until the window is mapped: timing that would time nothing.
    if not QTest.qWaitForWindowExposed(canvas, 5000):
        raise RuntimeError("the benchmark window was never exposed")
    results = []
    for quality in ("high", "very_high"):
        width, height = QUALITY_SIZES[quality]
        i420, rgba = frames(width, height, count)
        before = canvas.paints
        result = {
            "size": f"{width}x{height}",
            "qimage_rgba": summary(time_qimage(canvas, rgba, width, height)),
            "qvideoframe_yuv420p": summary(time_qvideoframe(canvas, i420, width, height)),
            "platform": app.platformName(),
        }
        if canvas.paints - before != 2 * count:
            raise RuntimeError(f"{canvas.paints - before} paints for {2 * count} repaints")
        print(json.dumps(result))
        results.append(result)
    canvas.close()
    return write_report("renderers", args.smoke, results, args.json)


if __name__ == "__main__":
    main()

"""Benchmark of the window on the rig: click-to-first-frame, painted frames/s and dropped frames
(gaps in the stamped frame counter of what was painted), latency frame-received→painted and
sent→painted (p50/p95), GUI-thread busy share, and event-loop lag (p99).

    python -m tests.perf.bench_window [--seconds 60] [--quality high --quality very_high] [--smoke]

Run inside the test namespaces under Xvfb (scripts/in-test-netns.sh xvfb-run -a ...). Writes
JSON (default artifacts/bench_window.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import qasync
from PySide6.QtWidgets import QApplication

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.media_port import Frame
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar.stamp import latency_us, read_stamp
from avatar_desktop.ui.main_window import MainWindow
from tests.perf.report import percentile, write_report
from tests.rig_harness import RigHandle, running_rig


class StampedSource:
    """Wraps the frame source to note which stamped frames reached the view, and when."""

    def __init__(self, engines: EngineHolder) -> None:
        self.engines = engines
        self.numbers: list[int] = []
        self.sent_to_pulled_ms: list[float] = []
        self.recording = False

    def __call__(self) -> Frame | None:
        frame = self.engines.latest_frame()
        if frame is not None and self.recording:
            rgba = np.frombuffer(frame.rgba, np.uint8).reshape(frame.height, frame.width, 4)
            band = np.ascontiguousarray(rgba[: frame.height // 20 + 2, :, 0])
            stamp = read_stamp(np.vstack([band, np.zeros_like(band)]))
            if stamp is not None:
                self.numbers.append(stamp.frame_number)
                self.sent_to_pulled_ms.append(latency_us(stamp, time.time_ns() // 1000) / 1000)
        return frame


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.01)
        samples.append((loop.time() - before - 0.01) * 1000)


async def measure(rig: RigHandle, seconds: float, quality: str) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines = EngineHolder(None)
    source = StampedSource(engines)
    controller = SessionController(provider, engines.factory, SessionSettings(quality=quality))
    window = MainWindow(controller, source, "rig")
    window.resize(1280, 760)
    window.show()
    try:
        clicked = time.monotonic()
        window.start_action.trigger()
        while window.video.stats.frames_painted == 0:  # noqa: ASYNC110 - polling the view
            await asyncio.sleep(0.005)
        first_paint_ms = (time.monotonic() - clicked) * 1000
        assert controller.state is SessionState.LIVE
        await asyncio.sleep(2)  # warm-up
        lags: list[float] = []
        stop = asyncio.Event()
        lag_task = asyncio.get_running_loop().create_task(loop_lag(lags, stop))
        painted0 = window.video.stats.frames_painted
        latencies0 = len(window.video.stats.latencies_ms)
        source.recording = True
        wall0, cpu0 = time.monotonic(), time.thread_time()
        await asyncio.sleep(seconds)
        elapsed, gui_cpu = time.monotonic() - wall0, time.thread_time() - cpu0
        source.recording = False
        stop.set()
        await lag_task
        painted = window.video.stats.frames_painted - painted0
        received_to_paint = window.video.stats.latencies_ms[latencies0:]
        numbers = sorted(set(source.numbers))
        expected = numbers[-1] - numbers[0] + 1 if numbers else 0
    finally:
        window.close()
        while controller.has_work:  # noqa: ASYNC110 - the window closes in its own task
            await asyncio.sleep(0.05)
        await provider.aclose()
    return {
        "quality": quality,
        "seconds": round(elapsed, 2),
        "click_to_first_frame_ms": round(first_paint_ms, 1),
        "painted_fps": round(painted / elapsed, 2),
        "distinct_frames_shown": len(numbers),
        "dropped_frames": max(0, expected - len(numbers)),
        "received_to_painted_ms_p50": percentile(received_to_paint, 0.5),
        "received_to_painted_ms_p95": percentile(received_to_paint, 0.95),
        "sent_to_pulled_ms_p50": percentile(source.sent_to_pulled_ms, 0.5),
        "sent_to_pulled_ms_p95": percentile(source.sent_to_pulled_ms, 0.95),
        "gui_thread_busy_percent": round(gui_cpu / elapsed * 100, 1),
        "event_loop_lag_ms_p99": percentile(lags, 0.99),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--quality", action="append", choices=["low", "medium", "high", "very_high"]
    )
    parser.add_argument("--smoke", action="store_true", help="a 3 s run at 'high' only")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_window.json"))
    parser.add_argument("--port", type=int, default=8820)
    args = parser.parse_args(argv)
    qualities = args.quality or (["high"] if args.smoke else ["high", "very_high"])
    seconds = 3.0 if args.smoke else args.seconds
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    results = []
    try:
        with running_rig(args.port) as rig:
            for quality in qualities:
                result = loop.run_until_complete(measure(rig, seconds, quality))
                print(json.dumps(result))
                results.append(result)
    finally:
        loop.close()
    return write_report("window", args.smoke, results, args.json)


if __name__ == "__main__":
    main()

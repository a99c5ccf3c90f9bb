"""Benchmark of recording: what a recording costs the media engine (CPU, % of one core, without
and then with a recording on the same session), the file's size per minute, the frames the
recorder had to drop, how far the voice in the file is from the picture (the rig's lip-sync
markers: p50 and p95 of |offset|), and the frames a view pulling at 60 Hz (as the window's does,
from the same shared buffer, at the default window's size) missed without and with the
recording, per quality the stream is sent at.

    python -m tests.perf.bench_recording [--seconds 60] [--quality high --quality very_high]
        [--keep DIR] [--smoke]

``--keep`` keeps the files there, each with a PNG of a frame from its middle, to look at.

Runs inside the test namespaces (scripts/in-test-netns.sh); writes JSON (default
artifacts/bench_recording.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from PySide6.QtGui import QImage

from avatar_desktop.core.media_port import MediaEvent, RecordingStatus
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar import brain
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.media.recording.probe import marker_offsets_ms
from tests.perf.bench_rig import cpu_seconds
from tests.perf.report import percentile, write_report
from tests.rig_harness import RigHandle, running_rig


class ViewPuller:
    """Takes frames as the window's view does (a 60 Hz pull) and counts those it never got."""

    def __init__(self, engine: MediaEngine) -> None:
        self.engine = engine
        self.pulled = 0
        self.missed = 0
        self._last = 0

    def take(self) -> tuple[int, int]:
        """The figures so far, restarting them."""
        figures = (self.pulled, self.missed)
        self.pulled = self.missed = 0
        return figures

    async def run(self) -> None:
        while True:
            frame = self.engine.latest_frame()
            if frame is not None:
                if self._last:
                    self.missed += max(0, frame.seq - self._last - 1)
                self.pulled += 1
                self._last = frame.seq
            await asyncio.sleep(1 / 60)


async def measure(rig: RigHandle, quality: str, seconds: float, folder: Path) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    ended: list[RecordingStatus] = []
    first_frame = asyncio.Event()

    def on_event(event: MediaEvent) -> None:
        if isinstance(event, RecordingStatus) and not event.active:
            ended.append(event)
        if event.name == "first_frame":
            first_frame.set()

    engine = MediaEngine(on_event)
    await engine.start()
    engine.request_frame_size(730, 410)
    view = ViewPuller(engine)
    pulling = asyncio.get_running_loop().create_task(view.run())
    try:
        settings = SessionSettings(avatar_id=DEMO_AVATAR_EN, quality=quality)
        grant = await provider.start_session(settings)
        await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
        await asyncio.wait_for(first_frame.wait(), 60)
        speech = {"event_type": "avatar.speak_text", "text": brain.long_answer("en")}
        await engine.send_data(json.dumps(speech).encode(), "agent-control")
        await asyncio.sleep(2)
        pid = engine.pid
        view.take()
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        idle_cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0) * 100
        pulled_without, missed_without = view.take()
        path = folder / f"{quality}.mp4"
        await engine.start_recording(str(path), "source")
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        recording_cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0) * 100
        pulled_with, missed_with = view.take()
        await engine.stop_recording()
        recorded_s = time.monotonic() - wall0
        await provider.stop_session(grant)
    finally:
        pulling.cancel()
        await engine.stop()
        await provider.aclose()
    final = ended[-1] if ended else None
    size = path.stat().st_size
    offsets = [abs(x) for x in marker_offsets_ms(path)]
    return {
        "quality": quality,
        "seconds": round(recorded_s, 1),
        "engine_cpu_percent_without": round(idle_cpu, 1),
        "engine_cpu_percent_recording": round(recording_cpu, 1),
        "recording_cpu_percent": round(recording_cpu - idle_cpu, 1),
        "cpu_seconds_per_recorded_minute": round((recording_cpu - idle_cpu) / 100 * 60, 1),
        "mb_per_minute": round(size / 1e6 / recorded_s * 60, 2),
        "frames_written": final.frames_written if final else 0,
        "frames_dropped": final.frames_dropped if final else None,
        "view_frames_without": pulled_without,
        "view_missed_without": missed_without,
        "view_frames_recording": pulled_with,
        "view_missed_recording": missed_with,
        "markers_paired": len(offsets),
        "lip_sync_abs_offset_ms_p50": percentile(offsets, 0.5),
        "lip_sync_abs_offset_ms_p95": percentile(offsets, 0.95),
        "error": final.error if final else "no end reported",
    }


def save_middle_frame(path: Path, png: Path) -> None:
    """The frame halfway through ``path``, as a PNG (decoded by the app's own FFmpeg)."""
    with av.open(str(path)) as container:
        count = sum(1 for _ in container.demux(container.streams.video[0]))
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(container.streams.video[0])):
            if number >= count // 2:
                rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
                break
    height, width, _ = rgb.shape
    QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888).save(str(png))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--quality", action="append", choices=["low", "medium", "high",
                                                               "very_high"])  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="one 4 s run at 'high'")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_recording.json"))
    parser.add_argument("--port", type=int, default=8880)
    parser.add_argument("--keep", type=Path, help="keep the files (and a frame of each) here")
    args = parser.parse_args(argv)
    qualities = args.quality or (["high"] if args.smoke else ["high", "very_high"])
    seconds = 4.0 if args.smoke else args.seconds
    results = []
    with running_rig(args.port, "--sync-markers") as rig, tempfile.TemporaryDirectory() as folder:
        for quality in qualities:
            result = asyncio.run(measure(rig, quality, seconds, Path(folder)))
            print(json.dumps(result), flush=True)
            results.append(result)
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                kept = args.keep / f"{quality}.mp4"
                shutil.copy(Path(folder) / f"{quality}.mp4", kept)
                save_middle_frame(kept, kept.with_suffix(".png"))
    return write_report("recording", args.smoke, results, args.json)


if __name__ == "__main__":
    main()

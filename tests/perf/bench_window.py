"""Benchmark of the window on the rig, beside Chromium showing the same stream.

The app's side: click-to-first-frame, painted frames/s and dropped frames (gaps in the stamped
frame counter of what was painted), latency frame-received→painted and sent→painted (p50/p95),
CPU per painted frame of the GUI process and of the media engine process (and what scaling in
the engine and painting in the GUI cost of it), GUI-thread busy share, event-loop lag (p99).
Chromium's side: ``../shared/tools/chromium-viewer`` (livekit-client in a ``<video>`` the size
the app shows the picture at, CPU of all its processes), on a session minted here with the same
settings as the app's. Pairs alternate app/Chromium; the JSON has each run, the medians and
their ratio per case (each quality, in the default and the maximized window).
Then lip sync and the voice's playout (``tests/perf/lip_sync.py``) with PulseAudio as the
speaker: the CPU cases run without a sound device, as they always have.

    scripts/in-test-netns.sh xvfb-run -a -s "-screen 0 1920x1080x24" \
        .venv/bin/python -m tests.perf.bench_window [--seconds 60] [--pairs 3] \
        [--quality high --quality very_high] [--window default --window maximized] \
        [--lip-sync-seconds 60] [--smoke]

Chromium needs ``run-viewer.sh --prepare --headed`` once, outside the namespaces (scripts/
run-tests.sh does it); without it the Chromium side is reported as not measured. Writes JSON
(default artifacts/bench_window.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import qasync
from PySide6.QtWidgets import QApplication

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.ui.main_window import MainWindow
from tests.perf.frame_stamps import StampedSource
from tests.perf.lip_sync import measure_lip_sync
from tests.perf.report import percentile, write_report
from tests.pulse_harness import running_pulse
from tests.rig_harness import RigHandle, running_rig

VIEWER = Path(__file__).resolve().parents[3] / "shared" / "tools" / "chromium-viewer"
FIGURE = re.compile(r"^figure: (.*)$", re.MULTILINE)


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.05)  # 20 wake-ups a second: the probe itself costs little
        samples.append((loop.time() - before - 0.05) * 1000)


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure_app(
    rig: RigHandle, seconds: float, quality: str, maximized: bool
) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines = EngineHolder(None)
    source = StampedSource(engines)
    controller = SessionController(provider, engines.factory, SessionSettings(quality=quality))
    window = MainWindow(controller, source, "rig")
    if maximized:  # no window manager under Xvfb to honour showMaximized: the whole screen
        screen = QApplication.primaryScreen()
        assert screen is not None
        window.setGeometry(screen.availableGeometry())
        window.showMaximized()
    else:
        window.show()  # the app's default size
    try:
        clicked = time.monotonic()
        window.start_action.trigger()
        while window.video.stats.frames_painted == 0:  # noqa: ASYNC110 - polling the view
            await asyncio.sleep(0.005)
        first_paint_ms = (time.monotonic() - clicked) * 1000
        assert controller.state is SessionState.LIVE
        assert engines.current is not None and engines.current.pid is not None
        gui, engine = psutil.Process(), psutil.Process(engines.current.pid)
        await asyncio.sleep(2)  # warm-up
        lags: list[float] = []
        stop = asyncio.Event()
        lag_task = asyncio.get_running_loop().create_task(loop_lag(lags, stop))
        stats = window.video.stats
        painted0, paint_s0, latencies0 = (
            stats.frames_painted,
            stats.paint_seconds,
            len(stats.latencies_ms),
        )
        scaled_paints0 = stats.scaled_paints
        media0 = dict(controller.media_stats)
        source.recording = True
        wall0, thread0 = time.monotonic(), time.thread_time()
        gui0, engine0 = _cpu_s(gui), _cpu_s(engine)
        await asyncio.sleep(seconds)
        gui_cpu, engine_cpu = _cpu_s(gui) - gui0, _cpu_s(engine) - engine0
        gui_cpu -= source.cpu_s
        elapsed, gui_thread = time.monotonic() - wall0, time.thread_time() - thread0
        source.recording = False
        stop.set()
        await lag_task
        painted = stats.frames_painted - painted0
        paint_s = stats.paint_seconds - paint_s0
        scaled_paints = stats.scaled_paints - scaled_paints0
        media1 = dict(controller.media_stats)
        received_to_paint = stats.latencies_ms[latencies0:]
        numbers = sorted(set(source.numbers))
        expected = numbers[-1] - numbers[0] + 1 if numbers else 0
        frame = window.video._frame
        shown = f"{frame.width}x{frame.height}" if frame is not None else "0x0"
        area = f"{window.video.width()}x{window.video.height()}"
    finally:
        window.close()
        while controller.has_work:  # noqa: ASYNC110 - the window closes in its own task
            await asyncio.sleep(0.05)
        await provider.aclose()
    scaled = media1.get("frames_scaled", 0) - media0.get("frames_scaled", 0)
    scale_s = media1.get("scale_seconds", 0.0) - media0.get("scale_seconds", 0.0)
    per_frame = 1000 / max(1, painted)
    return {
        "side": "app",
        "quality": quality,
        "window": "maximized" if maximized else "default",
        "video_area": area,
        "shown_size": shown,
        "seconds": round(elapsed, 2),
        "click_to_first_frame_ms": round(first_paint_ms, 1),
        "painted_fps": round(painted / elapsed, 2),
        "distinct_frames_shown": len(numbers),
        "dropped_frames": max(0, expected - len(numbers)),
        "cpu_ms_per_frame": round((gui_cpu + engine_cpu) * per_frame, 2),
        "gui_cpu_ms_per_frame": round(gui_cpu * per_frame, 2),
        "engine_cpu_ms_per_frame": round(engine_cpu * per_frame, 2),
        "engine_scale_ms_per_frame": round(scale_s * 1000 / max(1, scaled), 3),
        "bench_stamp_reading_ms_per_frame": round(source.cpu_s * per_frame, 3),  # not counted
        "gui_paint_ms_per_frame": round(paint_s * per_frame, 3),
        "gui_paints_not_1to1": scaled_paints,  # frames of the old size after a resize
        "cpu_percent": round((gui_cpu + engine_cpu) / elapsed * 100, 1),
        "received_to_painted_ms_p50": percentile(received_to_paint, 0.5),
        "received_to_painted_ms_p95": percentile(received_to_paint, 0.95),
        "sent_to_pulled_ms_p50": percentile(source.sent_to_pulled_ms, 0.5),
        "sent_to_pulled_ms_p95": percentile(source.sent_to_pulled_ms, 0.95),
        "gui_thread_busy_percent": round(gui_thread / elapsed * 100, 1),
        "event_loop_lag_ms_p99": percentile(lags, 0.99),
    }


async def measure_idle(rig: RigHandle, seconds: float) -> dict[str, Any]:
    """The window with no session (as after launch, or after a failure): what it costs to sit
    there, in % of one core of the GUI process."""
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines = EngineHolder(None)
    controller = SessionController(provider, engines.factory, SessionSettings())
    window = MainWindow(controller, engines, "rig")
    window.show()
    try:
        await asyncio.sleep(1.0)
        gui = psutil.Process()
        wall0, cpu0 = time.monotonic(), _cpu_s(gui)
        await asyncio.sleep(seconds)
        cpu, elapsed = _cpu_s(gui) - cpu0, time.monotonic() - wall0
        pulling = window.video.pulling
    finally:
        window.close()
        while controller.has_work:  # noqa: ASYNC110 - the window closes in its own task
            await asyncio.sleep(0.05)
        await provider.aclose()
    return {
        "side": "app",
        "case": "idle",
        "seconds": round(elapsed, 1),
        "gui_cpu_percent": round(cpu / elapsed * 100, 2),
        "video_timer_running": pulling,
    }


def viewer_ready() -> str | None:
    """Why the Chromium side cannot run here, or None when it can."""
    if not (VIEWER / "run-viewer.js").is_file():
        return f"no chromium-viewer at {VIEWER}"
    if not (VIEWER / "build" / "viewer.bundle.js").is_file():
        return "chromium-viewer not prepared (run-viewer.sh --prepare --headed)"
    if not Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).is_file():
        return "no Chromium installed"
    return None


def measure_chromium(
    rig: RigHandle, seconds: float, quality: str, css: str, window_label: str
) -> dict[str, Any]:
    """The viewer on a session minted like the app's (same quality and codec); it serves its
    page on this namespace's own address."""
    headers = {"X-API-KEY": rig.api_key}
    with httpx.Client(base_url=rig.base_url, timeout=30) as http:
        avatar = http.get("/v1/avatars/public").json()["data"]["results"][0]["id"]
        body = {"mode": "FULL", "avatar_id": avatar, "avatar_persona": {},
                "video_settings": {"quality": quality, "encoding": "H264"}}  # fmt: skip
        token = http.post("/v1/sessions/token", headers=headers, json=body).json()["data"]
        bearer = {"Authorization": f"Bearer {token['session_token']}"}
        room = http.post("/v1/sessions/start", headers=bearer).json()["data"]
        try:
            run = subprocess.run(
                ["node", "run-viewer.js", "--livekit-url", room["livekit_url"],
                 "--host", os.environ.get("AVATAR_DESKTOP_CLIENT_HOST", "127.0.0.1"), "--headed",
                 "--duration", str(seconds), "--css", css],
                cwd=VIEWER, capture_output=True, text=True, timeout=seconds + 180, check=False,
                env={**os.environ, "VIEWER_LIVEKIT_TOKEN": room["livekit_client_token"]},
            )  # fmt: skip
        finally:
            http.post("/v1/sessions/stop", headers=bearer)
    found = FIGURE.findall(run.stdout)
    figure = dict(item.split("=", 1) for item in found[-1].split()) if found else {}
    result: dict[str, Any] = {"side": "chromium", "quality": quality, "window": window_label,
                              "css": css, "exit": run.returncode}  # fmt: skip
    for key in ("fps", "cpu_ms_per_frame", "cpu_pct", "rss_mb"):
        if key in figure:
            result[key] = float(figure[key])
    for key in ("frames", "dropped"):
        if key in figure:
            result[key] = int(figure[key])
    if run.returncode != 0:
        result["error"] = (run.stdout + run.stderr)[-600:]
    return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of each side and their ratio (app / Chromium) for one case."""
    app = [r["cpu_ms_per_frame"] for r in runs if r["side"] == "app"]
    chromium = [r["cpu_ms_per_frame"] for r in runs
                if r["side"] == "chromium" and r.get("cpu_ms_per_frame")]  # fmt: skip
    app_ms = statistics.median(app) if app else None
    chromium_ms = statistics.median(chromium) if chromium else None
    first = runs[0]
    return {
        "quality": first["quality"],
        "window": first["window"],
        "pairs": len(app),
        "app_cpu_ms_per_frame": app_ms,
        "chromium_cpu_ms_per_frame": chromium_ms,
        "ratio": round(app_ms / chromium_ms, 3) if app_ms and chromium_ms else None,
        "app_dropped_frames": sum(r["dropped_frames"] for r in runs if r["side"] == "app"),
        "chromium_dropped_frames": sum(
            r.get("dropped", 0) for r in runs if r["side"] == "chromium"
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pairs", type=int, default=3, help="alternating app/Chromium runs")
    parser.add_argument(
        "--quality", action="append", choices=["low", "medium", "high", "very_high"]
    )
    parser.add_argument("--window", action="append", choices=["default", "maximized"])
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--lip-sync-seconds", type=float, default=60, help="0: not measured")
    parser.add_argument(
        "--smoke", action="store_true", help="one 3 s pair at 'high' only, 8 s of lip sync"
    )
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_window.json"))
    parser.add_argument("--port", type=int, default=8820)
    args = parser.parse_args(argv)
    qualities = args.quality or (["high"] if args.smoke else ["high", "very_high"])
    windows = args.window or (["default"] if args.smoke else ["default", "maximized"])
    seconds = 3.0 if args.smoke else args.seconds
    pairs = 1 if args.smoke else args.pairs
    lip_sync_seconds = 8.0 if args.smoke else args.lip_sync_seconds
    no_chromium = "not asked for" if args.no_chromium else viewer_ready()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    runs: list[dict[str, Any]] = []
    cases = []
    lip_sync: dict[str, Any] | None = None
    try:
        with running_rig(args.port, "--sync-markers") as rig:
            idle = loop.run_until_complete(measure_idle(rig, 2.0 if args.smoke else 20.0))
            print(json.dumps(idle), flush=True)
            for quality in qualities:
                for window in windows:
                    case: list[dict[str, Any]] = []
                    for _ in range(pairs):
                        mine = loop.run_until_complete(
                            measure_app(rig, seconds, quality, window == "maximized")
                        )
                        print(json.dumps(mine), flush=True)
                        case.append(mine)
                        if no_chromium is None:
                            theirs = measure_chromium(
                                rig, seconds, quality, mine["shown_size"], window
                            )
                            print(json.dumps(theirs), flush=True)
                            case.append(theirs)
                    summary = summarize(case)
                    summary["chromium_not_measured"] = no_chromium
                    print(json.dumps(summary), flush=True)
                    runs += case
                    cases.append(summary)
            if lip_sync_seconds > 0:
                with running_pulse() as pulse:
                    lip_sync = loop.run_until_complete(
                        measure_lip_sync(rig, pulse, lip_sync_seconds)
                    )
                print(json.dumps(lip_sync), flush=True)
    finally:
        loop.close()
    results = {"idle": idle, "cases": cases, "runs": runs, "lip_sync": lip_sync}
    return write_report("window", args.smoke, results, args.json)


if __name__ == "__main__":
    main()

"""Benchmark of the rig as a client sees it: join time, frames/s, dropped frames (gaps in the
stamped frame counter), glass-to-glass latency, and the CPU of the LiveKit server and the avatar.

    python -m tests.perf.bench_rig [--seconds 60] [--quality high|very_high] [--smoke]

Runs inside the test namespaces (scripts/in-test-netns.sh); prints a summary and writes JSON
(default artifacts/bench_rig.json). ``--smoke`` is the short run CI does so the script cannot rot.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.perf.report import percentile, write_report
from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle, running_rig

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


async def measure(rig: RigHandle, seconds: float, quality: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        t0 = time.monotonic()
        request = {
            "avatar_id": DEMO_AVATAR_EN,
            "avatar_persona": {},
            "mode": "FULL",
            "video_settings": {"quality": quality},
        }
        token_r = await http.post(
            "/v1/sessions/token", headers={"X-API-KEY": rig.api_key}, json=request
        )
        token = token_r.json()["data"]["session_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        start_r = await http.post("/v1/sessions/start", headers=bearer)
        data = start_r.json()["data"]
        t_http = time.monotonic()
        probe = ProbeClient()
        try:
            await probe.connect(data["livekit_url"], data["livekit_client_token"])
            t_join = time.monotonic()
            await probe.wait_for_video(1, timeout_s=20)
            t_first = time.monotonic()
            await asyncio.sleep(2)  # warm-up
            state = rig.state()
            session = next(s for s in state["sessions"] if s["session_id"] == data["session_id"])
            pids = {"server": state["server"]["pid"], "avatar": session["avatar_pid"]}
            cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
            first_index, w0 = len(probe.video), time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - w0
            cpu = {k: (cpu_seconds(p) - cpu0[k]) / elapsed * 100 for k, p in pids.items()}
            window = probe.video[first_index:]
        finally:
            await probe.close()
            await http.post("/v1/sessions/stop", headers=bearer)
    numbers = [v.stamp.frame_number for v in window if v.stamp is not None]
    expected = (numbers[-1] - numbers[0] + 1) if numbers else 0
    latencies = [v.latency_ms for v in window if v.latency_ms is not None]
    gaps = [b.received_s - a.received_s for a, b in itertools.pairwise(window)]
    sizes = sorted({f"{v.width}x{v.height}" for v in window})
    return {
        "quality": quality,
        "seconds": round(elapsed, 2),
        "http_token_and_start_ms": round((t_http - t0) * 1000, 1),
        "join_ms": round((t_join - t_http) * 1000, 1),
        "first_frame_after_join_ms": round((t_first - t_join) * 1000, 1),
        "frames_received": len(window),
        "fps": round(len(window) / elapsed, 2),
        "frame_sizes": sizes,
        "stamped_frames": len(numbers),
        "frames_missing_in_counter": max(0, expected - len(set(numbers))),
        "max_inter_frame_gap_ms": round(max(gaps, default=0) * 1000, 1),
        "latency_ms_p50": percentile(latencies, 0.5),
        "latency_ms_p95": percentile(latencies, 0.95),
        "latency_ms_mean": round(statistics.fmean(latencies), 1) if latencies else None,
        "cpu_percent_server": round(cpu["server"], 1),
        "cpu_percent_avatar": round(cpu["avatar"], 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--quality", action="append", choices=["low", "medium", "high", "very_high"]
    )
    parser.add_argument("--smoke", action="store_true", help="a 3 s run at 'high' only")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_rig.json"))
    parser.add_argument("--port", type=int, default=8800)
    args = parser.parse_args(argv)
    qualities = args.quality or (["high"] if args.smoke else ["high", "very_high"])
    seconds = 3.0 if args.smoke else args.seconds
    results = []
    with running_rig(args.port) as rig:
        for quality in qualities:
            result = asyncio.run(measure(rig, seconds, quality))
            print(json.dumps(result))
            results.append(result)
    return write_report("rig", args.smoke, results, args.json)


if __name__ == "__main__":
    main()

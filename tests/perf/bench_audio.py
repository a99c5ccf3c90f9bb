"""Benchmark of the voice path on real (virtual) devices: microphone callback → capture_frame
latency p50/p95, blocks dropped or overflowed, the avatar's playout buffer depth and underruns,
and the CPU of the media engine process (which also decodes the video) over a conversation:
the user speaks every few seconds and the avatar answers.

    python -m tests.perf.bench_audio [--seconds 600] [--smoke]

Run inside the test namespaces (scripts/in-test-netns.sh). Writes JSON (default
artifacts/bench_audio.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from tests.perf.bench_rig import cpu_seconds
from tests.perf.report import percentile, write_report
from tests.pulse_harness import Pulse, running_pulse
from tests.rig_harness import RigHandle, running_rig


async def measure(rig: RigHandle, pulse: Pulse, seconds: float) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines: list[MediaEngine] = []

    def media(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        engines.append(MediaEngine(on_event))
        return engines[-1]

    controller = SessionController(provider, media, SessionSettings(quality="low"))
    phrase = SpeechSynthesizer().synthesize("Hello, this is the user talking to you again.")
    depths: list[float] = []
    try:
        await controller.start()
        async with asyncio.timeout(30):
            while not (controller.state is SessionState.LIVE and controller.status.microphone):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        pid = engines[-1].pid
        await asyncio.sleep(2)  # the first blocks wait for the track to be published
        start_stats = dict(controller.media_stats)
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        next_phrase = wall0
        while time.monotonic() - wall0 < seconds:
            if time.monotonic() >= next_phrase:
                pulse.mic.say(phrase)
                next_phrase += 8.0
            await asyncio.sleep(1.0)
            depth = controller.media_stats.get("playout_depth_ms")
            if depth is not None:
                depths.append(float(depth))
        elapsed = time.monotonic() - wall0
        cpu = (cpu_seconds(pid) - cpu0) / elapsed * 100
        stats = dict(controller.media_stats)
        transitions = [e.text for e in controller.journal.entries if e.kind == "state"]
        mic_events = [e.text for e in controller.journal.entries if "microphone" in e.text]
    finally:
        await controller.close()
        await provider.aclose()
    return {
        "seconds": round(elapsed, 1),
        "mic_blocks_received": stats.get("mic_received"),
        "mic_blocks_captured": stats.get("mic_frames"),
        "mic_restarts": stats.get("mic_restarts"),
        "mic_blocks_dropped_at_start": start_stats.get("mic_dropped"),
        "mic_blocks_dropped": stats.get("mic_dropped", 0) - start_stats.get("mic_dropped", 0),
        "mic_input_overflows": stats.get("mic_overflows"),
        "mic_callback_to_capture_ms_p50": stats.get("mic_latency_ms_p50"),
        "mic_callback_to_capture_ms_p95": stats.get("mic_latency_ms_p95"),
        "playout_underruns": stats.get("underruns"),
        "playout_overflows": stats.get("playout_overflows"),
        "playout_dropped_samples": stats.get("playout_dropped_samples"),
        "playout_catch_ups": stats.get("playout_catch_ups"),
        "playout_caught_up_samples": stats.get("playout_caught_up_samples"),
        "playout_rate_ratio_last": stats.get("playout_rate_ratio"),
        "playout_blocks_played": stats.get("playout_blocks_played"),
        "audio_blocks_received": stats.get("audio_frames"),
        "playout_depth_ms_p50": percentile(depths, 0.5),
        "playout_depth_ms_max": max(depths, default=None),
        "engine_cpu_percent": round(cpu, 1),
        "state_changes": len(transitions),
        "microphone_events": mic_events,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--smoke", action="store_true", help="a 6 s run")
    parser.add_argument("--json", type=Path, default=Path("artifacts/bench_audio.json"))
    parser.add_argument("--port", type=int, default=8840)
    args = parser.parse_args(argv)
    seconds = 6.0 if args.smoke else args.seconds
    with running_pulse() as pulse, running_rig(args.port) as rig:
        result = asyncio.run(measure(rig, pulse, seconds))
    print(json.dumps(result))
    return write_report("audio", args.smoke, [result], args.json)


if __name__ == "__main__":
    main()

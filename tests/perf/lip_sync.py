"""Lip sync, end to end: the window shows a LiveAvatar session from a rig that sends lip-sync
markers (``--sync-markers``: a flagged frame stamp and, at the same instant, a 12 kHz tone), with
PulseAudio's null sink as the speaker. The moment the view pulls each flagged frame to paint it
and the moment the speaker plays each tone (``SpeakerTap``: the null sink's monitor) are both on
``time.time()``'s clock; their difference is how far the voice trails (+) or leads (-) the lips.

The rig puts each tone on its video loop's schedule; on a loaded machine that loop captures
late, and the rig reports by how much (``sync_marker_skews_ms``): the app's own offset is the
measured one less that skew. Also reported: the playout buffer's depth, underruns and dropped
samples over the same stretch, and how late picture and sound are against the avatar's send time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from avatar_desktop.app import EngineHolder
from avatar_desktop.core.media_port import Frame
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar import brain
from avatar_desktop.rig.avatar.stamp import latency_us
from avatar_desktop.rig.avatar.sync_marker import find_tones
from avatar_desktop.ui.main_window import MainWindow
from tests.perf.frame_stamps import painted_stamp
from tests.perf.report import percentile
from tests.pulse_harness import RATE, Pulse
from tests.rig_harness import RigHandle

MARKER_EVERY_S = 1.0


@dataclass
class Marker:
    frame_number: int
    pulled_at: float  # time.time() when the view pulled the frame to paint it
    sent_at: float  # when the avatar captured it, on the same clock


@dataclass
class MarkerSource:
    """The frame source, noting when each flagged frame first reached the view."""

    engines: EngineHolder
    recording: bool = False
    markers: dict[int, Marker] = field(default_factory=dict)

    def request_size(self, width: int, height: int) -> None:
        self.engines.request_size(width, height)

    def latest(self) -> Frame | None:
        frame = self.engines.latest()
        if frame is not None and self.recording:
            now = time.time()
            stamp = painted_stamp(frame)
            if stamp is not None and stamp.marker and stamp.frame_number not in self.markers:
                late = latency_us(stamp, time.time_ns() // 1000) / 1e6
                self.markers[stamp.frame_number] = Marker(stamp.frame_number, now, now - late)
        return frame


def pair_offsets(markers: list[Marker], tones: list[float]) -> list[tuple[Marker, float]]:
    """Each painted marker with its tone: the first heard after the marker was sent (less 50 ms
    for clock noise) and before the next marker was. Pairing by send time, not by the nearest
    tone, keeps a voice that trails by more than half a second from being paired with the
    next marker's tone."""
    pairs = []
    for marker in markers:
        since = marker.sent_at - 0.05
        heard = [t for t in tones if since <= t < since + MARKER_EVERY_S]
        if heard:
            pairs.append((marker, heard[0]))
    return pairs


async def measure_lip_sync(rig: RigHandle, pulse: Pulse, seconds: float) -> dict[str, Any]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    engines = EngineHolder(None)
    source = MarkerSource(engines)
    controller = SessionController(provider, engines.factory, SessionSettings(quality="high"))
    window = MainWindow(controller, source, "rig")
    window.show()
    depths: list[float] = []
    try:
        window.start_action.trigger()
        async with asyncio.timeout(60):
            while not (controller.state is SessionState.LIVE and window.video.stats.frames_painted):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await asyncio.sleep(2)  # the speaker opens and the playout buffer settles
        media0 = dict(controller.media_stats)
        began = time.time()
        source.recording = True
        while time.time() - began < seconds:
            if not controller.status.avatar_speaking:
                await controller.send_text(brain.long_answer("en"), "repeat")
            await asyncio.sleep(1.0)
            depth = controller.media_stats.get("playout_depth_ms")
            if depth is not None:
                depths.append(float(depth))
        source.recording = False
        await asyncio.sleep(1.0)  # the last tone reaches the speaker, the rig's counters come
        first_sample_at, sound = pulse.speaker.since(began)
        media1 = dict(controller.media_stats)
        session_id = controller.grant.session_id if controller.grant else ""
        avatar = rig.session(session_id)["avatar"]
    finally:
        window.close()
        while controller.has_work:  # noqa: ASYNC110 - the window closes in its own task
            await asyncio.sleep(0.05)
        await provider.aclose()
    tones = [first_sample_at + index / RATE for index in find_tones(sound, RATE)]
    markers = sorted(source.markers.values(), key=lambda m: m.pulled_at)
    pairs = pair_offsets(markers, tones)
    skews = {int(number): float(ms) for number, ms in avatar["sync_marker_skews_ms"]}
    raw = [(tone - marker.pulled_at) * 1000 for marker, tone in pairs]
    offsets = [
        offset - skews.get(marker.frame_number, 0.0)
        for offset, (marker, _) in zip(raw, pairs, strict=True)
    ]
    rig_skews = [abs(skews[m.frame_number]) for m, _ in pairs if m.frame_number in skews]
    return {
        "case": "lip_sync",
        "seconds": round(seconds, 1),
        "markers_painted": len(markers),
        "tones_heard": len(tones),
        "pairs": len(pairs),
        "voice_after_picture_ms_p50": percentile(offsets, 0.5),
        "voice_after_picture_ms_min": round(min(offsets), 1) if offsets else None,
        "voice_after_picture_ms_max": round(max(offsets), 1) if offsets else None,
        "abs_offset_ms_p95": percentile([abs(x) for x in offsets], 0.95),
        "uncorrected_ms_p50": percentile(raw, 0.5),
        "rig_skew_ms_abs_p95": percentile(rig_skews, 0.95),
        "rig_tones_late": avatar["sync_tones_late"],
        "picture_after_send_ms_p50": percentile(
            [(m.pulled_at - m.sent_at) * 1000 for m, _ in pairs], 0.5
        ),
        "voice_after_send_ms_p50": percentile([(t - m.sent_at) * 1000 for m, t in pairs], 0.5),
        "playout_depth_ms_p50": percentile(depths, 0.5),
        "playout_underruns": media1.get("underruns", 0) - media0.get("underruns", 0),
        "playout_dropped_samples": (
            media1.get("playout_dropped_samples", 0) - media0.get("playout_dropped_samples", 0)
        ),
        "playout_catch_ups": media1.get("playout_catch_ups", 0)
        - media0.get("playout_catch_ups", 0),
        "playout_rate_ratio": media1.get("playout_rate_ratio"),
        "playout_late_writes": media1.get("playout_late_writes", 0)
        - media0.get("playout_late_writes", 0),
        "playout_longest_write_gap_ms": media1.get("playout_longest_write_gap_ms"),
        "playout_underrun_write_gaps_ms": media1.get("playout_underrun_write_gaps_ms"),
        "engine_loop_stalls": media1.get("engine_loop_stalls", 0)
        - media0.get("engine_loop_stalls", 0),
        "engine_loop_busy_stalls": media1.get("engine_loop_busy_stalls", 0)
        - media0.get("engine_loop_busy_stalls", 0),
        "engine_loop_longest_stall_ms": media1.get("engine_loop_longest_stall_ms"),
        "engine_gc_pauses": media1.get("engine_gc_pauses", 0) - media0.get("engine_gc_pauses", 0),
        "engine_gc_longest_ms": media1.get("engine_gc_longest_ms"),
        "picture_hold_ms": media1.get("picture_hold_ms"),
        "receiver_skew_ms": media1.get("receiver_skew_ms"),
        "jitter_buffer_audio_ms": media1.get("jitter_buffer_audio_ms"),
        "jitter_buffer_video_ms": media1.get("jitter_buffer_video_ms"),
    }

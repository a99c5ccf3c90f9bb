"""Inside the engine: one LiveKit room, its avatar tracks, and the report of everything it does.

Handlers are attached before connect; participants already present at join are scanned after it
(they emit no publish events). Video comes through ``VideoStream(capacity=1)`` as decoded I420,
converted and scaled to the window's size in one native pass into the shared frame buffer
(frame_scaler.py); audio through ``AudioStream(frame_size_ms=10)`` into the jitter buffer the
speaker plays.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from livekit import rtc

from ..audio_output import AudioOutputUnavailable, JitterBuffer, SpeakerOutput
from ..frame_buffer import FrameWriter
from ..microphone import Microphone, MicrophoneUnavailable, ProcessingOptions
from ..recording.recorder import Recorder
from ..thread_bridge import InOrderOnLoop
from .frame_scaler import FrameScaler
from .lip_sync import RECORDING_STEP_MS, PictureDelay
from .loop_health import LoopHealth
from .microphone_tap import MicrophoneTap
from .protocol import b64
from .receiver_skew import MIN_SKEW_MS, ReceiverSkew, inbound_totals

log = logging.getLogger(__name__)
Emit = Callable[[dict[str, Any]], None]
MAX_DATA_BYTES = 1024 * 1024


class RoomSession:
    def __init__(
        self,
        emit: Emit,
        frames: FrameWriter,
        play_audio: bool = True,
        generation: int = 0,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        self._mic_request = microphone or {}
        self.microphone: Microphone | None = None
        self._mic_source: rtc.AudioSource | None = None
        self._last_level_at = 0.0
        self._mic_watched = False
        self._mic_restarts = 0
        self.generation = generation
        self._emit = emit
        self.frames = frames
        self.room = rtc.Room()
        self.avatar_identity: str | None = None
        self.recorder: Recorder | None = None  # the engine's recording, when one runs
        self._tasks: set[asyncio.Task[Any]] = set()
        self._first_frame = False
        self._play_audio = play_audio
        self.jitter = JitterBuffer()
        self._speaker: SpeakerOutput | None = None
        self._played_bridge: InOrderOnLoop[Any] | None = None
        self._frames_in_window = 0
        self._audio_frames = 0
        self._last_frame_at: float | None = None
        self._stalled = False
        self.scaler: FrameScaler | None = None
        self.picture_delay = PictureDelay()
        self._arrived = 0  # frames that came, numbered in order
        # Each frame's arrival here less WebRTC's render time for it (the file's timestamp).
        self._after_render_ms: collections.deque[float] = collections.deque(maxlen=90)
        self._shown = 0  # the number of the frame last shown
        self.receiver_skew = ReceiverSkew()
        # The file has no speaker in its way: only the receiver's skew is evened out there.
        self.recording_delay = PictureDelay(
            picture_path_ms=0.0, floor_ms=MIN_SKEW_MS, step_ms=RECORDING_STEP_MS
        )
        self._closing = False
        self.loop_health = LoopHealth()

    def emit(self, event: dict[str, Any]) -> None:
        """Every event of this room says which connection it belongs to."""
        event["gen"] = self.generation
        self._emit(event)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task %s failed", task.get_name(), exc_info=task.exception())
            self.emit({"event": "error", "error": f"{task.get_name()}: {task.exception()!r}"})

    async def connect(self, url: str, token: str, avatar_identity: str | None) -> None:
        self.avatar_identity = avatar_identity
        room = self.room
        room.on("participant_connected", lambda p: self._participant(p, True))
        room.on("participant_disconnected", lambda p: self._participant(p, False))
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("track_unsubscribed", self._on_track_unsubscribed)
        room.on("data_received", self._on_data)
        room.on("reconnecting", lambda: self.emit({"event": "reconnecting"}))
        room.on("reconnected", lambda: self.emit({"event": "reconnected"}))
        room.on("disconnected", self._on_disconnected)
        room.on("connection_quality_changed", self._on_quality)
        try:
            await room.connect(url, token, rtc.RoomOptions(auto_subscribe=True, connect_timeout=15))
        except rtc.ConnectError as exc:
            self.emit({"event": "connect_failed", "error": str(exc)})
            return
        self.emit(
            {"event": "connected", "room": room.name, "identity": room.local_participant.identity}
        )
        for participant in list(room.remote_participants.values()):
            self._participant(participant, True)
            for publication in participant.track_publications.values():
                if publication.subscribed and publication.track is not None:
                    self._on_track_subscribed(publication.track, publication, participant)
        self._spawn(self._report_stats(), "stats")
        self._spawn(self._watch_stalls(), "stall-watch")
        self._spawn(self.loop_health.watch(), "loop-health")
        if self._mic_request.get("enabled"):
            await self.start_microphone(self._mic_request.get("device"))

    def _participant(self, participant: rtc.RemoteParticipant, present: bool) -> None:
        self.emit({"event": "participant", "identity": participant.identity, "present": present})

    def _is_avatar(self, participant: rtc.RemoteParticipant, track: rtc.Track) -> bool:
        if self.avatar_identity is None:
            # Streaming v1 names no identity: the first participant that sends video is it.
            if track.kind == rtc.TrackKind.KIND_VIDEO:
                self.avatar_identity = participant.identity
            return participant.identity == self.avatar_identity
        return participant.identity == self.avatar_identity

    def _on_track_subscribed(
        self, track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        kind = "video" if track.kind == rtc.TrackKind.KIND_VIDEO else "audio"
        if any(t.get_name() == f"{kind}-{track.sid}" for t in self._tasks):
            return  # already reading (the post-connect scan can see a track twice)
        self.emit(
            {"event": "track", "identity": participant.identity, "kind": kind, "subscribed": True}
        )
        if not self._is_avatar(participant, track):
            return
        if kind == "video":
            self._spawn(self._read_video(track), f"video-{track.sid}")
        else:
            self._spawn(self._read_audio(track), f"audio-{track.sid}")

    def _on_track_unsubscribed(
        self, track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        kind = "video" if track.kind == rtc.TrackKind.KIND_VIDEO else "audio"
        self.emit(
            {"event": "track", "identity": participant.identity, "kind": kind, "subscribed": False}
        )

    async def _read_video(self, track: rtc.Track) -> None:
        stream = rtc.VideoStream(track, capacity=1)
        scaler = self.scaler = FrameScaler(self.frames)
        loop = asyncio.get_running_loop()
        try:
            async for event in stream:
                frame = event.frame
                received_us = time.time_ns() // 1000
                self._arrived += 1
                hold_ms = self.picture_delay.update(self._voice_path_ms())
                wait_ms = hold_ms - self._late_ms(event.timestamp_us)
                if wait_ms < 1.0:
                    self._show(scaler, frame, received_us, self._arrived)
                else:
                    show = (scaler, frame, received_us, self._arrived)
                    loop.call_later(wait_ms / 1000, self._show, *show)
                if self.recorder is not None:
                    hold_ms = self.recording_delay.update(self.receiver_skew.skew_ms)
                    self._record(frame, hold_ms, event.timestamp_us)
                self._frames_in_window += 1
                self._last_frame_at = time.monotonic()
                if self._stalled:
                    self._stalled = False
                    self.emit({"event": "video_resumed"})
                if not self._first_frame:
                    self._first_frame = True
                    self.emit(
                        {"event": "first_frame", "width": frame.width, "height": frame.height}
                    )
        finally:
            await stream.aclose()

    def _late_ms(self, render_time_us: int) -> float:
        """How much later than usual, against WebRTC's render time, this frame came (negative:
        earlier). The hold counts from when the frame should have come: frames delivered in a
        bunch (the engine's loop was busy) are shown at their own pace, 33 ms apart, not
        together, where the view's 60 Hz pull would miss the first of two."""
        if render_time_us <= 0:
            return 0.0
        after_ms = time.monotonic() * 1000 - render_time_us / 1000
        self._after_render_ms.append(after_ms)
        return after_ms - statistics.median(self._after_render_ms)

    def _voice_path_ms(self) -> float | None:
        """How long a sample arriving now takes to reach the speaker (None: no speaker)."""
        speaker = self._speaker
        if speaker is None or speaker.output_delay_ms is None:
            return None
        return self.receiver_skew.skew_ms + self.jitter.stats.depth_ms + speaker.output_delay_ms

    def _show(
        self, scaler: FrameScaler, frame: rtc.VideoFrame, received_us: int, number: int
    ) -> None:
        """A frame's time has come (unless its room has gone meanwhile, or a later frame was
        shown before it: the hold dropped at once, see lip_sync.py)."""
        if scaler is self.scaler and not self._closing and number > self._shown:
            self._shown = number
            scaler.write(frame, received_us)

    def _record(self, frame: rtc.VideoFrame, hold_ms: float, render_time_us: int) -> None:
        """Into the file at the frame's render time: WebRTC's, on the monotonic clock (checked
        on the rig: within 10 ms of arrival on a quiet machine), so a starved loop that
        delivers frames late does not put them late in the file."""
        assert self.recorder is not None
        if frame.type != rtc.VideoBufferType.I420:
            frame = frame.convert(rtc.VideoBufferType.I420)
        due = render_time_us / 1e6 if render_time_us > 0 else None
        self.recorder.video(frame.data, frame.width, frame.height, hold_ms / 1000, due)

    async def start_microphone(self, device: int | str | None, quiet: bool = False) -> None:
        """Captures from ``device`` and publishes the microphone track (once); says so when
        there is no microphone to capture from, and publishes nothing then. The device is
        remembered: a watcher reopens it when it stops delivering (unplugged, then back)."""
        self._mic_request.update(enabled=True, device=device)
        if not self._mic_watched:
            self._mic_watched = True
            self._spawn(self._watch_microphone(), "microphone-watch")
        if self.microphone is not None:
            await self.microphone.close()
            self.microphone = None
        source = self._mic_source or rtc.AudioSource(48000, 1, queue_size_ms=200)
        opts = self._mic_request.get("processing") or {}
        tap = MicrophoneTap(source, lambda: self.recorder, lambda: self._capture_lag_ms())
        mic = Microphone(tap, ProcessingOptions(**opts), self._on_level, device)
        mic.muted = bool(self._mic_request.get("muted", False))
        mic.output_latency_ms = self._speaker.latency_ms if self._speaker is not None else 0
        try:
            await mic.start()
        except MicrophoneUnavailable as exc:
            if not quiet:  # a retry that fails again says nothing new
                self.emit({"event": "microphone", "available": False, "error": str(exc)})
            return
        except Exception as exc:  # voice trouble must not end the session (logged, reported)
            log.exception("microphone failed to start")
            self.emit({"event": "microphone", "available": False, "error": repr(exc)})
            return
        self.microphone = mic
        if self._mic_source is None:
            self._mic_source = source
            track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
            options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            await self.room.local_participant.publish_track(track, options)
        if not quiet:
            self.emit({"event": "microphone", "available": True, "device": device})

    def _capture_lag_ms(self) -> float | None:
        return self.microphone.capture_lag_ms if self.microphone is not None else None

    def set_speaker(self, device: int | str | None) -> None:
        """Switches the output device live; the jitter buffer (and the echo reference) stay."""
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
        try:
            self._speaker = SpeakerOutput(self.jitter, device=device, played=self._on_played)
            self.emit({"event": "audio_output", "available": True, "device": device})
        except AudioOutputUnavailable as exc:
            self.emit({"event": "audio_output", "available": False, "error": str(exc)})

    def set_muted(self, muted: bool) -> None:
        self._mic_request["muted"] = muted
        if self.microphone is not None:
            self.microphone.muted = muted

    def _on_level(self, dbfs: float) -> None:
        now = time.monotonic()
        if now - self._last_level_at >= 0.1:
            self._last_level_at = now
            self.emit({"event": "mic_level", "dbfs": round(dbfs, 1)})

    def _on_played(self, block: Any, rendered_at: float | None, underflowed: bool) -> None:
        """From the audio thread: hand the played block to the loop for the echo canceller."""
        if self._played_bridge is not None:
            self._played_bridge.post((block, rendered_at, underflowed))

    def _feed_reference(self, item: tuple[Any, float | None, bool]) -> None:
        """On the loop, in order with the microphone's captured blocks (InOrderOnLoop)."""
        if self.microphone is not None:
            self.microphone.play_reference(*item)

    async def _read_audio(self, track: rtc.Track) -> None:
        if self._play_audio and self._speaker is None:
            try:
                self._played_bridge = InOrderOnLoop(
                    asyncio.get_running_loop(), self._feed_reference
                )
                self._speaker = SpeakerOutput(self.jitter, played=self._on_played)
                self.emit({"event": "audio_output", "available": True})
            except AudioOutputUnavailable as exc:
                self.emit({"event": "audio_output", "available": False, "error": str(exc)})
        stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1, frame_size_ms=10)
        try:
            async for event in stream:
                self._audio_frames += 1
                samples = np.frombuffer(event.frame.data, np.int16)
                if self._speaker is not None:
                    self.jitter.write(samples)
                if self.recorder is not None:
                    self.recorder.audio(samples)
        finally:
            await stream.aclose()

    def _on_data(self, packet: rtc.DataPacket) -> None:
        if len(packet.data) > MAX_DATA_BYTES:
            self.emit({"event": "error", "error": f"dropped a {len(packet.data)}-byte data packet"})
            return
        self.emit(
            {
                "event": "data",
                "identity": packet.participant.identity if packet.participant else None,
                "topic": packet.topic or "",
                "data_b64": b64(packet.data),
            }
        )

    def _on_disconnected(self, reason: rtc.DisconnectReason.ValueType) -> None:
        self.emit({"event": "disconnected", "reason": rtc.DisconnectReason.Name(reason)})

    def _on_quality(self, participant: rtc.Participant, quality: rtc.ConnectionQuality) -> None:
        if participant.identity == self.room.local_participant.identity:
            name = quality.name.removeprefix("QUALITY_").lower()
            self.emit({"event": "quality", "quality": name})

    async def _watch_microphone(self, stall_s: float = 1.0, retry_s: float = 2.0) -> None:
        """A microphone that stops delivering blocks (unplugged, suspended) is reported once,
        then reopened every ``retry_s`` until blocks flow again, which is reported too: a
        re-plug needs no new session."""
        lost = False
        while True:
            mic = self.microphone
            before = mic.blocks_received if mic is not None else 0
            await asyncio.sleep(stall_s)
            if not self._mic_request.get("enabled"):
                continue
            flowing = mic is not None and mic is self.microphone and mic.blocks_received > before
            if flowing and lost:
                lost = False
                self.emit({"event": "microphone", "available": True, "recovered": True})
            if flowing or (mic is None and not lost):
                continue
            if not lost:
                lost = True
                error = "the microphone stopped delivering audio (unplugged?)"
                self.emit({"event": "microphone", "available": False, "error": error})
            if mic is not None:
                await mic.close()
                self.microphone = None
            await asyncio.sleep(max(0.0, retry_s - stall_s))
            self._mic_restarts += 1
            await self.start_microphone(self._mic_request.get("device"), quiet=True)

    async def _watch_stalls(self, stall_s: float = 1.0) -> None:
        """A network cut shorter than LiveKit's own timeouts shows no event at all, only a
        frozen picture: report it when no frame came for ``stall_s``."""
        while True:
            await asyncio.sleep(0.1)
            last = self._last_frame_at
            if last is not None and not self._stalled and time.monotonic() - last > stall_s:
                self._stalled = True
                self.emit(
                    {"event": "video_stalled", "since_ms": round((time.monotonic() - last) * 1000)}
                )

    async def _report_stats(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(1.0)
            elapsed = time.monotonic() - started
            fps = self._frames_in_window / elapsed
            self._frames_in_window = 0
            rtt_ms = None
            with contextlib.suppress(Exception):
                stats = await self.room.get_rtc_stats()
                entries = list(stats.subscriber_stats) + list(stats.publisher_stats)
                self.receiver_skew.update(inbound_totals(entries))
                for entry in entries:
                    if entry.WhichOneof("stats") != "candidate_pair":
                        continue
                    pair = entry.candidate_pair.candidate_pair
                    if pair.nominated and pair.current_round_trip_time > 0:
                        rtt_ms = pair.current_round_trip_time * 1000
                        break
            mic = self.microphone
            mic_stats = {} if mic is None else {
                "mic_frames": mic.frames_captured,
                "mic_received": mic.blocks_received,
                "mic_restarts": self._mic_restarts,
                "mic_dropped": mic.dropped,
                "mic_overflows": mic.input_overflows,
                "speaker_underflows": None if self._speaker is None
                else self._speaker.device_underflows,
                "mic_energy_in": mic.energy_in,
                "mic_energy_out": mic.energy_out,
                "mic_delay_ms": mic.measured_delay_ms
                or mic.stream_delay_ms + mic.output_latency_ms,
                "mic_warmup_gated": mic.warmup_gated_frames,
                "mic_echo_path_breaks": mic.echo_path_breaks,
                **mic.clock_drift.figures(),
                "mic_converged_s": mic.convergence.converged_after_s,
                "mic_energy_aec": mic.energy_aec,
                "mic_measured_delay_ms": mic.measured_delay_ms,
                "mic_render_lead_ms": mic.render_lead_ms,
                "mic_capture_lag_ms": mic.capture_lag_ms,
                "mic_reference_heard_s": round(mic.reference_heard_s, 2),
                "mic_echo_delay_ms": None if mic.echo_delay.delay_blocks is None
                else mic.echo_delay.delay_blocks * 10,
                "mic_gated": mic.gate.gated_blocks,
                "mic_double_talk": mic.gate.double_talk_blocks,
                "mic_gain_db": None if mic.voice_gain is None else mic.voice_gain.gain_db,
                **_percentiles("mic_latency_ms", mic.capture_latency_ms),
            }  # fmt: skip
            self.emit(
                {
                    **mic_stats,
                    "event": "stats",
                    "fps": round(fps, 1),
                    "rtt_ms": None if rtt_ms is None else round(rtt_ms, 1),
                    "audio_frames": self._audio_frames,
                    "underruns": self.jitter.stats.underruns,
                    **self.loop_health.stats(),
                    "playout_overflows": self.jitter.stats.overflows,
                    "playout_dropped_samples": self.jitter.stats.dropped_samples,
                    "playout_catch_ups": self.jitter.stats.catch_ups,
                    "playout_caught_up_samples": self.jitter.stats.caught_up_samples,
                    "playout_rate_ratio": round(self.jitter.stats.rate_ratio, 5),
                    "playout_blocks_played": self.jitter.stats.frames_played,
                    "playout_discarded_before_start": self.jitter.stats.discarded_before_start,
                    "playout_depth_ms": round(self.jitter.stats.depth_ms, 1),
                    "playout_late_writes": self.jitter.stats.late_writes,
                    "playout_longest_write_gap_ms": round(
                        self.jitter.stats.longest_write_gap_ms, 1
                    ),
                    "playout_underrun_write_gaps_ms": list(
                        self.jitter.stats.underrun_write_gaps_ms
                    ),
                    "picture_hold_ms": round(self.picture_delay.hold_ms, 1),
                    "receiver_skew_ms": round(self.receiver_skew.skew_ms, 1),
                    "frame_after_render_ms": _median(self._after_render_ms),
                    "jitter_buffer_audio_ms": _rounded(self.receiver_skew.audio_ms),
                    "jitter_buffer_video_ms": _rounded(self.receiver_skew.video_ms),
                    **self._scaler_stats(),
                }
            )

    def _scaler_stats(self) -> dict[str, Any]:
        scaler = self.scaler
        if scaler is None:
            return {}
        return {"frames_scaled": scaler.frames_scaled,
                "scale_seconds": round(scaler.seconds_spent, 4)}  # fmt: skip

    async def send_data(self, data: bytes, topic: str) -> None:
        await self.room.local_participant.publish_data(data, reliable=True, topic=topic)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.microphone is not None:
            await self.microphone.close()
            self.microphone = None
        with contextlib.suppress(Exception):
            await self.room.disconnect()
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None


def _median(values: collections.deque[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percentiles(name: str, values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    p50, p95 = np.percentile(np.asarray(values[-6000:]), [50, 95])
    return {f"{name}_p50": round(float(p50), 3), f"{name}_p95": round(float(p95), 3)}

"""A bare LiveKit client for rig tests and benchmarks: joins like an app would, counts what it
receives (video frames with their stamps, audio levels, data events) and can publish a tone or
silence as its microphone. It is test equipment, not the app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc

from avatar_desktop.rig.avatar.stamp import Stamp, latency_us, read_stamp


@dataclass
class VideoSample:
    received_s: float
    width: int
    height: int
    stamp: Stamp | None
    latency_ms: float | None


@dataclass
class AudioSample:
    received_s: float
    rms: float


@dataclass
class ProbeClient:
    room: rtc.Room = field(default_factory=rtc.Room)
    video: list[VideoSample] = field(default_factory=list)
    audio: list[AudioSample] = field(default_factory=list)
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    raw_data: list[bytes] = field(default_factory=list)
    senders: set[str] = field(default_factory=set)  # who sent the data packets
    room_events: list[tuple[float, str]] = field(default_factory=list)
    disconnect_reasons: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    subscribed: dict[str, set[str]] = field(default_factory=dict)
    decode_stamps: bool = True

    async def connect(self, url: str, token: str) -> None:
        room = self.room
        room.on("track_subscribed", self._on_track)
        room.on("data_received", self._on_data)
        room.on("disconnected", self._on_disconnected)
        for name in ("reconnecting", "reconnected"):
            room.on(name, lambda *_a, n=name: self.room_events.append((time.monotonic(), n)))
        await room.connect(url, token, rtc.RoomOptions(auto_subscribe=True))

    def _on_disconnected(self, reason: rtc.DisconnectReason.ValueType) -> None:
        name = rtc.DisconnectReason.Name(reason)
        self.disconnect_reasons.append(name)
        self.room_events.append((time.monotonic(), f"disconnected:{name}"))

    def _on_track(
        self, track: rtc.Track, _pub: rtc.RemoteTrackPublication, who: rtc.RemoteParticipant
    ) -> None:
        self.subscribed.setdefault(who.identity, set()).add(
            "video" if track.kind == rtc.TrackKind.KIND_VIDEO else "audio"
        )
        reader = self._read_video(track) if track.kind == rtc.TrackKind.KIND_VIDEO else None
        coro = reader or self._read_audio(track)
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_video(self, track: rtc.Track) -> None:
        stream = rtc.VideoStream(track, capacity=1, format=rtc.VideoBufferType.I420)
        async for event in stream:
            frame = event.frame
            now = time.monotonic()
            stamp = latency = None
            if self.decode_stamps:
                luma = np.frombuffer(frame.data, np.uint8)[: frame.width * frame.height]
                stamp = read_stamp(luma.reshape(frame.height, frame.width))
                if stamp is not None:
                    latency = latency_us(stamp, time.time_ns() // 1000) / 1000
            self.video.append(VideoSample(now, frame.width, frame.height, stamp, latency))

    async def _read_audio(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1, frame_size_ms=10)
        async for event in stream:
            samples = np.frombuffer(event.frame.data, np.int16).astype(np.float32)
            rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
            self.audio.append(AudioSample(time.monotonic(), rms))

    def _on_data(self, packet: rtc.DataPacket) -> None:
        self.raw_data.append(packet.data)
        if packet.participant is not None:
            self.senders.add(packet.participant.identity)
        try:
            decoded = json.loads(packet.data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        if isinstance(decoded, dict):
            self.events.append((time.monotonic(), decoded))

    def event_types(self) -> list[str]:
        return [str(e.get("event_type") or e.get("type")) for _, e in self.events]

    async def wait_for_event(self, name: str, timeout_s: float = 15.0, after: int = 0) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for at, event in self.events[after:]:
                if name in (event.get("event_type"), event.get("type")):
                    return at
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {name} event within {timeout_s} s; got {self.event_types()}")

    async def wait_for_video(self, frames: int = 1, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.video) < frames:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.video)} video frames within {timeout_s} s")
            await asyncio.sleep(0.05)

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        """Polls ``predicate`` until true or the time is up; returns its last value."""
        deadline = time.monotonic() + timeout_s
        while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110 - many sources
            await asyncio.sleep(0.05)
        return predicate()

    async def send(self, payload: dict[str, Any] | str, topic: str = "agent-control") -> None:
        await self.room.local_participant.publish_data(
            json.dumps(payload), reliable=True, topic=topic
        )

    async def publish_microphone(self, pcm: np.ndarray[Any, np.dtype[np.int16]]) -> None:
        """Publishes a microphone track and plays ``pcm`` (48 kHz mono) into it, then silence."""
        source = rtc.AudioSource(48000, 1, queue_size_ms=50)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await self.room.local_participant.publish_track(track, options)
        padded = np.concatenate([np.zeros(48000 // 2, np.int16), pcm, np.zeros(48000, np.int16)])
        for start in range(0, padded.size - 479, 480):
            chunk = padded[start : start + 480]
            await source.capture_frame(rtc.AudioFrame(chunk.tobytes(), 48000, 1, 480))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.room.disconnect()

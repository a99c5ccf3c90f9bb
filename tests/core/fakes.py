"""A scripted media port and a fake provider for fast tests of the session's logic (no rig, no
root, milliseconds). End-to-end claims stay with the rig tests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.events import (
    AvatarEvent,
    SessionStopped,
    Speaker,
    SpeechActivity,
    TranscriptPiece,
)
from avatar_desktop.core.media_port import (
    Connected,
    Disconnected,
    FirstFrame,
    MediaCommandFailed,
    MediaEvent,
    TrackChanged,
)
from avatar_desktop.core.provider_port import Publish, SessionGrant, SessionSettings, TextMode


@dataclass
class MediaScript:
    """How the fake media side behaves; tests change it between steps."""

    start_failures: int = 0  # the next N starts raise
    connect_error: Exception | None = None
    avatar_arrives: bool = True  # tracks + first frame after connect
    arrivals: list[bool] = field(default_factory=list)  # per connect, before avatar_arrives
    late_disconnect_s: float | None = None  # deliver the old room's "disconnected" this late
    send_error: Exception | None = None
    events_after_connect: list[MediaEvent] = field(default_factory=list)


class FakeMedia:
    def __init__(self, on_event: Callable[[MediaEvent], None], script: MediaScript) -> None:
        self.on_event = on_event
        self.script = script
        self.started = False
        self.stopped = False
        self.generation: int | None = None
        self.connects: list[int] = []
        self.sent: list[tuple[bytes, str]] = []
        self.muted: list[bool] = []
        self.recording_calls: list[tuple[str, ...]] = []

    @property
    def alive(self) -> bool:
        return self.started and not self.stopped

    async def start(self) -> None:
        if self.script.start_failures > 0:
            self.script.start_failures -= 1
            raise MediaCommandFailed("the media engine did not start: scripted")
        self.started = True

    async def connect(
        self,
        url: str,
        token: str,
        avatar_identity: str | None,
        generation: int,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        if self.script.connect_error is not None:
            raise self.script.connect_error
        self.generation = generation
        self.connects.append(generation)
        loop = asyncio.get_running_loop()
        events: list[MediaEvent] = [Connected(gen=generation)]
        arrives = (
            self.script.arrivals.pop(0) if self.script.arrivals else self.script.avatar_arrives
        )
        if arrives:
            who = avatar_identity or "heygen"
            events += [
                TrackChanged(gen=generation, identity=who, kind="video", subscribed=True),
                TrackChanged(gen=generation, identity=who, kind="audio", subscribed=True),
                FirstFrame(gen=generation, width=640, height=360),
            ]
        events += list(self.script.events_after_connect)
        for i, event in enumerate(events):
            loop.call_later(0.001 * (i + 1), self.on_event, event)

    def emit(self, event: MediaEvent) -> None:
        self.on_event(event)

    async def set_microphone_muted(self, muted: bool) -> None:
        self.muted.append(muted)

    async def set_microphone_device(self, device: int | str | None) -> None:
        return None

    async def set_speaker_device(self, device: int | str | None) -> None:
        return None

    async def request_devices(self) -> None:
        return None

    async def disconnect(self) -> None:
        """Like the real engine: the room's ``disconnected`` follows, with the room's gen."""
        old = self.generation
        event = Disconnected(gen=old, reason="CLIENT_INITIATED")
        if self.script.late_disconnect_s is None:
            self.on_event(event)
        else:
            asyncio.get_running_loop().call_later(
                self.script.late_disconnect_s, self.on_event, event
            )

    async def send_data(self, data: bytes, topic: str) -> None:
        if self.script.send_error is not None:
            raise self.script.send_error
        self.sent.append((data, topic))

    async def start_recording(self, path: str, quality: str, microphone: bool = False) -> None:
        self.recording_calls.append(("start", path, quality) + (("microphone",) * microphone))

    async def add_recording_cue(self, text: str, start: float, end: float) -> None:
        self.recording_calls.append(("cue", text, f"{end - start:.1f}"))

    async def stop_recording(self) -> None:
        self.recording_calls.append(("stop", "", ""))

    async def stop(self) -> None:
        self.stopped = True


class MediaFactory:
    def __init__(self, script: MediaScript | None = None) -> None:
        self.script = script or MediaScript()
        self.made: list[FakeMedia] = []

    def __call__(self, on_event: Callable[[MediaEvent], None]) -> FakeMedia:
        media = FakeMedia(on_event, self.script)
        self.made.append(media)
        return media

    @property
    def current(self) -> FakeMedia:
        return self.made[-1]


@dataclass
class ProviderScript:
    start_errors: list[BaseException] = field(default_factory=list)  # raised by the next starts
    start_delay_s: float = 0.0
    stop_failures: int = 0  # the next N stops fail with a network error
    stop_by_id_delay_s: float = 0.0
    avatars: list[tuple[str, str]] = field(default_factory=lambda: [("a-1", "Anna")])
    end_reasons: dict[str, str] = field(default_factory=dict)  # what the service would say
    outside_events: list[AvatarEvent] = field(default_factory=list)  # delivered by listen()
    listen_errors: list[AvatarServiceError] = field(default_factory=list)  # raised first


class FakeProvider:
    name = "fake"

    def __init__(self, script: ProviderScript | None = None) -> None:
        self.script = script or ProviderScript()
        self.started: list[SessionSettings] = []
        self.stopped: list[str] = []
        self.texts: list[tuple[str, TextMode]] = []
        self.open: set[str] = set()
        self.listens = 0
        self.push_to_talk_calls: list[bool] = []
        self._ids = itertools.count(1)

    async def start_session(self, settings: SessionSettings) -> SessionGrant:
        if self.script.start_delay_s:
            await asyncio.sleep(self.script.start_delay_s)
        if self.script.start_errors:
            raise self.script.start_errors.pop(0)
        self.started.append(settings)
        session_id = f"s{next(self._ids)}"
        self.open.add(session_id)
        return SessionGrant(session_id, "ws://rig", "token", "avatar", None)

    async def listen(self, grant: SessionGrant, deliver: Callable[[AvatarEvent], None]) -> None:
        self.listens += 1
        if self.script.listen_errors:
            raise self.script.listen_errors.pop(0)
        for event in self.script.outside_events:
            deliver(event)

    async def keep_alive(self, grant: SessionGrant) -> None:
        return None

    def _stop(self, session_id: str) -> None:
        if self.script.stop_failures > 0:
            self.script.stop_failures -= 1
            raise AvatarServiceError(ErrorKind.NETWORK, "scripted: no route")
        self.stopped.append(session_id)
        self.open.discard(session_id)

    async def stop_session(self, grant: SessionGrant) -> None:
        self._stop(grant.session_id)

    async def active_session_ids(self) -> list[str]:
        return sorted(self.open)

    async def stop_session_by_id(self, session_id: str) -> None:
        if self.script.stop_by_id_delay_s:
            await asyncio.sleep(self.script.stop_by_id_delay_s)
        self._stop(session_id)

    async def list_avatars(self) -> list[tuple[str, str]]:
        return list(self.script.avatars)

    async def list_voices(self) -> list[tuple[str, str]]:
        return []

    async def list_contexts(self) -> list[tuple[str, str]]:
        return []

    async def end_reason(self, session_id: str) -> str | None:
        return self.script.end_reasons.get(session_id)

    async def send_text(
        self, grant: SessionGrant, text: str, mode: TextMode, publish: Publish
    ) -> None:
        self.texts.append((text, mode))
        await publish(text.encode(), "chat")

    async def interrupt(self, grant: SessionGrant, publish: Publish) -> None:
        await publish(b"interrupt", "chat")

    async def push_to_talk(self, grant: SessionGrant, active: bool, publish: Publish) -> None:
        self.push_to_talk_calls.append(active)
        await publish(b"ptt", "chat")

    def parse_event(self, data: bytes, topic: str) -> AvatarEvent | None:
        """``b"stopped:REASON"`` is the service ending the session; ``b"speech:avatar:on"``
        (``user``, ``off``) someone started or stopped speaking; ``b"said:avatar:words"`` a
        final transcript piece; nothing else means much."""
        if data.startswith(b"stopped:"):
            return SessionStopped(data.removeprefix(b"stopped:").decode())
        kind, _, rest = data.decode().partition(":")
        who, _, what = rest.partition(":")
        if who not in ("avatar", "user"):
            return None
        speaker: Speaker = "avatar" if who == "avatar" else "user"
        if kind == "speech":
            return SpeechActivity(speaker, what == "on")
        if kind == "said":
            return TranscriptPiece(speaker, what, final=True)
        return None

    async def aclose(self) -> None:
        return None

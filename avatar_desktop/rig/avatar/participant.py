"""The synthetic avatar as a LiveKit participant: publishes a face and a voice, obeys the
client's commands, listens to the client's microphone, and reports counters to the rig.

Runs in its own process (``python -m avatar_desktop.rig.avatar``): a 720p30 encoder and the
native LiveKit core stay away from the rig's HTTP emulator. The rig talks to it through JSON lines
on stdin (commands) and stdout (reports).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from livekit import rtc

from . import brain
from .face import FacePainter, warmed_painter
from .protocol import (
    LIVEAVATAR_EVENTS_TOPIC,
    Flavor,
    liveavatar_event,
    parse_command,
    v1_event,
)
from .speech import SAMPLE_RATE, SpeechSynthesizer
from .stamp import Stamp
from .sync_marker import ToneMixer, is_marker_frame
from .vad import VoiceActivityDetector
from .visemes import VisemeTrack, mouth_for
from .voice import FRAME_SAMPLES, Utterance, Voice

log = logging.getLogger(__name__)
AVATAR_IDENTITY = "heygen"
_TIME_MASK = (1 << 48) - 1
_PUSH_TO_TALK_REFUSALS = {
    "user.start_push_to_talk": "user.push_to_talk_start_failed",
    "user.stop_push_to_talk": "user.push_to_talk_stop_failed",
}
GREETING_DELAY_S = 1.5  # from the user hearing the avatar to its first words


@dataclass
class AvatarConfig:
    session_id: str
    flavor: Flavor
    ws_url: str
    avatar_token: str
    agent_token: str | None = None
    width: int = 1280
    height: int = 720
    fps: int = 30
    codec: str = "VP8"
    language: str = "en"
    push_to_talk: bool = False
    room_microphone: bool = True  # False: the user's voice arrives another way (v1 websocket)
    join_delay_s: float = 0.0  # from the session's start until the avatar is in the room
    tracks_delay_s: float = 0.0
    tracks_never: bool = False
    stamp: bool = False  # frame counter and send time in the picture (tests, benchmarks)
    greet: bool = False  # says hello once the user can hear it (the demo)
    sync_markers: bool = False  # lip-sync markers: a flagged stamp and a tone, once a second


@dataclass
class AvatarCounters:
    video_frames_sent: int = 0
    user_audio_seconds: float = 0.0
    speech_segments: int = 0
    speech_durations_s: list[float] = field(default_factory=list)
    data_messages_received: int = 0
    commands_received: dict[str, int] = field(default_factory=dict)
    utterances_spoken: int = 0
    tracks_published: bool = False
    speaking: bool = False
    listening: bool = False
    push_to_talk_active: bool = False
    tts_engine: str = ""
    # Lip-sync markers, newest last: [frame number, ms the tone was due after the frame's
    # capture] (0 when the video loop kept its schedule; a loaded machine makes it late).
    sync_marker_skews_ms: list[tuple[int, float]] = field(default_factory=list)
    sync_tones_late: int = 0


class SyntheticAvatar:
    def __init__(
        self,
        config: AvatarConfig,
        speech: SpeechSynthesizer,
        report: Callable[[dict[str, Any]], None],
    ) -> None:
        self.config = config
        self.speech = speech
        self.report = report
        self.counters = AvatarCounters(tts_engine=speech.engine)
        self.room = rtc.Room()
        self.agent_room: rtc.Room | None = None
        self.voice = Voice()
        self.vad = VoiceActivityDetector()
        self._mouth = 0.0
        self._viseme: str | None = None
        self._painter: asyncio.Future[FacePainter] | None = None
        self._greeted = not config.greet
        self._tasks: set[asyncio.Task[Any]] = set()
        self._done = asyncio.Event()
        self._published = asyncio.Event()
        self._ptt_window_voiced_s = 0.0
        self._video_source = rtc.VideoSource(config.width, config.height)
        self._audio_source = rtc.AudioSource(SAMPLE_RATE, 1, queue_size_ms=60)
        self._tones = ToneMixer(SAMPLE_RATE) if config.sync_markers else None

    # -- lifecycle -------------------------------------------------------------------------
    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("avatar task %s failed", task.get_name(), exc_info=task.exception())
            self.report(
                {"event": "error", "task": task.get_name(), "error": repr(task.exception())}
            )

    async def run(self) -> None:
        self.room.on("data_received", self._on_data)
        self.room.on("track_subscribed", self._on_track_subscribed)
        self.room.on("disconnected", self._on_disconnected)
        self.room.on("local_track_subscribed", self._on_local_track_subscribed)
        # The face takes a moment to render: meanwhile the avatar joins.
        seed = zlib.crc32(self.config.session_id.encode())
        self._painter = asyncio.get_running_loop().run_in_executor(
            None, warmed_painter, self.config.width, self.config.height, seed
        )
        # The agent is in the room before the avatar shows up (LiveAvatar's web SDK waits for
        # both, contract.md §2.1): it comes halfway through the join delay.
        if await self._stopped_within(self.config.join_delay_s / 2):
            return
        if self.config.agent_token:
            self.agent_room = rtc.Room()
            await self.agent_room.connect(
                self.config.ws_url, self.config.agent_token, rtc.RoomOptions(auto_subscribe=False)
            )
        if await self._stopped_within(self.config.join_delay_s / 2):
            await self.close()
            return
        await self.room.connect(self.config.ws_url, self.config.avatar_token)
        self.report({"event": "joined", "identity": self.room.local_participant.identity})
        if not self.config.tracks_never:
            self._spawn(self._publish_after(self.config.tracks_delay_s), "publish")
        self._spawn(self._report_counters(), "counters")
        await self._done.wait()
        await self.close()

    def stop(self) -> None:
        self._done.set()

    async def _stopped_within(self, seconds: float) -> bool:
        """Waits ``seconds`` unless told to stop first; True when told to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), seconds)
        return self._done.is_set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.room.disconnect()
        if self.agent_room is not None:
            with contextlib.suppress(Exception):
                await self.agent_room.disconnect()
        self.report({"event": "counters", **asdict(self.counters)})

    def _on_disconnected(self, reason: Any) -> None:
        self.report({"event": "disconnected", "reason": str(reason)})
        self._done.set()

    # -- media out -------------------------------------------------------------------------
    async def _publish_after(self, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        await self.publish_tracks()

    async def publish_tracks(self) -> None:
        if self._published.is_set():
            return
        self._published.set()
        cfg = self.config
        video = rtc.LocalVideoTrack.create_video_track("avatar-video", self._video_source)
        audio = rtc.LocalAudioTrack.create_audio_track("avatar-audio", self._audio_source)
        codec = rtc.VideoCodec.H264 if cfg.codec.upper() == "H264" else rtc.VideoCodec.VP8
        bitrate = max(1_500_000, int(cfg.width * cfg.height * cfg.fps * 0.1))
        video_options = rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_CAMERA,
            simulcast=False,
            video_codec=codec,
            video_encoding=rtc.VideoEncoding(max_bitrate=bitrate, max_framerate=cfg.fps),
        )
        # Frames flow before publishing, so the first keyframe is ready when a subscriber asks.
        self._spawn(self._video_loop(), "video")
        self._spawn(self._audio_loop(), "audio")
        await self.room.local_participant.publish_track(video, video_options)
        await self.room.local_participant.publish_track(
            audio, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self.counters.tracks_published = True
        self.report({"event": "tracks_published"})

    async def _video_loop(self) -> None:
        painter = await self._face()
        loop = asyncio.get_running_loop()
        interval = 1 / self.config.fps
        next_at = born = loop.time()
        number = 0
        fps, markers = self.config.fps, self._tones
        tone_due: dict[int, float] = {}
        while True:
            marker = markers is not None and is_marker_frame(number, fps)
            stamp = Stamp(number, (time.time_ns() // 1000) & _TIME_MASK, marker=marker)
            if markers is not None:
                if is_marker_frame(number + fps // 3, fps):
                    # The voice is told a third of a second ahead: it is queued 60 ms early.
                    tone_due[number + fps // 3] = next_at + (fps // 3) * interval
                    markers.announce(tone_due[number + fps // 3])
                if marker and number in tone_due:
                    self._note_marker(number, tone_due.pop(number) - loop.time())
            mouth = mouth_for(self._viseme, self._mouth)
            stamped = self.config.stamp or markers is not None  # the markers are in the stamp
            buffer = painter.paint(stamp if stamped else None, mouth, loop.time() - born)
            frame = rtc.VideoFrame(
                self.config.width, self.config.height, rtc.VideoBufferType.I420, buffer
            )
            self._video_source.capture_frame(frame)
            number += 1
            self.counters.video_frames_sent = number
            next_at += interval
            delay = next_at - loop.time()
            if delay < -1:  # far behind (a stall): do not burst to catch up
                next_at = loop.time()
            await asyncio.sleep(max(0.0, delay))

    def _note_marker(self, number: int, tone_after_frame_s: float) -> None:
        skews = self.counters.sync_marker_skews_ms
        skews.append((number, round(tone_after_frame_s * 1000, 2)))
        del skews[:-300]
        self.counters.sync_tones_late = self._tones.late if self._tones is not None else 0

    async def _audio_loop(self) -> None:
        while True:
            out = self.voice.next_frame()
            if out.started is not None:
                self._on_speech_started(out.started)
            self._mouth = 0.6 * self._mouth + 0.4 * out.level
            self._viseme = out.viseme
            samples = out.samples
            if self._tones is not None:
                emitted_at = asyncio.get_running_loop().time() + self._audio_source.queued_duration
                samples = self._tones.mix(samples, emitted_at)
            frame = rtc.AudioFrame(samples.tobytes(), SAMPLE_RATE, 1, FRAME_SAMPLES)
            await self._audio_source.capture_frame(frame)
            if out.ended is not None:
                self._on_speech_ended(out.ended, interrupted=False)

    async def _face(self) -> FacePainter:
        if self._painter is None:  # not started by run()
            return FacePainter(self.config.width, self.config.height)
        return await self._painter

    # -- speech ----------------------------------------------------------------------------
    async def say(self, text: str, language: str | None = None, task_id: str = "") -> Utterance:
        lang = language or brain.guess_language(text, self.config.language)
        speech = await asyncio.get_running_loop().run_in_executor(
            None, self.speech.speak, text, lang
        )
        visemes = VisemeTrack.from_phonemes(speech.phonemes) if speech.phonemes else None
        utterance = Utterance(
            text=text, pcm=speech.pcm, language=lang, task_id=task_id, visemes=visemes
        )
        self.voice.enqueue(utterance)
        return utterance

    def _on_local_track_subscribed(self, track: rtc.Track) -> None:
        """The user hears the avatar now: time for the greeting, once, if the demo wants it."""
        if not self._greeted and track.kind == rtc.TrackKind.KIND_AUDIO:
            self._greeted = True
            self._spawn(self._greet(), "greet")

    async def _greet(self) -> None:
        await asyncio.sleep(GREETING_DELAY_S)
        if not self.voice.speaking and not self.voice.queue:
            await self.say(brain.greeting(self.config.language), self.config.language)

    def _on_speech_started(self, utterance: Utterance) -> None:
        self.counters.speaking = True
        self.report({"event": "said", "role": "avatar", "text": utterance.text})
        if self.config.flavor == "liveavatar":
            self._send_event("avatar.speak_started", text=utterance.text)
            self._send_event("avatar.transcription", text=utterance.text)
        else:
            self._send_v1("avatar_start_talking", task_id=utterance.task_id)
            for word in utterance.text.split():
                self._send_v1("avatar_talking_message", message=word + " ")
            self._send_v1("avatar_end_message")

    def _on_speech_ended(self, utterance: Utterance, *, interrupted: bool) -> None:
        self.counters.speaking = False
        self.counters.utterances_spoken += 1
        if self.config.flavor == "liveavatar":
            self._send_event("avatar.speak_ended", interrupted=interrupted)
        else:
            self._send_v1(
                "avatar_stop_talking", duration_ms=utterance.duration_ms, task_id=utterance.task_id
            )

    def interrupt(self) -> None:
        cut = self.voice.interrupt()
        if cut is not None:
            self._on_speech_ended(cut, interrupted=True)

    # -- data in/out -----------------------------------------------------------------------
    def _publish(self, payload: bytes, topic: str = "") -> None:
        # LiveAvatar's events come from its agent participant (contract.md §2.1: the sender is
        # SILENT in the sources and the SDK does not check it; the agent is the one that hears
        # the commands and speaks for the avatar), v1's from the avatar itself.
        room = self.agent_room if self.agent_room is not None else self.room

        async def send() -> None:
            await room.local_participant.publish_data(payload, reliable=True, topic=topic)

        self._spawn(send(), "send-data")

    def _send_event(self, event_type: str, **fields: Any) -> None:
        self._publish(
            liveavatar_event(self.config.session_id, event_type, **fields), LIVEAVATAR_EVENTS_TOPIC
        )

    def _send_v1(self, event_type: str, **fields: Any) -> None:
        self._publish(v1_event(event_type, **fields))

    def _on_data(self, packet: rtc.DataPacket) -> None:
        self.counters.data_messages_received += 1
        command = parse_command(packet.data, packet.topic or "", self.config.flavor)
        if command is None:
            return
        kind = str(command["event_type"])
        self.counters.commands_received[kind] = self.counters.commands_received.get(kind, 0) + 1
        text = command.get("text")
        if kind == "avatar.speak_text" and isinstance(text, str):
            self._spawn(self.say(text), "say")
        elif kind == "avatar.speak_response" and isinstance(text, str):
            self.report({"event": "said", "role": "user", "text": text})
            reply, language = brain.reply_to(text, self.config.language)
            self._spawn(self.say(reply, language), "answer")
        elif kind == "avatar.interrupt":
            self.interrupt()
        elif kind in ("avatar.start_listening", "avatar.stop_listening"):
            self.counters.listening = kind == "avatar.start_listening"
        elif kind in _PUSH_TO_TALK_REFUSALS and not self.config.push_to_talk:
            # Only push-to-talk sessions take these (LiveAvatar's interactivity_type, v1's
            # voice-chat flag): LiveAvatar says it failed, v1 stays silent.
            self._user_event(_PUSH_TO_TALK_REFUSALS[kind], reason="not a push-to-talk session")
        elif kind == "user.start_push_to_talk":
            self._start_push_to_talk()
        elif kind == "user.stop_push_to_talk":
            self._stop_push_to_talk()

    def _start_push_to_talk(self) -> None:
        if self.counters.push_to_talk_active:
            self._user_event("user.push_to_talk_start_failed", reason="already active")
            return
        self.counters.push_to_talk_active = True
        self._ptt_window_voiced_s = 0.0
        self._user_event("user.push_to_talk_started")

    def _stop_push_to_talk(self) -> None:
        if not self.counters.push_to_talk_active:
            self._user_event("user.push_to_talk_stop_failed", reason="not active")
            return
        self.counters.push_to_talk_active = False
        self._user_event("user.push_to_talk_stopped")
        if self._ptt_window_voiced_s >= 0.3:
            self._answer_speech(self._ptt_window_voiced_s)

    def _user_event(self, event_type: str, **fields: Any) -> None:
        if self.config.flavor == "liveavatar":
            self._send_event(event_type, **fields)
        elif event_type in ("user.speak_started", "user.speak_ended"):
            # v1 says it on the voice-chat websocket, which the rig serves (contract.md §4.4).
            self.report({"event": "user_speech", "speaking": event_type == "user.speak_started"})

    def _answer_speech(self, seconds: float) -> None:
        self._spawn(self.say(brain.reply_to_speech(seconds, self.config.language)), "answer")

    # -- the user's microphone ---------------------------------------------------------------
    def _on_track_subscribed(
        self,
        track: rtc.Track,
        _publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO and self.config.room_microphone:
            self._spawn(self._listen(track, participant.identity), f"listen-{participant.identity}")

    async def _listen(self, track: rtc.Track, identity: str) -> None:
        stream = rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1, frame_size_ms=10)
        vad = self.vad
        try:
            async for event in stream:
                samples = np.frombuffer(event.frame.data, dtype=np.int16)
                self.counters.user_audio_seconds += samples.size / SAMPLE_RATE
                change = vad.feed(samples)
                if vad.speaking and self.counters.push_to_talk_active:
                    self._ptt_window_voiced_s += samples.size / SAMPLE_RATE
                if change == "started":
                    self._user_event("user.speak_started")
                    if self.config.flavor == "liveavatar" and not self.config.push_to_talk:
                        self.interrupt()  # FULL mode's agent: the user talking over it wins
                elif change == "ended":
                    segment = vad.segments[-1]
                    self.counters.speech_segments += 1
                    self.counters.speech_durations_s.append(round(segment.duration_s, 3))
                    self._user_event("user.speak_ended", duration_s=round(segment.duration_s, 3))
                    if not self.config.push_to_talk:
                        self._answer_speech(segment.duration_s)
        finally:
            await stream.aclose()
        log.info("microphone of %s ended", identity)

    # -- faults and reports --------------------------------------------------------------------
    def send_malformed(self) -> list[str]:
        """Sends what a broken or hostile service might: the client must shrug all of it off."""
        topic = LIVEAVATAR_EVENTS_TOPIC if self.config.flavor == "liveavatar" else ""
        samples = [
            ("invalid-utf8", b"\xff\xfe\xfd{not json"),
            ("json-array", b"[1, 2, 3]"),
            ("no-event-type", b'{"hello": "world"}'),
            ("wrong-types", b'{"event_type": "avatar.transcription", "text": 12345}'),
            ("v1-wrong-types", b'{"type": "avatar_talking_message", "message": null}'),
            ("unknown-event", b'{"event_type": "avatar.dance", "type": "dance"}'),
            (
                "oversized",
                json.dumps({"event_type": "avatar.transcription", "text": "x" * 60_000}).encode(),
            ),
        ]
        for _name, payload in samples:
            self._publish(payload, topic)
        return [name for name, _ in samples]

    def session_stopped(self, reason: str) -> None:
        if self.config.flavor == "liveavatar":
            self._send_event("session.stopped", stop_reason=reason, end_reason=reason)

    async def _report_counters(self) -> None:
        while True:
            self.report({"event": "counters", **asdict(self.counters)})
            await asyncio.sleep(0.5)

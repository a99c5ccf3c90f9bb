"""v1's voice-chat websocket, ``/v1/ws/streaming.chat`` (contract.md §4.4, §4.5).

The official SDK opens it after joining the room, with the session's id and create_token token
in the query, ``arch_version=v2`` when the microphone goes over LiveKit, and the push-to-talk and
silence-response flags. The server sends the user's speech events on it (``user_start``,
``user_stop``). With the websocket transport the microphone itself arrives here, as protobuf
audio frames; with the LiveKit transport the avatar hears the room and the rig relays what it
heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from .avatar import brain
from .avatar.vad import VoiceActivityDetector
from .pipecat_frames import AudioFrame, FrameError, TextFrame, parse_frame
from .sessions import Session

log = logging.getLogger(__name__)
VAD_FRAME_MS = 10


@dataclass
class VoiceChat:
    """One open voice-chat websocket of a session."""

    socket: web.WebSocketResponse
    push_to_talk: bool
    livekit_transport: bool
    vad: VoiceActivityDetector = field(default_factory=VoiceActivityDetector)
    _pending: bytes = b""
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def send(self, event_type: str, **fields: Any) -> None:
        async def write() -> None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.socket.send_json({"event_type": event_type, **fields})

        task = asyncio.get_running_loop().create_task(write())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def hear(self, frame: AudioFrame) -> list[tuple[str, float]]:
        """Feeds the websocket microphone to the VAD: ("started"|"ended", seconds) changes."""
        samples = np.frombuffer(self._pending + frame.pcm, dtype="<i2")
        step = max(1, frame.sample_rate * VAD_FRAME_MS // 1000)  # samples of one VAD frame
        whole = samples.size - samples.size % (step * max(1, frame.channels))
        self._pending = samples[whole:].tobytes()  # the rest waits for the next frame
        mono = samples[: whole : max(1, frame.channels)].astype(np.int16)  # the first channel
        changes: list[tuple[str, float]] = []
        for start in range(0, mono.size, step):
            change = self.vad.feed(mono[start : start + step])
            if change == "started":
                changes.append(("started", 0.0))
            elif change == "ended":
                changes.append(("ended", self.vad.segments[-1].duration_s))
        return changes


def relay_user_speech(session: Session, speaking: bool) -> None:
    """What the avatar heard in the room, said on every voice-chat websocket of the session."""
    for chat in list(session.voice_chats):
        chat.send("user_start" if speaking else "user_stop")


async def _answer(session: Session, seconds: float) -> None:
    if session.avatar is None or not session.avatar.alive:
        return
    language = str(session.request.get("language") or "en")
    with contextlib.suppress(ConnectionError, TimeoutError):
        await session.avatar.command(
            "speak", text=brain.reply_to_speech(seconds, language), mode="repeat"
        )


async def _talk(session: Session, text: str) -> None:
    if session.avatar is not None and session.avatar.alive and text.strip():
        with contextlib.suppress(ConnectionError, TimeoutError):
            await session.avatar.command("speak", text=text, mode="talk")


async def serve(request: web.Request, session: Session) -> web.WebSocketResponse:
    """Runs one voice chat until the client or the session closes it."""
    query = request.query
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    chat = VoiceChat(
        socket=socket,
        push_to_talk=query.get("push_to_talk") == "true",
        livekit_transport=query.get("arch_version") == "v2",
    )
    session.voice_chats.append(chat)
    if session.avatar is not None and session.avatar.alive:
        with contextlib.suppress(ConnectionError, TimeoutError):
            await session.avatar.command("voice_chat", push_to_talk=chat.push_to_talk)
    try:
        async for message in socket:
            if message.type is WSMsgType.BINARY:
                await _on_frame(session, chat, message.data)
            elif message.type is WSMsgType.ERROR:
                break
    finally:
        session.voice_chats.remove(chat)
    return socket


async def _on_frame(session: Session, chat: VoiceChat, data: bytes) -> None:
    try:
        frame = parse_frame(data)
    except FrameError as exc:
        log.info("voice chat of %s: not a pipecat frame (%s)", session.session_id, exc)
        return
    session.touch()
    if isinstance(frame, TextFrame):
        await _talk(session, frame.text)
    elif isinstance(frame, AudioFrame) and not chat.livekit_transport:
        # The microphone is heard only through the transport the session asked for (§4.5).
        for change, seconds in chat.hear(frame):
            chat.send("user_start" if change == "started" else "user_stop")
            if change == "ended":
                await _answer(session, seconds)

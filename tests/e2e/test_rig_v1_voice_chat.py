"""v1 on the emulator as the official SDK uses it (contract.md §4.2 to §4.5): the body it sends,
the voice-chat websocket with its query, and the microphone heard only through the transport the
session asked for."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import pytest

from avatar_desktop.providers.v1_voice_chat import voice_chat_url
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from avatar_desktop.rig.pipecat_frames import audio_frame
from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e

# What @heygen/streaming-avatar 2.1.0 newSession() sends (contract.md §4.2), LiveKit transport.
SDK_BODY: dict[str, Any] = {
    "avatar_name": "demo-avatar", "quality": "low", "voice": {}, "language": "en",
    "version": "v2", "video_encoding": "H264", "source": "sdk",
    "ia_is_livekit_transport": True, "silence_response": False, "activity_idle_timeout": 120,
}  # fmt: skip
SPEECH = "Hello there, I am talking to the avatar through the voice chat."


@dataclass
class V1Session:
    http: httpx.AsyncClient
    token: str
    data: dict[str, Any]
    probe: ProbeClient = field(default_factory=ProbeClient)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def session_id(self) -> str:
        return str(self.data["session_id"])

    async def post(self, action: str, **body: Any) -> httpx.Response:
        return await self.http.post(
            f"/v1/streaming.{action}",
            headers=self.bearer,
            json={"session_id": self.session_id, **body},
        )


async def new_session(http: httpx.AsyncClient, rig: RigHandle, **body: Any) -> V1Session:
    created = await http.post("/v1/streaming.create_token", headers={"x-api-key": rig.api_key})
    token = created.json()["data"]["token"]
    answer = await http.post(
        "/v1/streaming.new", headers={"Authorization": f"Bearer {token}"}, json={**SDK_BODY, **body}
    )
    assert answer.status_code == 200, answer.text
    return V1Session(http, token, answer.json()["data"])


@contextlib.asynccontextmanager
async def started(rig: RigHandle, **body: Any) -> AsyncIterator[V1Session]:
    """new → start → room, in the SDK's order (§4.3)."""
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        session = await new_session(http, rig, **body)
        try:
            assert (await session.post("start")).status_code == 200
            await session.probe.connect(session.data["url"], session.data["access_token"])
            await session.probe.wait_for_video(1, timeout_s=20)
            yield session
        finally:
            await session.probe.close()
            await session.post("stop")


@contextlib.asynccontextmanager
async def voice_chat(
    rig: RigHandle, session: V1Session, *, push_to_talk: bool = False, livekit: bool = True
) -> AsyncIterator[tuple[aiohttp.ClientWebSocketResponse, list[str]]]:
    url = voice_chat_url(rig.base_url, session.session_id, session.token, push_to_talk)
    if not livekit:  # the SDK adds arch_version=v2 only for the LiveKit transport (§4.4)
        url = url.replace("arch_version=v2&", "")
    received: list[str] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as socket:

        async def read() -> None:
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    received.append(str(json.loads(message.data)["event_type"]))

        reader = asyncio.get_running_loop().create_task(read())
        try:
            yield socket, received
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def until(predicate: Any, timeout_s: float, explain: Any = None) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():  # noqa: ASYNC110 - polling what a socket collects
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out: {explain() if explain else ''}") from None


async def test_the_sdks_body_is_accepted_and_wrong_values_get_the_documented_code(
    rig: RigHandle,
) -> None:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        for wrong in ({"quality": "ultra"}, {"video_encoding": "AV1"},
                      {"activity_idle_timeout": 10}, {"version": "v3"}):  # fmt: skip
            created = await http.post(
                "/v1/streaming.create_token", headers={"x-api-key": rig.api_key}
            )
            bearer = {"Authorization": f"Bearer {created.json()['data']['token']}"}
            answer = await http.post(
                "/v1/streaming.new", headers=bearer, json={**SDK_BODY, **wrong}
            )
            assert answer.status_code == 400 and answer.json()["code"] == 400175, (
                wrong,
                answer.text,
            )
            assert next(iter(wrong)) in answer.json()["message"]
        session = await new_session(http, rig)
        assert {"session_id", "url", "access_token", "session_duration_limit", "is_paid",
                "realtime_endpoint"} <= set(session.data)  # fmt: skip
        await session.post("stop")
    assert rig.state()["active_sessions"] == 0


async def test_the_avatar_joins_only_after_start_and_the_v1_idle_default_applies(
    rig: RigHandle,
) -> None:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        session = await new_session(http, rig, activity_idle_timeout=None)
        await asyncio.sleep(1.0)
        summary = rig.session(session.session_id)
        assert summary["status"] == "created" and summary["avatar_pid"] is None
        assert summary["idle_timeout_s"] == 120  # v1's default (§4.8), not LiveAvatar's 300
        await session.post("stop")


async def test_the_voice_chat_socket_refuses_a_wrong_token_and_an_unknown_session(
    rig: RigHandle,
) -> None:
    async with started(rig) as session, aiohttp.ClientSession() as http:
        for session_id, token, status in (
            (session.session_id, "not-a-token", 401),
            ("7945735a-1927-11f0-0000-000000000000", session.token, 404),
        ):
            url = voice_chat_url(rig.base_url, session_id, token, push_to_talk=False)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url)
            assert refused.value.status == status


async def test_livekit_transport_the_room_microphone_is_heard_and_said_on_the_socket(
    rig: RigHandle,
) -> None:
    speech = SpeechSynthesizer().synthesize(SPEECH)
    async with started(rig) as session, voice_chat(rig, session) as (_socket, received):
        assert rig.session(session.session_id)["voice_chats"] == 1
        await session.probe.publish_microphone(speech)
        await until(lambda: received[-2:] == ["user_start", "user_stop"], 15,
                    lambda: (received, rig.session(session.session_id)))  # fmt: skip
        assert received == ["user_start", "user_stop"]
        await session.probe.wait_for_event("avatar_start_talking", 15)  # it answers
        sid = session.session_id
        rig.wait_until(lambda _s: rig.session(sid)["avatar"]["speech_segments"] == 1, 3)
        # user_start/user_stop travel on the socket only, never as room data (§4.4, §4.6)
        assert not {"user_start", "user_stop"} & set(session.probe.event_types())


async def test_websocket_transport_hears_the_socket_and_not_the_room(rig: RigHandle) -> None:
    speech = SpeechSynthesizer().synthesize(SPEECH)
    async with (
        started(rig, ia_is_livekit_transport=False) as session,
        voice_chat(rig, session, livekit=False) as (socket, received),
    ):
        await session.probe.publish_microphone(speech)
        await asyncio.sleep(1.5)  # the avatar's VAD would have closed a segment by now
        assert received == [] and rig.session(session.session_id)["avatar"]["speech_segments"] == 0
        # The SDK's transport: 16 kHz mono S16LE in 512-sample frames (§4.4).
        at_16k = speech[::3].astype("<i2")
        silence = bytes(1024)
        for block in [silence] * 10 + [
            at_16k[i : i + 512].tobytes() for i in range(0, at_16k.size, 512)
        ] + [silence] * 40:  # fmt: skip
            await socket.send_bytes(audio_frame(block))
            await asyncio.sleep(0.032)
        await until(lambda: received[-2:] == ["user_start", "user_stop"], 10)
        await session.probe.wait_for_event("avatar_start_talking", 15)
        await socket.send_bytes(b"\xff\x00 not a frame")  # shrugged off
        await socket.send_bytes(audio_frame(silence))
        assert not socket.closed


async def test_push_to_talk_over_livekit_needs_the_sockets_flag(rig: RigHandle) -> None:
    speech = SpeechSynthesizer().synthesize(SPEECH)
    async with started(rig) as session:
        async with voice_chat(rig, session, push_to_talk=False):
            await session.probe.send("push_to_talk:start", topic="")
            await asyncio.sleep(1.0)
            assert rig.session(session.session_id)["avatar"]["push_to_talk_active"] is False
        async with voice_chat(rig, session, push_to_talk=True) as (_socket, received):
            await session.probe.send("push_to_talk:start", topic="")
            await until(lambda: rig.session(session.session_id)["avatar"]["push_to_talk_active"],
                        5)  # fmt: skip
            await session.probe.publish_microphone(speech)
            await until(lambda: received[-2:] == ["user_start", "user_stop"], 15)
            await asyncio.sleep(1.0)
            assert "avatar_start_talking" not in session.probe.event_types()  # held: no answer
            await session.probe.send("push_to_talk:stop", topic="")
            await session.probe.wait_for_event("avatar_start_talking", 15)  # released: answers

"""The real livekit SDK, driven by httpx as a client would, against the rig's LiveAvatar API."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest

from avatar_desktop.rig.avatar.brain import reply_to
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e


@dataclass
class LiveSession:
    session_id: str
    token: str
    data: dict[str, Any]
    http: httpx.AsyncClient
    probe: ProbeClient

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def command(self, event_type: str, **fields: Any) -> None:
        body = {"event_type": event_type, "event_id": str(uuid.uuid4()),
                "session_id": self.session_id, **fields}  # fmt: skip
        await self.probe.send(body)


async def start_liveavatar(
    http: httpx.AsyncClient, api_key: str, **request: Any
) -> tuple[str, str, dict[str, Any]]:
    body = {
        "mode": "FULL",
        "avatar_id": DEMO_AVATAR_EN,
        "avatar_persona": {},
        "is_sandbox": False,
        **request,
    }
    response = await http.post("/v1/sessions/token", headers={"X-API-KEY": api_key}, json=body)
    assert response.status_code == 200, response.text
    token_data = response.json()["data"]
    token = token_data["session_token"]
    started = await http.post("/v1/sessions/start", headers={"Authorization": f"Bearer {token}"})
    assert started.status_code == 201, started.text
    assert started.json()["code"] == 1000
    return token_data["session_id"], token, started.json()["data"]


@contextlib.asynccontextmanager
async def live_session(rig: RigHandle, **request: Any) -> AsyncIterator[LiveSession]:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=20) as http:
        session_id, token, data = await start_liveavatar(http, rig.api_key, **request)
        probe = ProbeClient()
        session = LiveSession(session_id, token, data, http, probe)
        try:
            await probe.connect(data["livekit_url"], data["livekit_client_token"])
            await probe.wait_for_video(1, timeout_s=15)  # live: the avatar is in and publishing
            yield session
        finally:
            await probe.close()
            stopped = await http.post("/v1/sessions/stop", headers=session.bearer())
            assert stopped.status_code == 200


@pytest.fixture
async def live(rig: RigHandle) -> AsyncIterator[LiveSession]:
    async with live_session(rig) as session:
        yield session


def rms_between(probe: ProbeClient, start: float, end: float) -> float:
    levels = [a.rms for a in probe.audio if start <= a.received_s <= end]
    assert levels, f"no audio between {start} and {end}"
    return float(np.sqrt(np.mean(np.square(levels))))


async def test_video_arrives_at_720p_from_the_avatar_participant(live: LiveSession) -> None:
    probe = live.probe
    await probe.wait_for_video(1, timeout_s=15)
    await asyncio.sleep(3)
    identities = set(probe.room.remote_participants)
    assert {"heygen", f"liveavatar-agent-{live.session_id}"} <= identities
    assert probe.subscribed == {"heygen": {"video", "audio"}}
    await asyncio.sleep(2)  # warm-up
    first = len(probe.video)
    started = time.monotonic()
    await asyncio.sleep(5)
    window = probe.video[first:]
    fps = len(window) / (time.monotonic() - started)
    assert fps >= 20, f"only {fps:.1f} fps"
    assert {(v.width, v.height) for v in window} == {(1280, 720)}
    stamps = [v.stamp for v in window if v.stamp is not None]
    assert len(stamps) >= 0.9 * len(window), "the frame stamps do not survive the codec"
    numbers = [s.frame_number for s in stamps]
    assert numbers == sorted(numbers)


async def test_speak_text_is_audible_between_started_and_ended(live: LiveSession) -> None:
    probe = live.probe
    await probe.wait_for_video(1)
    await asyncio.sleep(1.5)
    mark = len(probe.events)
    await live.command("avatar.speak_text", text="Hello, I am the demo avatar, nice to meet you.")
    started = await probe.wait_for_event("avatar.speak_started", after=mark)
    ended = await probe.wait_for_event("avatar.speak_ended", after=mark)
    assert ended - started > 1.0
    transcripts = [
        e["text"] for _, e in probe.events[mark:] if e.get("event_type") == "avatar.transcription"
    ]
    assert transcripts == ["Hello, I am the demo avatar, nice to meet you."]
    await asyncio.sleep(0.5)
    speech = rms_between(probe, started + 0.3, ended)
    silence = rms_between(probe, started - 1.2, started - 0.2)
    assert speech > 300 and speech > 10 * max(silence, 1.0), (speech, silence)


async def test_speak_response_answers_in_the_users_language_and_interrupt_cuts(
    live: LiveSession,
) -> None:
    probe = live.probe
    expected, language = reply_to("Hola, ¿cómo estás hoy?", "en")  # the avatar speaks English
    assert language == "es"
    mark = len(probe.events)
    await live.command("avatar.speak_response", text="Hola, ¿cómo estás hoy?")
    await probe.wait_for_event("avatar.speak_started", after=mark)
    # The transcription may come just after speech starts: wait for it, do not race it.
    await probe.wait_for_event("avatar.transcription", after=mark)
    answer = [
        e["text"] for _, e in probe.events[mark:] if e.get("event_type") == "avatar.transcription"
    ]
    assert answer and answer[0] == expected
    await live.command("avatar.interrupt")
    ended_at = await probe.wait_for_event("avatar.speak_ended", after=mark)
    ended = [e for _, e in probe.events[mark:] if e.get("event_type") == "avatar.speak_ended"]
    assert ended[0]["interrupted"] is True
    assert ended_at - probe.events[mark][0] < 3


async def test_microphone_reaches_the_avatar_which_detects_speech(
    live: LiveSession, rig: RigHandle
) -> None:
    probe = live.probe
    speech = SpeechSynthesizer().synthesize("Good morning avatar, can you hear my voice clearly?")
    mark = len(probe.events)
    await probe.publish_microphone(speech)
    await probe.wait_for_event("user.speak_started", after=mark)
    await probe.wait_for_event("user.speak_ended", after=mark)
    counters = rig.wait_until(
        lambda s: any(
            x["session_id"] == live.session_id and x["avatar"].get("speech_segments")
            for x in s["sessions"]
        )
    )
    avatar = next(x for x in counters["sessions"] if x["session_id"] == live.session_id)["avatar"]
    assert avatar["user_audio_seconds"] > speech.size / 48000
    assert avatar["speech_segments"] >= 1
    # The avatar answers speech it heard.
    await probe.wait_for_event("avatar.speak_started", after=mark)


async def test_push_to_talk_is_acknowledged_only_in_a_push_to_talk_session(
    live: LiveSession, rig: RigHandle
) -> None:
    probe = live.probe  # a CONVERSATIONAL session (the default) refuses it (contract.md §2.3)
    await probe.send({"event_type": "user.start_push_to_talk"})
    await probe.wait_for_event("user.push_to_talk_start_failed")
    async with live_session(rig, interactivity_type="PUSH_TO_TALK") as ptt:
        await ptt.probe.send({"event_type": "user.start_push_to_talk"})  # as the SDK sends it
        await ptt.probe.wait_for_event("user.push_to_talk_started")
        await ptt.probe.send({"event_type": "user.stop_push_to_talk"})
        await ptt.probe.wait_for_event("user.push_to_talk_stopped")
        assert "user.push_to_talk_start_failed" not in ptt.probe.event_types()

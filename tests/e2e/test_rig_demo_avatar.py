"""The avatar as the demo shows it, over real WebRTC: a picture that lives while idle, no test
stamp in it, a greeting in the session's language once the user can hear it; and the stamp
back as soon as a rig is started the way tests and benchmarks start it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from livekit import rtc

from avatar_desktop.demo_rig import DemoRig
from avatar_desktop.rig.avatar.brain import greeting
from avatar_desktop.rig.avatar.stamp import read_stamp
from tests.e2e.test_rig_liveavatar import start_liveavatar
from tests.probe_client import ProbeClient
from tests.rig_harness import RIG_NETNS, RigHandle, running_rig

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_like_rig() -> Iterator[RigHandle]:
    if not RIG_NETNS:
        pytest.skip("needs the test network namespaces: run through scripts/run-tests.sh")
    with running_rig(8790, stamp_frames=False, greet=True) as handle:
        yield handle


async def lumas(probe: ProbeClient, seconds: float) -> list[np.ndarray]:
    """The avatar's decoded pictures (luma) over ``seconds``, about five a second."""
    track = next(
        pub.track
        for who in probe.room.remote_participants.values()
        for pub in who.track_publications.values()
        if pub.track is not None and pub.kind == rtc.TrackKind.KIND_VIDEO
    )
    stream = rtc.VideoStream(track, capacity=1, format=rtc.VideoBufferType.I420)  # the newest
    pictures: list[np.ndarray] = []
    deadline = time.monotonic() + seconds
    try:
        async for event in stream:
            frame = event.frame
            size = frame.width * frame.height
            luma = np.frombuffer(frame.data, np.uint8)[:size].reshape(frame.height, frame.width)
            pictures.append(luma.copy())
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        await stream.aclose()
    return pictures


def test_the_demo_starts_its_rig_with_a_greeting_and_without_the_stamp() -> None:
    command = DemoRig(host="198.18.0.1").command("198.18.0.1")
    assert "--greet" in command
    assert "--stamp-frames" not in command


@pytest.mark.parametrize("language", ["en", "es"])
async def test_demo_avatar_greets_lives_and_carries_no_stamp(
    demo_like_rig: RigHandle, language: str
) -> None:
    async with httpx.AsyncClient(base_url=demo_like_rig.base_url, timeout=30) as http:
        session_id, token, data = await start_liveavatar(
            http,
            demo_like_rig.api_key,
            avatar_persona={"language": language},
            video_settings={"quality": "low"},
        )
        probe = ProbeClient()
        try:
            await probe.connect(data["livekit_url"], data["livekit_client_token"])
            await probe.wait_for_video(30, timeout_s=30)
            assert probe.subscribed.get("heygen") == {"video", "audio"}
            started_at = await probe.wait_for_event("avatar.speak_started", timeout_s=20)
            await probe.wait_for_event("avatar.transcription")
            said = [e.get("text") for _, e in probe.events if "text" in e]
            assert said == [greeting(language), greeting(language)]  # started, transcription
            first_frame_at = probe.video[0].received_s
            assert started_at > first_frame_at  # it speaks to someone who sees it
            await probe.wait_for_event("avatar.speak_ended", timeout_s=30)
            await asyncio.sleep(0.5)
            # idle now: the picture still moves (breathing, sway, blinks) over 2 s
            pictures = await lumas(probe, 2.0)
            first = pictures[0].astype(np.int16)
            moved = max(int((np.abs(p.astype(np.int16) - first) > 24).sum()) for p in pictures)
            assert moved > 200, "the idle picture looks frozen"
            assert all(v.stamp is None for v in probe.video)
            assert all(read_stamp(p) is None for p in pictures)
        finally:
            await probe.close()
            await http.post("/v1/sessions/stop", headers={"Authorization": f"Bearer {token}"})
    assert session_id


async def test_the_harness_rig_stamps_frames_and_does_not_greet(rig: RigHandle) -> None:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        _session_id, token, data = await start_liveavatar(
            http, rig.api_key, video_settings={"quality": "low"}
        )
        probe = ProbeClient()
        try:
            await probe.connect(data["livekit_url"], data["livekit_client_token"])
            await probe.wait_for_video(30, timeout_s=30)
            await asyncio.sleep(2.5)  # past the moment a greeting would come
            stamped = [v for v in probe.video if v.stamp is not None]
            assert len(stamped) >= 0.9 * len(probe.video)
            assert "avatar.speak_started" not in probe.event_types()
        finally:
            await probe.close()
            await http.post("/v1/sessions/stop", headers={"Authorization": f"Bearer {token}"})

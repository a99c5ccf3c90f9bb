"""The media engine process against the rig: video into shared memory, data both ways, and a
killed engine that takes nothing else down."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from avatar_desktop.core.media_port import Frame, MediaEvent, MediaStats
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar.stamp import read_stamp
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e


class Recorder:
    """Keeps the engine's typed events as plain records (name and fields) to match on."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: MediaEvent) -> None:
        record = {"event": event.name, **vars(event)}
        if isinstance(event, MediaStats):
            record.update(event.counters)
        self.events.append(record)

    async def wait(self, name: str, timeout_s: float = 15, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for event in self.events:
                    if event.get("event") == name and all(
                        event.get(k) == v for k, v in match.items()
                    ):
                        return event
                await asyncio.sleep(0.05)

    async def wait_until(
        self, found: Callable[[dict[str, Any]], bool], timeout_s: float = 15
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for event in self.events:
                    if found(event):
                        return event
                await asyncio.sleep(0.05)


@pytest.fixture
async def provider(rig: RigHandle) -> AsyncIterator[LiveAvatarProvider]:
    p = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    yield p
    for session_id in await p.active_session_ids():
        await p.stop_session_by_id(session_id)
    await p.aclose()


def luma_of(frame: Frame) -> npt.NDArray[np.uint8]:
    """The picture's blue channel: the stamp's blocks are grey, any channel reads them."""
    rows = np.frombuffer(frame.pixels, np.uint8).reshape(frame.height, frame.stride)
    return np.ascontiguousarray(rows[:, : frame.width * 4 : 4])


async def stamped_frame(engine: MediaEngine, within_s: float = 5.0) -> Frame | None:
    """The newest frame once its stamp reads: the encoder's first frames, coarse while the
    bandwidth estimate ramps up (~0.4 s at 720p), may blur it."""
    deadline = time.monotonic() + within_s
    frame = engine.latest_frame()
    while (frame is None or read_stamp(luma_of(frame)) is None) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        frame = engine.latest_frame()
    return frame


async def test_engine_shows_the_avatar_and_carries_data(provider: LiveAvatarProvider) -> None:
    recorder = Recorder()
    engine = MediaEngine(recorder)
    await engine.start()
    try:
        grant = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
        await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
        first = await recorder.wait("first_frame")
        assert (first["width"], first["height"]) == (1280, 720)
        await recorder.wait("track", identity="heygen", kind="audio")
        frame = await stamped_frame(engine)
        assert frame is not None and (frame.width, frame.height) == (1280, 720)
        assert read_stamp(luma_of(frame)) is not None
        # Asked for the window's area, the engine scales to fit it, aspect kept.
        engine.request_frame_size(730, 460)
        await asyncio.sleep(0.3)
        frame = await stamped_frame(engine)
        assert frame is not None and (frame.width, frame.height) == (730, 410)
        assert read_stamp(luma_of(frame)) is not None
        del frame  # its pixels are a view of the engine's buffer
        command = {"event_type": "avatar.speak_text", "session_id": grant.session_id, "text": "Hi"}
        await engine.send_data(json.dumps(command).encode(), "agent-control")
        spoken = await recorder.wait("data", topic="agent-response")
        assert json.loads(spoken["data"])["event_type"].startswith("avatar.")
        await recorder.wait("audio_output")
        await provider.stop_session(grant)
    finally:
        await engine.stop()
    assert not engine.alive


async def test_killed_engine_is_reported_and_a_new_one_works(
    provider: LiveAvatarProvider, rig: RigHandle
) -> None:
    recorder = Recorder()
    engine = MediaEngine(recorder)
    await engine.start()
    grant = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN, quality="low"))
    await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
    await recorder.wait("first_frame")
    await engine.kill()
    died = await recorder.wait("engine_died")
    assert died["returncode"] != 0
    assert engine.latest_frame() is None
    await provider.stop_session(grant)

    again = MediaEngine(recorder)
    await again.start()
    try:
        grant2 = await provider.start_session(
            SessionSettings(avatar_id=DEMO_AVATAR_EN, quality="low")
        )
        recorder.events.clear()
        await again.connect(grant2.livekit_url, grant2.livekit_token, grant2.avatar_identity)
        await recorder.wait("first_frame")
        await provider.stop_session(grant2)
    finally:
        await again.stop()


async def test_malformed_packets_do_not_hurt_the_engine(
    provider: LiveAvatarProvider, rig: RigHandle
) -> None:
    recorder = Recorder()
    engine = MediaEngine(recorder)
    await engine.start()
    try:
        grant = await provider.start_session(
            SessionSettings(avatar_id=DEMO_AVATAR_EN, quality="low")
        )
        await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
        await recorder.wait("first_frame")
        sent = rig.fault(kind="send_malformed")["results"][0]["sent"]
        for _ in range(len(sent)):
            await recorder.wait("data", topic="agent-response")
            recorder.events.remove(await recorder.wait("data", topic="agent-response"))
        mark = len(recorder.events)
        await asyncio.sleep(1.0)
        assert engine.alive
        async with asyncio.timeout(10):  # the video still flows after the bad packets
            while not _flowing(recorder.events[mark:]):  # noqa: ASYNC110 - polling the record
                await asyncio.sleep(0.1)
        await provider.stop_session(grant)
    finally:
        await engine.stop()


def _flowing(events: list[dict[str, Any]]) -> bool:
    return any(e["event"] == "stats" and (e.get("fps") or 0) > 10 for e in events)

"""The media engine records a real session from the rig: the file plays back with the avatar's
picture, voice and the transcript, its voice lines up with its picture (the rig's lip-sync
markers), and a cut link inside a recording leaves one playable file."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar import brain
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.media.recording.probe import marker_offsets_ms, probe
from tests.media.test_engine_on_rig import Recorder as Events
from tests.rig_harness import RIG_NETNS, RigHandle, running_rig

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rig_module() -> Iterator[RigHandle]:
    """This module's rig sends lip-sync markers."""
    if not RIG_NETNS:
        pytest.skip("needs the test network namespaces: run through scripts/run-tests.sh")
    with running_rig(8780, "--sync-markers") as handle:
        yield handle


@pytest.fixture
async def live_engine(rig: RigHandle) -> AsyncIterator[tuple[MediaEngine, Events]]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    events = Events()
    engine = MediaEngine(events)
    await engine.start()
    try:
        grant = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
        await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
        await events.wait("first_frame", 30)
        await events.wait("track", identity="heygen", kind="audio")
        yield engine, events
        await provider.stop_session(grant)
    finally:
        await engine.stop()
        await provider.aclose()


async def test_a_20_s_recording_plays_back_in_sync_with_its_subtitles(
    live_engine: tuple[MediaEngine, Events], tmp_path: Path
) -> None:
    engine, events = live_engine
    path = tmp_path / "conversation.mp4"
    # Recorded once the engine knows how much later the receiver lets the voice out than the
    # picture (its first statistics, a second or two into the session): a file begun before
    # that has its first second up to ~50 ms out of step while the estimate settles.
    await events.wait_until(_skew_known, 15)
    await engine.start_recording(str(path), "source")
    began = time.monotonic()
    command = {"event_type": "avatar.speak_text", "text": brain.long_answer("en")}
    await engine.send_data(json.dumps(command).encode(), "agent-control")
    await asyncio.sleep(3)
    await engine.add_recording_cue("Avatar: a long answer", time.time() - 2.5, time.time() - 0.5)
    progress = await events.wait("recording", active=True)
    assert progress["path"] == str(path)
    await asyncio.sleep(20 - (time.monotonic() - began))
    await engine.stop_recording()
    wall_s = time.monotonic() - began
    ended = await events.wait("recording", active=False)
    assert ended["error"] == "" and ended["bytes"] > 100_000, ended
    print(f"\nrecording: {ended}")
    got = probe(path)
    offsets = marker_offsets_ms(path)
    print(f"\nvoice after picture in the file, ms: {[round(x, 1) for x in offsets]}")
    assert got.codecs == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    assert abs(got.fps - 30) <= 1, got.fps
    assert abs(got.duration_s - wall_s) <= 0.5 and abs(got.audio_s - wall_s) <= 0.5
    assert [text for _, _, text in got.cues] == ["Avatar: a long answer"]
    assert np.abs(got.audio).max() > 0.05  # the avatar's voice is in it
    assert len(offsets) >= 15  # a marker a second, found in both media
    assert abs(float(np.median(offsets))) <= 40, offsets  # lips and voice together
    assert np.percentile(np.abs(offsets), 95) <= 40, offsets


def _skew_known(event: dict[str, object]) -> bool:
    return (
        event.get("event") == "stats"
        and event.get("jitter_buffer_audio_ms") is not None
        and event.get("jitter_buffer_video_ms") is not None
    )


async def test_a_recording_across_a_cut_link_is_one_playable_file(
    live_engine: tuple[MediaEngine, Events], rig: RigHandle, tmp_path: Path
) -> None:
    engine, events = live_engine
    path = tmp_path / "cut.mp4"
    await engine.start_recording(str(path), "720p")
    began = time.monotonic()
    await asyncio.sleep(3)
    rig.fault(kind="network_cut", seconds=3)
    await asyncio.sleep(9)
    await engine.stop_recording()
    wall_s = time.monotonic() - began
    ended = await events.wait("recording", active=False)
    assert ended["error"] == "", ended
    got = probe(path)
    assert got.codecs["video"] == "h264" and got.frames > 5 * 30
    assert abs(got.duration_s - wall_s) <= 1.0 and abs(got.audio_s - wall_s) <= 1.0

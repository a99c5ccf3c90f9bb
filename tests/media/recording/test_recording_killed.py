"""A recording survives the app's end however it comes: the process that owns the media engine
killed outright (the engine sees its lifeline close and ends the file), or the engine itself
killed mid-file (the fragments written so far play)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from tests.media.recording.probe import ended_by_the_muxer, probe
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]

# The app's media side as the window runs it: a LiveAvatar session on the rig, live, recording.
APP = """
import asyncio, sys
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN

async def main(base_url, api_key, path):
    provider = LiveAvatarProvider(api_key, base_url=base_url)
    engine = MediaEngine(lambda event: None)
    await engine.start()
    grant = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
    await engine.connect(grant.livekit_url, grant.livekit_token, grant.avatar_identity)
    await engine.start_recording(path, "720p")
    print("engine", engine.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture
def app(rig: RigHandle, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    path = tmp_path / "talk.mp4"
    child = subprocess.Popen(
        [sys.executable, "-c", APP, rig.base_url, rig.api_key, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("engine "), line
    try:
        yield child, int(line.split()[1]), path
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
        asyncio.run(_stop_left_sessions(rig))  # a killed app leaves its session running


async def _stop_left_sessions(rig: RigHandle) -> None:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    for session_id in await provider.active_session_ids():
        await provider.stop_session_by_id(session_id)
    await provider.aclose()


def _wait_for_fragments(path: Path, size: int = 300_000, timeout_s: float = 40) -> None:
    """Until the file holds a few seconds (the avatar joins in 1-4 s, the file begins with its
    first frame)."""
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.stat().st_size >= size):
        assert time.monotonic() < deadline, f"{path} did not grow to {size} bytes"
        time.sleep(0.2)


def _wait_gone(pid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} still runs after {timeout_s} s")


def test_killing_the_app_mid_recording_leaves_a_whole_file(
    app: tuple[subprocess.Popen[str], int, Path],
) -> None:
    child, engine_pid, path = app
    _wait_for_fragments(path)
    child.kill()  # SIGKILL: no goodbye to the engine, only its lifeline closing
    child.wait(10)
    _wait_gone(engine_pid, 15)
    got = probe(path)
    assert got.codecs == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    assert got.frames >= 30 and got.duration_s >= 1.0, (got.frames, got.duration_s)
    assert ended_by_the_muxer(path)  # the engine closed it: the last second is in too


def test_killing_the_engine_mid_recording_leaves_a_playable_file(
    app: tuple[subprocess.Popen[str], int, Path],
) -> None:
    _child, engine_pid, path = app
    _wait_for_fragments(path)
    os.kill(engine_pid, signal.SIGKILL)  # the media engine crashes: nothing is flushed
    _wait_gone(engine_pid, 10)
    got = probe(path)
    assert got.codecs["video"] == "h264"
    assert got.frames >= 30 and got.duration_s >= 1.0, (got.frames, got.duration_s)
    assert not ended_by_the_muxer(path)  # cut off: it plays from its fragments alone

"""The rig's LiveKit server is the real one: built or found, it starts and answers RoomService."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from livekit import api

from avatar_desktop.rig.livekit_binary import LIVEKIT_SERVER_VERSION, find_livekit_server
from avatar_desktop.rig.livekit_process import LiveKitPorts, LiveKitServer


async def test_server_starts_answers_room_service_and_stops(tmp_path: Path, free_port: int) -> None:
    binary = find_livekit_server()
    server = LiveKitServer(binary, "127.0.0.1", LiveKitPorts.after(free_port), tmp_path)
    await server.start()
    try:
        assert server.running
        lkapi = server.api_client()
        try:
            room = await lkapi.room.create_room(api.CreateRoomRequest(name="probe"))
            assert room.name == "probe"
            listed = await lkapi.room.list_rooms(api.ListRoomsRequest())
            assert [r.name for r in listed.rooms] == ["probe"]
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="probe"))
        finally:
            await lkapi.aclose()
    finally:
        await server.stop()
    assert not server.running


def test_binary_is_the_pinned_version() -> None:
    out = subprocess.run(
        [str(find_livekit_server()), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert LIVEKIT_SERVER_VERSION.lstrip("v") in out


async def test_wrong_key_is_refused(tmp_path: Path, free_port: int) -> None:
    server = LiveKitServer(
        find_livekit_server(), "127.0.0.1", LiveKitPorts.after(free_port), tmp_path
    )
    await server.start()
    try:
        intruder = api.LiveKitAPI(url=server.http_url, api_key=server.api_key, api_secret="x" * 40)
        try:
            with pytest.raises(api.TwirpError):
                await intruder.room.list_rooms(api.ListRoomsRequest())
        finally:
            await intruder.aclose()
    finally:
        await server.stop()


async def test_a_server_that_cannot_start_says_why(tmp_path: Path, free_port: int) -> None:
    """Its ports taken by another server: it stops, and the error carries the end of its log
    (the rig's directory, and the log with it, may be gone when someone reads the error)."""
    ports = LiveKitPorts.after(free_port)
    first = LiveKitServer(find_livekit_server(), "127.0.0.1", ports, tmp_path / "first")
    await first.start()
    try:
        second = LiveKitServer(find_livekit_server(), "127.0.0.1", ports, tmp_path / "second")
        with pytest.raises(RuntimeError, match="exited early") as failure:
            await second.start(ready_timeout=20)
        said = str(failure.value).split("\n", 1)[1]
        assert said.strip() and "(the log is empty)" not in said
        print(failure.value)
    finally:
        await first.stop()

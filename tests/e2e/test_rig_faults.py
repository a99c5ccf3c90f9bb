"""Every fault plan produces what a client of the real service would see."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from livekit import rtc

from tests.e2e.test_rig_liveavatar import start_liveavatar
from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e


@pytest.fixture
async def http(rig: RigHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as client:
        yield client


async def stop(http: httpx.AsyncClient, token: str) -> None:
    await http.post("/v1/sessions/stop", headers={"Authorization": f"Bearer {token}"})


@contextlib.asynccontextmanager
async def live_probe(
    rig: RigHandle, http: httpx.AsyncClient, **request: Any
) -> AsyncIterator[tuple[str, ProbeClient]]:
    """A LiveAvatar session joined by a probe client; closed and stopped afterwards."""
    session_id, token, data = await start_liveavatar(http, rig.api_key, **request)
    probe = ProbeClient()
    try:
        await probe.connect(data["livekit_url"], data["livekit_client_token"])
        yield session_id, probe
    finally:
        await probe.close()
        await stop(http, token)


async def frames_after(probe: ProbeClient, since: float, count: int, timeout_s: float) -> float:
    """Waits for ``count`` frames received after ``since``; returns when the first came."""

    def fresh() -> list[float]:
        return [v.received_s for v in probe.video if v.received_s > since]

    assert await probe.wait_until(lambda: len(fresh()) >= count, timeout_s), (
        f"no {count} frames within {timeout_s} s after the fault"
    )
    return fresh()[0]


def longest_gap(probe: ProbeClient, start: float, end: float) -> float:
    times = [v.received_s for v in probe.video if start <= v.received_s <= end]
    return max((b - a for a, b in itertools.pairwise(times)), default=end - start)


@pytest.mark.parametrize("kind", ["network_cut", "reset_signalling"])
async def test_network_faults_are_survived_by_the_sdk(
    rig: RigHandle, http: httpx.AsyncClient, kind: str
) -> None:
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(30)
        cut_at = time.monotonic()
        rig.fault(kind=kind, seconds=3)
        await asyncio.sleep(3)
        back = await frames_after(probe, time.monotonic(), 30, timeout_s=30)
        assert probe.room.connection_state == rtc.ConnectionState.CONN_CONNECTED
        if kind == "network_cut":
            assert longest_gap(probe, cut_at, back) >= 1.5, "the cut did not stop the video"
        else:
            events = [name for _, name in probe.room_events]
            assert "reconnecting" in events and "reconnected" in events, events


async def test_packet_loss_and_bandwidth_cap_keep_video_flowing(
    rig: RigHandle, http: httpx.AsyncClient
) -> None:
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(10)
        rig.fault(kind="packet_loss", percent=5, seconds=6)
        rig.fault(kind="bandwidth_cap", kbit=2000, seconds=6)
        await asyncio.sleep(1)
        start = time.monotonic()
        await asyncio.sleep(5)
        impaired = [v for v in probe.video if v.received_s > start]
        assert len(impaired) >= 25, f"{len(impaired)} frames in 5 s under loss and a 2 Mbit/s cap"


async def test_killed_server_is_noticed_and_a_new_session_works_once_back(
    rig: RigHandle, http: httpx.AsyncClient
) -> None:
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(5)
        rig.fault(kind="kill_server")  # down until restarted below

        def told() -> bool:  # the SDK starts its own recovery, or gives up: either way it says so
            names = [name for _, name in probe.room_events]
            return "reconnecting" in names or bool(probe.disconnect_reasons)

        assert await probe.wait_until(told, timeout_s=30), "the client was never told"
    rig.fault(kind="restart_server")
    rig.wait_until(lambda s: s["server"]["running"], timeout_s=30)
    async with live_probe(rig, http) as (_sid, again):
        await again.wait_for_video(10)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("remove_participant", "PARTICIPANT_REMOVED"), ("delete_room", "ROOM_DELETED")],
)
async def test_room_service_actions_give_livekits_disconnect_reasons(
    rig: RigHandle, http: httpx.AsyncClient, kind: str, reason: str
) -> None:
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(1)
        rig.fault(kind=kind)
        await probe.wait_until(lambda: bool(probe.disconnect_reasons))
        assert probe.disconnect_reasons == [reason]


async def test_tracks_late_then_never_then_cleared(rig: RigHandle, http: httpx.AsyncClient) -> None:
    rig.fault(kind="tracks_late", seconds=3, count=1)
    started = time.monotonic()
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(1, timeout_s=15)
        assert probe.video[0].received_s - started >= 2.0

    rig.fault(kind="tracks_never")
    async with live_probe(rig, http) as (_sid, probe):
        await asyncio.sleep(6)
        assert probe.video == [], "tracks were published despite the fault"
        assert "heygen" in probe.room.remote_participants  # present, yet silent and dark
        rig.clear_faults()
        await probe.wait_for_video(1, timeout_s=15)


async def test_token_signed_with_the_wrong_secret_is_refused(
    rig: RigHandle, http: httpx.AsyncClient
) -> None:
    rig.fault(kind="wrong_livekit_secret", count=1)
    _sid, token, data = await start_liveavatar(http, rig.api_key)
    probe = ProbeClient()
    try:
        with pytest.raises(rtc.ConnectError):
            await probe.room.connect(data["livekit_url"], data["livekit_client_token"])
    finally:
        await stop(http, token)


async def test_server_ended_session_sends_session_stopped_and_deletes_the_room(
    rig: RigHandle, http: httpx.AsyncClient
) -> None:
    rig.fault(kind="session_ends_after", seconds=8, count=1)  # the avatar is in by then
    async with live_probe(rig, http) as (sid, probe):
        await probe.wait_for_event("session.stopped", timeout_s=15)
        stopped = next(e for _, e in probe.events if e.get("event_type") == "session.stopped")
        assert stopped["stop_reason"] == "SERVER_ERROR" and stopped["session_id"] == sid
        await probe.wait_until(lambda: bool(probe.disconnect_reasons))
        assert probe.disconnect_reasons == ["ROOM_DELETED"]
        assert rig.session(sid)["status"] == "stopped"


async def test_malformed_and_oversized_packets_reach_the_client(
    rig: RigHandle, http: httpx.AsyncClient
) -> None:
    async with live_probe(rig, http) as (_sid, probe):
        await probe.wait_for_video(1)
        sent = rig.fault(kind="send_malformed")["results"][0]["sent"]
        assert "oversized" in sent and "invalid-utf8" in sent
        await probe.wait_until(lambda: len(probe.raw_data) >= len(sent))
        assert b"\xff\xfe\xfd{not json" in probe.raw_data
        assert max(len(p) for p in probe.raw_data) > 60_000

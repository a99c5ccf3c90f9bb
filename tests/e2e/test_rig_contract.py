"""The emulator answers as HeyGen's published contract says (../shared/reference/contract.md),
checked against the same recorded bodies the providers are tested on (tests/providers/recorded/),
so the emulator and the client cannot agree with each other while both drift from the service."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from livekit import rtc

from avatar_desktop.rig.avatar.brain import reply_to
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN, SANDBOX_AVATAR_ID
from tests.probe_client import ProbeClient
from tests.rig_harness import RigHandle, running_rig

pytestmark = pytest.mark.e2e
RECORDED = Path(__file__).parent.parent / "providers" / "recorded"
SUCCESS: dict[str, Any] = json.loads((RECORDED / "liveavatar_success.json").read_text())
ERRORS = {e["name"]: e for e in json.loads((RECORDED / "liveavatar_errors.json").read_text())}


@pytest.fixture
def http(rig: RigHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rig.base_url, timeout=30) as client:
        yield client


def key(rig: RigHandle) -> dict[str, str]:
    return {"X-API-KEY": rig.api_key}


def token(http: httpx.Client, rig: RigHandle, **body: Any) -> httpx.Response:
    request = {"mode": "FULL", "avatar_id": DEMO_AVATAR_EN, "avatar_persona": {}, **body}
    return http.post("/v1/sessions/token", headers=key(rig), json=request)


def shape(recorded: dict[str, Any]) -> set[str]:
    return set(recorded["body"]["data"])


def test_token_and_start_have_the_documented_fields(rig: RigHandle, http: httpx.Client) -> None:
    issued = token(http, rig)
    assert issued.status_code == 200 and set(issued.json()["data"]) == shape(SUCCESS["token"])
    bearer = {"Authorization": f"Bearer {issued.json()['data']['session_token']}"}
    started = http.post("/v1/sessions/start", headers=bearer)
    assert started.status_code == 201  # OA (§1.2)
    assert started.json()["code"] == 1000  # what the official SDK demands (§1.1)
    assert set(started.json()["data"]) == shape(SUCCESS["start"])
    assert started.json()["data"]["ws_url"] is None  # FULL mode (§2.4.2)
    entry = http.get(f"/v1/sessions/{issued.json()['data']['session_id']}", headers=key(rig))
    page = SUCCESS["sessions_active_page1"]["body"]["data"]["results"][0]
    assert set(page) <= set(entry.json()["data"])
    http.post("/v1/sessions/stop", headers=bearer)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"mode": "SOMETHING"}, "discriminator 'mode'"),
        ({"avatar_id": "demo-avatar"}, "avatar_id"),
        ({"avatar_persona": None}, "avatar_persona"),
        ({"avatar_persona": {"voice_id": "Anna"}}, "voice_id"),
        ({"video_settings": {"quality": "4k"}}, "quality"),
        ({"video_settings": {"encoding": "AV1"}}, "encoding"),
        ({"interactivity_type": "SHOUTING"}, "interactivity_type"),
    ],
)
def test_token_requests_are_validated_with_liveavatars_error_shape(
    rig: RigHandle, http: httpx.Client, body: dict[str, Any], where: str
) -> None:
    before = len(rig.state()["sessions"])
    refused = token(http, rig, **body)
    recorded = ERRORS["validation_discriminator"]
    assert refused.status_code == recorded["status"]
    assert set(refused.json()) == set(recorded["body"])
    assert refused.json()["code"] == recorded["body"]["code"]
    assert refused.json()["message"].startswith("Request validation errors.")
    assert where in refused.json()["message"]
    assert len(rig.state()["sessions"]) == before  # nothing created, nothing billed


def test_auth_errors_have_the_reported_shape(rig: RigHandle, http: httpx.Client) -> None:
    wrong = http.post("/v1/sessions/token", headers={"X-API-KEY": "wrong"}, json={})
    assert (wrong.status_code, wrong.json()) == (
        ERRORS["not_authenticated"]["status"], ERRORS["not_authenticated"]["body"])  # fmt: skip
    no_bearer = http.post("/v1/sessions/start")
    assert no_bearer.status_code == 403 and no_bearer.json()["code"] == 4003


def test_listings_are_paginated(rig: RigHandle, http: httpx.Client) -> None:
    first = http.get("/v1/avatars/public", params={"page": 1, "page_size": 2}).json()["data"]
    assert set(first) == shape(SUCCESS["avatars_public"])
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    second = httpx.get(first["next"], timeout=10).json()["data"]
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]
    avatar_fields = set(SUCCESS["avatars_public"]["body"]["data"]["results"][0])
    assert avatar_fields <= set(first["results"][0])
    for path in ("/v1/avatars", "/v1/voices", "/v1/contexts"):
        data = http.get(path, headers=key(rig)).json()["data"]
        assert set(data) == {"count", "results", "next", "previous"}, path
    too_big = http.get("/v1/voices", headers=key(rig), params={"page_size": 500})
    assert too_big.status_code == 422 and too_big.json()["code"] == 4000


def test_session_listing_needs_its_type_and_has_the_documented_entries(
    rig: RigHandle, http: httpx.Client
) -> None:
    untyped = http.get("/v1/sessions", headers=key(rig))
    assert untyped.status_code == 422 and "type" in untyped.json()["message"]
    issued = token(http, rig).json()["data"]
    active = http.get("/v1/sessions", headers=key(rig), params={"type": "active"}).json()["data"]
    assert set(active) == shape(SUCCESS["sessions_active_page1"])
    assert issued["session_id"] in [s["id"] for s in active["results"]]
    entry_fields = set(SUCCESS["sessions_active_page1"]["body"]["data"]["results"][0])
    assert set(active["results"][0]) == entry_fields
    bearer = {"Authorization": f"Bearer {issued['session_token']}"}
    http.post("/v1/sessions/stop", headers=bearer)
    historic = http.get("/v1/sessions", headers=key(rig), params={"type": "historic"})
    ended = next(s for s in historic.json()["data"]["results"] if s["id"] == issued["session_id"])
    assert ended["end_reason"] == "USER_CLOSED" and "end_at" in ended


def test_credits_have_the_documented_shape(rig: RigHandle, http: httpx.Client) -> None:
    data = http.get("/v1/users/credits", headers=key(rig)).json()["data"]
    assert set(data) == shape(SUCCESS["credits"])
    assert float(data["credits_left"]) > 0


def test_sandbox_sessions_take_only_the_sandbox_avatar_and_end_after_their_minute(
    free_port: int,
) -> None:
    with (
        running_rig(free_port, "--sandbox-duration", "3") as short,
        httpx.Client(base_url=short.base_url, timeout=30) as http,
    ):
        refused = token(http, short, is_sandbox=True)
        assert refused.status_code == 400 and "sandbox" in refused.json()["message"].lower()
        issued = token(http, short, is_sandbox=True, avatar_id=SANDBOX_AVATAR_ID).json()["data"]
        bearer = {"Authorization": f"Bearer {issued['session_token']}"}
        assert http.post("/v1/sessions/start", headers=bearer).status_code == 201
        state = short.wait_until(lambda s: s["active_sessions"] == 0, 20)
        assert state["sessions"][0]["stop_reason"] == "MAX_DURATION_REACHED"


def test_credits_run_out(free_port: int) -> None:
    # A start needs a minute's worth (2 credits, contract.md §3); time runs 60 times faster
    # here, so 2.1 credits last about a second of session, and then no new one may start.
    with (
        running_rig(free_port, "--credits", "2.1", "--credits-per-minute", "120") as poor,
        httpx.Client(base_url=poor.base_url, timeout=30) as http,
    ):
        issued = token(http, poor).json()["data"]
        bearer = {"Authorization": f"Bearer {issued['session_token']}"}
        assert http.post("/v1/sessions/start", headers=bearer).status_code == 201
        started = time.monotonic()
        state = poor.wait_until(lambda s: s["active_sessions"] == 0, 30)
        assert state["sessions"][0]["stop_reason"] == "NO_CREDITS"
        assert time.monotonic() - started < 15
        again = token(http, poor)
        assert again.status_code == 402 and "credits" in again.json()["message"]


def started_session(http: httpx.Client, rig: RigHandle, **body: Any) -> tuple[str, dict[str, str]]:
    issued = token(http, rig, **body).json()["data"]
    bearer = {"Authorization": f"Bearer {issued['session_token']}"}
    assert http.post("/v1/sessions/start", headers=bearer).status_code == 201
    return str(issued["session_id"]), bearer


def test_rate_limits_are_per_caller_and_endpoint_in_one_second_windows(free_port: int) -> None:
    with (
        running_rig(free_port, "--rate-limit", "3") as limited,
        httpx.Client(base_url=limited.base_url, timeout=30) as http,
    ):
        answers = [http.get("/v1/users/credits", headers=key(limited)) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert all(a.headers["X-RateLimit-Reset"] == "1" for a in answers)  # both, §1.1
        assert answers[-1].headers["Retry-After"] == "1"
        assert answers[-1].json()["code"] == 4029
        assert http.get("/v1/contexts", headers=key(limited)).status_code == 200  # per endpoint
        other_caller = http.get("/v1/users/credits", headers={"X-API-KEY": "someone-else"})
        assert other_caller.status_code == 403  # counted apart: refused for its key, not 429
        time.sleep(1.1)
        assert http.get("/v1/users/credits", headers=key(limited)).status_code == 200


def test_delete_sessions_stops_the_bearers_session(rig: RigHandle, http: httpx.Client) -> None:
    session_id, bearer = started_session(http, rig)
    deleted = http.delete("/v1/sessions", headers=bearer)  # SDK demo and SK (§1.2, §5.7)
    assert deleted.status_code == 200
    assert rig.session(session_id)["status"] == "stopped"


async def test_the_transcript_holds_both_sides_and_filters_by_time(rig: RigHandle) -> None:
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        body = {"mode": "FULL", "avatar_id": DEMO_AVATAR_EN, "avatar_persona": {}}
        issued = (await http.post("/v1/sessions/token", headers=key(rig), json=body)).json()
        bearer = {"Authorization": f"Bearer {issued['data']['session_token']}"}
        room = (await http.post("/v1/sessions/start", headers=bearer)).json()["data"]
        session_id = issued["data"]["session_id"]
        transcript = f"/v1/sessions/{session_id}/transcript"
        probe = ProbeClient()
        try:
            empty = (await http.get(transcript, headers=key(rig))).json()["data"]
            assert empty == {"session_active": True, "transcript_data": []}
            await probe.connect(room["livekit_url"], room["livekit_client_token"])
            await probe.wait_for_video(1, timeout_s=20)
            await probe.send({"event_type": "avatar.speak_response", "text": "Who are you?"})
            await probe.wait_for_event("avatar.speak_started")
            # Events come from the agent and nobody else (a packet whose sender the SDK does
            # not know yet comes with none: seen once in CI).
            assert probe.senders <= {f"liveavatar-agent-{session_id}"}
            # The avatar's line reaches the transcript a moment after its event reaches the
            # room (another path: the avatar's report to the rig), as a real service's may.
            async with asyncio.timeout(10):
                while True:
                    data = (await http.get(transcript, headers=key(rig))).json()["data"]
                    if len(data["transcript_data"]) >= 2:
                        break
                    await asyncio.sleep(0.1)
            lines = data["transcript_data"]
            assert [(x["role"], x["transcript"]) for x in lines] == [
                ("user", "Who are you?"), ("avatar", reply_to("Who are you?")[0])]  # fmt: skip
            assert set(lines[0]) == {"role", "transcript", "absolute_timestamp",
                                     "relative_timestamp"}  # fmt: skip
            assert 0 <= lines[0]["relative_timestamp"] <= lines[1]["relative_timestamp"] < 60
            later = {"start_timestamp": str(data["next_timestamp"] + 60)}
            none = (await http.get(transcript, headers=key(rig), params=later)).json()["data"]
            assert none["transcript_data"] == []
            unknown = await http.get("/v1/sessions/nope/transcript", headers=key(rig))
            assert unknown.status_code == 404
        finally:
            await probe.close()
            await http.post("/v1/sessions/stop", headers=bearer)
        ended = (await http.get(transcript, headers=key(rig))).json()["data"]
        assert ended["session_active"] is False and len(ended["transcript_data"]) == 2


async def test_the_avatar_joins_after_its_delay_agent_first_and_streams_h264(
    rig: RigHandle,
) -> None:
    rig.fault(kind="join_late", seconds=4, count=1)
    async with httpx.AsyncClient(base_url=rig.base_url, timeout=30) as http:
        body = {"mode": "FULL", "avatar_id": DEMO_AVATAR_EN, "avatar_persona": {}}
        issued = (await http.post("/v1/sessions/token", headers=key(rig), json=body)).json()
        bearer = {"Authorization": f"Bearer {issued['data']['session_token']}"}
        started_at = time.monotonic()
        room = (await http.post("/v1/sessions/start", headers=bearer)).json()["data"]
        session_id = issued["data"]["session_id"]
        probe = ProbeClient()
        try:
            await probe.connect(room["livekit_url"], room["livekit_client_token"])
            seen: list[tuple[float, set[str]]] = []
            # The avatar renders its face in a thread meanwhile (1-2 s of CPU at 720p): on a
            # busy machine that can hold its join back by a second or two past the delay.
            while time.monotonic() - started_at < 12 and "heygen" not in (
                seen[-1][1] if seen else set()
            ):
                seen.append((time.monotonic() - started_at,
                             set(probe.room.remote_participants)))  # fmt: skip
                await asyncio.sleep(0.1)
            agent = f"liveavatar-agent-{session_id}"
            agent_at = next(t for t, who in seen if agent in who)
            avatar_at = next(t for t, who in seen if "heygen" in who)
            assert 1.0 <= agent_at < avatar_at, seen[::5]  # the agent first (§2.1)
            assert 3.5 <= avatar_at <= 9.0, avatar_at
            await probe.wait_for_video(1, timeout_s=10)
            video = next(
                p for p in probe.room.remote_participants["heygen"].track_publications.values()
                if p.kind == rtc.TrackKind.KIND_VIDEO
            )  # fmt: skip
            assert video.mime_type.lower() == "video/h264"  # LiveAvatar's default (§1.3)
            assert rig.session(session_id)["video_codec"] == "H264"
        finally:
            await probe.close()
            await http.post("/v1/sessions/stop", headers=bearer)


def test_default_join_delays_are_a_few_seconds_with_jitter(rig: RigHandle) -> None:
    with httpx.Client(base_url=rig.base_url, timeout=30) as http:
        delays = []
        for _ in range(3):
            session_id, bearer = started_session(http, rig, video_settings={"encoding": "VP8"})
            delays.append(rig.session(session_id)["join_delay_s"])
            assert rig.session(session_id)["video_codec"] == "VP8"  # when asked
            http.post("/v1/sessions/stop", headers=bearer)
    assert all(1.0 <= d <= 4.0 for d in delays) and len(set(delays)) > 1, delays

"""The emulator's HTTP answers, as httpx (the app's client) sees them from the client host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.rig_harness import RigHandle, running_rig

pytestmark = pytest.mark.e2e


@pytest.fixture
def http(rig: RigHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rig.base_url, timeout=30) as client:
        yield client


def new_token(http: httpx.Client, key: str, **body: object) -> httpx.Response:
    request = {"mode": "FULL", "avatar_id": DEMO_AVATAR_EN, "avatar_persona": {}, **body}
    return http.post("/v1/sessions/token", headers={"X-API-KEY": key}, json=request)


def test_wrong_key_gets_each_products_own_answer(rig: RigHandle, http: httpx.Client) -> None:
    response = new_token(http, "wrong")
    assert response.status_code == 403  # LiveAvatar: 403 {code 4003} (contract.md §1.1)
    assert response.json() == {"code": 4003, "data": None, "message": "Not authenticated"}
    v1 = http.post("/v1/streaming.create_token", headers={"x-api-key": "wrong"})
    assert v1.status_code == 401 and v1.json()["code"] == 400112  # v1 (§4.7)


def test_lists_and_envelopes(rig: RigHandle, http: httpx.Client) -> None:
    public = http.get("/v1/avatars/public").json()  # declares no auth (§1.4)
    assert public["code"] == 1000
    assert DEMO_AVATAR_EN in [a["id"] for a in public["data"]["results"]]
    mine = http.get("/v1/avatars", headers={"X-API-KEY": rig.api_key}).json()
    assert mine["data"] == {"count": 0, "results": [], "next": None, "previous": None}
    v1 = http.get("/v1/streaming/avatar.list", headers={"x-api-key": rig.api_key}).json()
    assert v1["code"] == 100 and v1["data"][0]["avatar_id"] == "demo-avatar"


def test_unknown_avatar_and_malformed_body(rig: RigHandle, http: httpx.Client) -> None:
    missing = new_token(http, rig.api_key, avatar_id="0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e")
    assert missing.status_code == 404 and missing.json()["code"] == 4004
    not_uuid = new_token(http, rig.api_key, avatar_id="nobody")
    assert not_uuid.status_code == 422 and not_uuid.json()["code"] == 4000
    garbage = http.post("/v1/sessions/token", headers={"X-API-KEY": rig.api_key}, content=b"{")
    assert garbage.status_code == 400 and "JSON" in garbage.json()["message"]


def test_http_faults_fire_count_times(rig: RigHandle, http: httpx.Client) -> None:
    rig.fault(kind="http", endpoint="/v1/avatars", status=500, count=1)
    rig.fault(kind="http", endpoint="/v1/voices", status=429, count=1)
    rig.fault(kind="http", endpoint="/v1/sessions/token", error="no_credits", count=1)
    key = {"X-API-KEY": rig.api_key}
    assert http.get("/v1/avatars", headers=key).status_code == 500
    assert http.get("/v1/avatars", headers=key).status_code == 200
    limited = http.get("/v1/voices", headers=key)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    broke = new_token(http, rig.api_key)
    assert broke.status_code == 402 and "credits" in broke.json()["message"]
    rig.fault(kind="http", endpoint="/v1/avatars", delay_s=2, count=1)
    started = time.monotonic()
    assert http.get("/v1/avatars", headers=key).status_code == 200
    assert time.monotonic() - started >= 2


def test_concurrent_limit(rig: RigHandle, http: httpx.Client) -> None:
    tokens = [new_token(http, rig.api_key).json()["data"]["session_token"] for _ in range(3)]
    try:
        over = new_token(http, rig.api_key)
        assert over.status_code == 400 and "Concurrent" in over.json()["message"]
        listed = http.get("/v1/sessions", params={"type": "active"},
                          headers={"X-API-KEY": rig.api_key}).json()  # fmt: skip
        assert listed["data"]["count"] == 3 and len(listed["data"]["results"]) == 3
    finally:
        for token in tokens:
            http.post("/v1/sessions/stop", headers={"Authorization": f"Bearer {token}"})


def test_cors_preflight_echoes_the_origin(rig: RigHandle, http: httpx.Client) -> None:
    response = http.options(
        "/v1/sessions/start",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_v1_token_is_single_use(rig: RigHandle, http: httpx.Client) -> None:
    token = http.post("/v1/streaming.create_token", headers={"x-api-key": rig.api_key})
    bearer = {"Authorization": f"Bearer {token.json()['data']['token']}"}
    first = http.post("/v1/streaming.new", headers=bearer, json={"quality": "low"})
    assert first.status_code == 200
    session_id = first.json()["data"]["session_id"]
    try:
        again = http.post("/v1/streaming.new", headers=bearer, json={"quality": "low"})
        assert again.status_code == 401 and again.json()["code"] == 400112
    finally:
        http.post("/v1/streaming.stop", headers=bearer, json={"session_id": session_id})


def test_session_never_kept_alive_expires(rig_module: RigHandle) -> None:
    with (
        running_rig(8790, "--session-idle-timeout", "2") as short,
        httpx.Client(base_url=short.base_url, timeout=30) as http,
    ):
        token = new_token(http, short.api_key).json()["data"]["session_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert http.post("/v1/sessions/start", headers=bearer).status_code == 201
        state = short.wait_until(lambda s: s["active_sessions"] == 0 and not s["rooms"], 20)
        assert state["sessions"][0]["stop_reason"] == "IDLE_TIMEOUT"
        assert state["sessions"][0]["status"] == "expired"
        late = http.post("/v1/sessions/keep-alive", headers=bearer)
        assert late.status_code == 400


def test_sigterm_leaves_no_child_process(rig_module: RigHandle) -> None:
    with running_rig(8795) as other, httpx.Client(base_url=other.base_url, timeout=30) as http:
        token = new_token(http, other.api_key).json()["data"]["session_token"]
        started = http.post("/v1/sessions/start", headers={"Authorization": f"Bearer {token}"})
        assert started.is_success, started.text
        state = other.wait_until(lambda s: s["sessions"][0]["avatar_pid"] is not None)
        children = [state["server"]["pid"], state["sessions"][0]["avatar_pid"]]
        assert all(Path(f"/proc/{pid}").exists() for pid in children)
    assert other.process.returncode == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"child {pid} outlived the rig"

"""The providers' parsers on the bodies HeyGen documents or users reported (tests/providers/
recorded/, each with its source in contract.md): valid, truncated and malformed. Pure logic over
httpx's MockTransport; the emulator is held to the same shapes in tests/e2e/test_rig_contract.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.providers.http_errors import error_for
from avatar_desktop.providers.liveavatar import LiveAvatarProvider

RECORDED = Path(__file__).parent / "recorded"
SUCCESS: dict[str, Any] = json.loads((RECORDED / "liveavatar_success.json").read_text())
WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str) -> list[dict[str, Any]]:
    return list(json.loads((RECORDED / name).read_text()))


def response_of(entry: dict[str, Any]) -> httpx.Response:
    headers = entry.get("headers") or {}
    if entry.get("body") is None:
        return httpx.Response(entry["status"], text=entry.get("text", ""), headers=headers)
    return httpx.Response(entry["status"], json=entry["body"], headers=headers)


def provider(handler: Handler) -> LiveAvatarProvider:
    p = LiveAvatarProvider("k", base_url="http://service.invalid")
    p._http = httpx.AsyncClient(
        base_url="http://service.invalid", transport=httpx.MockTransport(handler)
    )
    return p


@pytest.mark.parametrize("entry", recorded("liveavatar_errors.json"), ids=lambda e: e["name"])
def test_liveavatar_errors_are_classified_as_documented(entry: dict[str, Any]) -> None:
    error = error_for(response_of(entry), "liveavatar")
    assert error.kind.value == entry["kind"]
    assert error.status == entry["status"]
    if error.kind is ErrorKind.RATE_LIMITED:
        assert error.retry_after_s == 1.0
    assert error.kind.terminal == (entry["kind"] in ("bad_api_key", "refused"))


@pytest.mark.parametrize("entry", recorded("v1_errors.json"), ids=lambda e: e["name"])
def test_v1_errors_are_classified_as_documented(entry: dict[str, Any]) -> None:
    error = error_for(response_of(entry), "v1")
    assert error.kind.value == entry["kind"]
    assert error.code == entry["body"]["code"]  # kept for diagnostics


@pytest.mark.parametrize("start_name", ["start", "start_docs_code"])
async def test_a_session_starts_from_the_documented_bodies(start_name: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        name = "token" if request.url.path.endswith("/token") else start_name
        return response_of(SUCCESS[name])

    p = provider(handle)
    grant = await p.start_session(SessionSettings(avatar_id=WAYNE))
    assert grant.session_id == "5f0c8a62-0c1e-4d6f-9a51-2d6f0e0b7a11"
    assert grant.livekit_url == "wss://live.example"
    await p.aclose()


async def test_active_sessions_are_read_across_pages() -> None:
    asked: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        assert request.url.params["type"] == "active"  # required (§1.2)
        page = request.url.params.get("page", "1")
        return response_of(SUCCESS[f"sessions_active_page{page}"])

    p = provider(handle)
    ids = await p.active_session_ids()
    assert ids == ["0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e", "1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
                   "2e3f4a5b-6c7d-4e8f-9012-b3c4d5e6f708"]  # fmt: skip
    assert len(asked) == 2
    await p.aclose()


async def test_a_new_account_sees_the_public_avatars_that_can_stream() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        public = request.url.path.endswith("/public")
        return response_of(SUCCESS["avatars_public" if public else "avatars_user"])

    p = provider(handle)
    assert await p.list_avatars() == [(WAYNE, "Wayne")]  # INIT and expired ones left out
    await p.aclose()


@pytest.mark.parametrize("name", ["token", "start", "sessions_active_page1", "avatars_public"])
async def test_truncated_bodies_are_a_clear_error(name: str) -> None:
    whole = json.dumps(SUCCESS[name]["body"])

    def handle(request: httpx.Request) -> httpx.Response:
        if name == "start" and request.url.path.endswith("/token"):
            return response_of(SUCCESS["token"])
        return httpx.Response(SUCCESS[name]["status"], text=whole[: len(whole) // 2])

    p = provider(handle)
    with pytest.raises(AvatarServiceError) as caught:
        if name in ("token", "start"):
            await p.start_session(SessionSettings(avatar_id=WAYNE))
        elif name.startswith("sessions"):
            await p.active_session_ids()
        else:
            await p.list_avatars()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and caught.value.kind.terminal
    await p.aclose()


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {"count": "many", "results": "none"}, {"results": [1, None, {"id": None}]}],
)
async def test_malformed_listings_give_nothing_rather_than_a_crash(data: object) -> None:
    p = provider(lambda _r: httpx.Response(200, json={"code": 1000, "data": data}))
    assert await p.list_avatars() == []
    assert await p.active_session_ids() == []
    await p.aclose()


@pytest.mark.parametrize(
    "settings",
    [SessionSettings(avatar_id="demo-avatar"), SessionSettings(avatar_id=""),
     SessionSettings(avatar_id=WAYNE, voice_id="Anna"), SessionSettings(avatar_id=WAYNE,
     context_id="my context")],
)  # fmt: skip
async def test_ids_that_are_not_uuids_are_refused_before_any_call(
    settings: SessionSettings,
) -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return response_of(SUCCESS["token"])

    p = provider(handle)
    with pytest.raises(AvatarServiceError) as caught:
        await p.start_session(settings)
    assert caught.value.kind is ErrorKind.INVALID_SETTINGS and caught.value.kind.terminal
    assert calls == []  # nothing that could be billed
    await p.aclose()

"""Parsing of LiveAvatar answers, valid and malformed, via httpx's MockTransport (pure logic)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.providers.liveavatar import LiveAvatarProvider

Handler = Callable[[httpx.Request], httpx.Response]
AVATAR = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
CONTEXT = "5b9dba8a-aa31-11f0-a1b2-0242ac120002"


def provider(handler: Handler) -> LiveAvatarProvider:
    p = LiveAvatarProvider("k", base_url="http://service.invalid")
    p._http = httpx.AsyncClient(
        base_url="http://service.invalid", transport=httpx.MockTransport(handler)
    )
    return p


def answers(token: httpx.Response, start: httpx.Response) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        return token if request.url.path.endswith("/token") else start

    return handle


TOKEN_OK = httpx.Response(
    200, json={"code": 1000, "data": {"session_id": "s1", "session_token": "t"}}
)


async def test_docs_code_100_and_sdk_code_1000_both_succeed() -> None:
    start = httpx.Response(201, json={"code": 100, "data": {
        "session_id": "s1", "livekit_url": "wss://x", "livekit_client_token": "lk",
        "max_session_duration": 600}})  # fmt: skip
    p = provider(answers(TOKEN_OK, start))
    grant = await p.start_session(SessionSettings(avatar_id=AVATAR))
    assert (grant.session_id, grant.livekit_url, grant.livekit_token) == ("s1", "wss://x", "lk")
    assert grant.avatar_identity == "heygen" and grant.max_duration_s == 600
    assert "lk" not in repr(grant) and "'t'" not in repr(grant)
    await p.aclose()


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (httpx.Response(201, content=b"<html>oops"), ErrorKind.BAD_RESPONSE),
        (httpx.Response(201, json=[1, 2]), ErrorKind.BAD_RESPONSE),
        (
            httpx.Response(201, json={"code": 1000, "data": {"session_id": "s1"}}),
            ErrorKind.BAD_RESPONSE,
        ),
        (httpx.Response(201, json={"code": 1000, "data": None}), ErrorKind.BAD_RESPONSE),
        (httpx.Response(200, json={"code": 4001, "message": "nope"}), ErrorKind.REFUSED),
        (httpx.Response(503, content=b""), ErrorKind.SERVER_ERROR),
    ],
)
async def test_malformed_answers_become_clear_errors(
    start: httpx.Response, kind: ErrorKind
) -> None:
    p = provider(answers(TOKEN_OK, start))
    with pytest.raises(AvatarServiceError) as caught:
        await p.start_session(SessionSettings(avatar_id=AVATAR))
    assert caught.value.kind is kind
    await p.aclose()


async def test_the_request_has_the_documented_shape() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(403, json={"code": 4003, "message": "Not authenticated"})

    p = provider(handle)
    with pytest.raises(AvatarServiceError) as caught:
        await p.start_session(
            SessionSettings(avatar_id=AVATAR, context_id=CONTEXT, push_to_talk=True)
        )
    assert caught.value.kind is ErrorKind.BAD_API_KEY
    body = json.loads(seen[0].content)
    assert seen[0].headers["X-API-KEY"] == "k"
    assert body["mode"] == "FULL" and body["avatar_id"] == AVATAR
    assert body["avatar_persona"]["context_id"] == CONTEXT
    assert body["interactivity_type"] == "PUSH_TO_TALK"
    await p.aclose()

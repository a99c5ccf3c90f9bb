"""The LiveAvatar provider's real httpx client against the rig's real HTTP server."""

from __future__ import annotations

import pytest

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e


async def test_start_keep_alive_list_and_stop(rig: RigHandle) -> None:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    try:
        grant = await provider.start_session(
            SessionSettings(avatar_id=DEMO_AVATAR_EN, quality="low")
        )
        assert grant.livekit_url.startswith("ws://") and grant.livekit_token
        assert rig.session(grant.session_id)["status"] == "active"
        await provider.keep_alive(grant)
        assert await provider.active_session_ids() == [grant.session_id]
        await provider.stop_session(grant)
        assert rig.session(grant.session_id)["status"] == "stopped"
        assert await provider.active_session_ids() == []
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"status": 401}, ErrorKind.BAD_API_KEY),
        ({"error": "avatar_not_found"}, ErrorKind.AVATAR_NOT_FOUND),
        ({"error": "no_credits"}, ErrorKind.NO_CREDITS),
        ({"error": "concurrent_limit"}, ErrorKind.CONCURRENT_LIMIT),
        ({"status": 429}, ErrorKind.RATE_LIMITED),
        ({"status": 500}, ErrorKind.SERVER_ERROR),
    ],
)
async def test_service_errors_are_classified(
    rig: RigHandle,
    fault: dict[str, object],
    kind: ErrorKind,
) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/token", count=1, **fault)
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)
    try:
        with pytest.raises(AvatarServiceError) as caught:
            await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
        assert caught.value.kind is kind
        assert caught.value.kind.terminal == (
            kind not in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER_ERROR)
        )
    finally:
        await provider.aclose()


async def test_wrong_key_slow_service_and_no_service(rig: RigHandle) -> None:
    wrong = LiveAvatarProvider("not-the-key", base_url=rig.base_url)
    with pytest.raises(AvatarServiceError) as caught:
        await wrong.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
    assert caught.value.kind is ErrorKind.BAD_API_KEY
    await wrong.aclose()

    rig.fault(kind="http", endpoint="/v1/sessions/token", delay_s=3, count=1)
    slow = LiveAvatarProvider(rig.api_key, base_url=rig.base_url, timeout_s=1)
    with pytest.raises(AvatarServiceError) as caught:
        await slow.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
    assert caught.value.kind is ErrorKind.TIMEOUT
    await slow.aclose()

    nowhere = LiveAvatarProvider(rig.api_key, base_url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(AvatarServiceError) as caught:
        await nowhere.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN))
    assert caught.value.kind is ErrorKind.NETWORK
    await nowhere.aclose()

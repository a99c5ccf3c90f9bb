"""Tokens the rig hands out: HeyGen-style session JWTs it signs and verifies, and LiveKit access
tokens for its own server (minted with ``livekit-api``, as HeyGen's backend would)."""

from __future__ import annotations

import datetime
import secrets
import time
from typing import Any

import jwt
from livekit import api

_ISSUER = "avatar-desktop-rig"


class SessionTokens:
    """Signs the ``session_token`` JWTs of LiveAvatar and the single-use v1 streaming tokens."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def sign(self, claims: dict[str, Any], ttl_s: int = 3600) -> str:
        now = int(time.time())
        body = {"iss": _ISSUER, "iat": now, "exp": now + ttl_s, "jti": secrets.token_hex(8)}
        body.update(claims)
        return jwt.encode(body, self._secret, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=_ISSUER
            )
        except jwt.PyJWTError:
            return None
        return claims


def livekit_token(
    api_key: str,
    api_secret: str,
    room: str,
    identity: str,
    *,
    name: str = "",
    ttl_s: int = 3600,
    hidden: bool = False,
) -> str:
    grants = api.VideoGrants(
        room_join=True,
        room=room,
        can_publish=True,
        can_subscribe=True,
        can_publish_data=True,
        hidden=hidden,
    )
    return (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name(name or identity)
        .with_grants(grants)
        .with_ttl(datetime.timedelta(seconds=ttl_s))
        .to_jwt()
    )

"""HeyGen Interactive Avatar Streaming API v1 (reportedly sunset 2026-03-31; kept as a second
backend). create_token → new → start → LiveKit → the voice-chat websocket, in the official SDK's
order (contract.md §4.3); text as REST tasks; one token per session. The session asks for the
microphone over LiveKit (``ia_is_livekit_transport``), which is the one path where push-to-talk
works (§4.5)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.events import AvatarEvent
from avatar_desktop.core.provider_port import Publish, SessionGrant, SessionSettings, TextMode

from . import v1_voice_chat
from .http_errors import data_of, transport_error
from .messages import json_object, named_items, v1_event

DEFAULT_BASE_URL = "https://api.heygen.com"
OK_CODES: tuple[object, ...] = (100, 1000, "SUCCESS")  # "SUCCESS" seen too (§4.1)
_QUALITY = {"very_high": "high", "high": "high", "medium": "medium", "low": "low"}


class HeygenStreamingProvider:
    name = "heygen_streaming"

    def __init__(
        self, api_key: str, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 15.0
    ) -> None:
        self._key = api_key
        self._base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._push_to_talk: dict[str, bool] = {}  # per session, as its voice chat asks

    async def _call(
        self, method: str, path: str, headers: dict[str, str], json_body: Any = None
    ) -> Any:
        try:
            response = await self._http.request(method, path, headers=headers, json=json_body)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        return data_of(response, OK_CODES, "v1")

    def _key_header(self) -> dict[str, str]:
        return {"x-api-key": self._key}

    @staticmethod
    def _bearer(grant: SessionGrant) -> dict[str, str]:
        return {"Authorization": f"Bearer {grant.credential}"}

    async def start_session(self, settings: SessionSettings) -> SessionGrant:
        token_data = await self._call("POST", "/v1/streaming.create_token", self._key_header())
        token = token_data.get("token") if isinstance(token_data, dict) else None
        if not isinstance(token, str):
            raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "no streaming token")
        bearer = {"Authorization": f"Bearer {token}"}
        # The fields and names the official SDK sends (contract.md §4.2): ``avatar_name``, not
        # the documented ``avatar_id``; H264; the microphone over LiveKit.
        body: dict[str, Any] = {
            "avatar_name": settings.avatar_id,
            "quality": _QUALITY.get(settings.quality, "high"),
            "voice": {"voice_id": settings.voice_id} if settings.voice_id else {},
            "language": settings.language,
            "version": "v2",
            "video_encoding": "H264",
            "ia_is_livekit_transport": True,
        }
        new = await self._call("POST", "/v1/streaming.new", bearer, body)
        try:
            grant = SessionGrant(
                session_id=str(new["session_id"]),
                livekit_url=str(new["url"]),
                livekit_token=str(new["access_token"]),
                avatar_identity=None,
                max_duration_s=float(new["session_duration_limit"])
                if new.get("session_duration_limit")
                else None,
                credential=token,
            )
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "no LiveKit URL or token") from exc
        try:
            await self._call(
                "POST", "/v1/streaming.start", bearer, {"session_id": grant.session_id}
            )
        except AvatarServiceError:
            with contextlib.suppress(AvatarServiceError):
                await self.stop_session(grant)
            raise
        self._push_to_talk[grant.session_id] = settings.push_to_talk
        return grant

    async def listen(self, grant: SessionGrant, deliver: Callable[[AvatarEvent], None]) -> None:
        """The user's speech events, from the voice-chat websocket the SDK opens (§4.4)."""
        url = v1_voice_chat.voice_chat_url(
            self._base_url,
            grant.session_id,
            grant.credential,
            self._push_to_talk.get(grant.session_id, False),
        )
        await v1_voice_chat.listen(url, deliver)

    async def keep_alive(self, grant: SessionGrant) -> None:
        await self._call(
            "POST",
            "/v1/streaming.keep_alive",
            self._bearer(grant),
            {"session_id": grant.session_id},
        )

    async def stop_session(self, grant: SessionGrant) -> None:
        self._push_to_talk.pop(grant.session_id, None)
        await self._call(
            "POST", "/v1/streaming.stop", self._bearer(grant), {"session_id": grant.session_id}
        )

    async def stop_session_by_id(self, session_id: str) -> None:
        await self._call(
            "POST", "/v1/streaming.stop", self._key_header(), {"session_id": session_id}
        )

    async def active_session_ids(self) -> list[str]:
        data = await self._call("GET", "/v1/streaming.list", self._key_header())
        sessions = data.get("sessions", []) if isinstance(data, dict) else []
        return [str(s["session_id"]) for s in sessions if isinstance(s, dict) and "session_id" in s]

    async def list_avatars(self) -> list[tuple[str, str]]:
        data = await self._call("GET", "/v1/streaming/avatar.list", self._key_header())
        return named_items(data, "avatar_id", "pose_name")

    async def list_voices(self) -> list[tuple[str, str]]:
        return []  # v1 has no voice listing; a voice id can still be typed

    async def list_contexts(self) -> list[tuple[str, str]]:
        return []  # v1 takes a knowledge base, not LiveAvatar's contexts

    async def end_reason(self, session_id: str) -> str | None:
        return None  # v1 does not say why a session ended

    async def send_text(
        self, grant: SessionGrant, text: str, mode: TextMode, publish: Publish
    ) -> None:
        body = {
            "session_id": grant.session_id,
            "text": text,
            "task_type": mode,
            "task_mode": "async",
        }
        await self._call("POST", "/v1/streaming.task", self._bearer(grant), body)

    async def interrupt(self, grant: SessionGrant, publish: Publish) -> None:
        await self._call(
            "POST", "/v1/streaming.interrupt", self._bearer(grant), {"session_id": grant.session_id}
        )

    async def push_to_talk(self, grant: SessionGrant, active: bool, publish: Publish) -> None:
        await publish(
            json.dumps("push_to_talk:start" if active else "push_to_talk:stop").encode(), ""
        )

    def parse_event(self, data: bytes, topic: str) -> AvatarEvent | None:
        message = json_object(data)
        return v1_event(message) if message is not None else None

    async def aclose(self) -> None:
        await self._http.aclose()

"""LiveAvatar (HeyGen's current real-time avatar API), FULL mode.

token (X-API-KEY) → start (Bearer session token) → LiveKit; keep-alive and stop with the same
Bearer token. Success is the HTTP status; the envelope's ``code`` is 1000 in the SDK and 100 in
the docs, so both count.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import httpx

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.events import AvatarEvent
from avatar_desktop.core.provider_port import Publish, SessionGrant, SessionSettings, TextMode

from .http_errors import data_of, transport_error
from .messages import json_object, liveavatar_event, named_items

DEFAULT_BASE_URL = "https://api.liveavatar.com"
COMMANDS_TOPIC = "agent-control"
EVENTS_TOPIC = "agent-response"
OK_CODES = (100, 1000)
AVATAR_IDENTITY = "heygen"


class LiveAvatarProvider:
    name = "liveavatar"

    def __init__(
        self, api_key: str, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 15.0
    ) -> None:
        self._key = api_key
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def _post(self, path: str, headers: dict[str, str], json: Any = None) -> Any:
        try:
            response = await self._http.post(path, headers=headers, json=json)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        return data_of(response, OK_CODES)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            response = await self._http.get(path, headers=self._key_header(), params=params)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        return data_of(response, OK_CODES)

    def _key_header(self) -> dict[str, str]:
        return {"X-API-KEY": self._key}

    @staticmethod
    def _bearer(grant: SessionGrant) -> dict[str, str]:
        return {"Authorization": f"Bearer {grant.credential}"}

    async def start_session(self, settings: SessionSettings) -> SessionGrant:
        persona: dict[str, Any] = {"language": settings.language}
        if settings.voice_id:
            persona["voice_id"] = settings.voice_id
        if settings.context_id:
            persona["context_id"] = settings.context_id
        body = {
            "mode": "FULL",
            "avatar_id": settings.avatar_id,
            "avatar_persona": persona,
            "is_sandbox": settings.sandbox,
            "video_settings": {"quality": settings.quality, "encoding": "VP8"},
            "interactivity_type": "PUSH_TO_TALK" if settings.push_to_talk else "CONVERSATIONAL",
        }
        token_data = await self._post("/v1/sessions/token", self._key_header(), body)
        try:
            token = str(token_data["session_token"])
            session_id = str(token_data["session_id"])
        except (TypeError, KeyError) as exc:
            raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "no session token") from exc
        bearer = {"Authorization": f"Bearer {token}"}
        try:
            started = await self._post("/v1/sessions/start", bearer)
        except AvatarServiceError:
            # The session exists on the server: close it, or it counts against the limit.
            with contextlib.suppress(AvatarServiceError):
                await self._post("/v1/sessions/stop", bearer, {"session_id": session_id})
            raise
        try:
            return SessionGrant(
                session_id=str(started.get("session_id") or session_id),
                livekit_url=str(started["livekit_url"]),
                livekit_token=str(started["livekit_client_token"]),
                avatar_identity=AVATAR_IDENTITY,
                max_duration_s=_float_or_none(started.get("max_session_duration")),
                credential=token,
            )
        except (TypeError, KeyError, AttributeError) as exc:
            raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "no LiveKit URL or token") from exc

    async def keep_alive(self, grant: SessionGrant) -> None:
        await self._post(
            "/v1/sessions/keep-alive", self._bearer(grant), {"session_id": grant.session_id}
        )

    async def stop_session(self, grant: SessionGrant) -> None:
        await self._post("/v1/sessions/stop", self._bearer(grant), {"session_id": grant.session_id})

    async def active_session_ids(self) -> list[str]:
        data = await self._get("/v1/sessions", {"type": "active"})
        sessions = data.get("sessions", []) if isinstance(data, dict) else []
        return [str(s["session_id"]) for s in sessions if isinstance(s, dict) and "session_id" in s]

    async def list_avatars(self) -> list[tuple[str, str]]:
        return named_items(await self._get("/v1/avatars"), "id", "name")

    async def list_voices(self) -> list[tuple[str, str]]:
        return named_items(await self._get("/v1/voices"), "id", "name")

    async def stop_session_by_id(self, session_id: str) -> None:
        """Stops a stale session we no longer hold a token for (X-API-KEY + body)."""
        await self._post("/v1/sessions/stop", self._key_header(), {"session_id": session_id})

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- commands over the LiveKit data channel ------------------------------------------------
    @staticmethod
    def _command(grant: SessionGrant, event_type: str, **fields: Any) -> bytes:
        body = {
            "event_type": event_type,
            "event_id": str(uuid.uuid4()),
            "session_id": grant.session_id,
        }
        body.update(fields)
        return json.dumps(body).encode()

    async def send_text(
        self, grant: SessionGrant, text: str, mode: TextMode, publish: Publish
    ) -> None:
        kind = "avatar.speak_text" if mode == "repeat" else "avatar.speak_response"
        await publish(self._command(grant, kind, text=text), COMMANDS_TOPIC)

    async def interrupt(self, grant: SessionGrant, publish: Publish) -> None:
        await publish(self._command(grant, "avatar.interrupt"), COMMANDS_TOPIC)

    async def push_to_talk(self, grant: SessionGrant, active: bool, publish: Publish) -> None:
        kind = "user.start_push_to_talk" if active else "user.stop_push_to_talk"
        await publish(self._command(grant, kind), COMMANDS_TOPIC)

    def parse_event(self, data: bytes, topic: str) -> AvatarEvent | None:
        if topic != EVENTS_TOPIC:
            return None
        message = json_object(data)
        return liveavatar_event(message) if message is not None else None


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

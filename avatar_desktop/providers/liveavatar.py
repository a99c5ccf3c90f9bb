"""LiveAvatar (HeyGen's current real-time avatar API), FULL mode.

token (X-API-KEY) → start (Bearer session token) → LiveKit; keep-alive and stop with the same
Bearer token. Success is the HTTP status; the envelope's ``code`` is 1000 in the SDK and 100 in
the docs, so both count (contract.md §1.1). Lists are paginated ``{count, results, next}``; ids
in request bodies are UUIDs, checked before any call that could bill the user.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
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
PAGE_SIZE = 100  # the largest page the API serves (§1.1)
MAX_PAGES = 20  # a listing longer than 2 000 items is cut, never an endless loop


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
        return data_of(response, OK_CODES, "liveavatar")

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            response = await self._http.get(path, headers=self._key_header(), params=params)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        return data_of(response, OK_CODES, "liveavatar")

    async def _get_all(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """Every item of a paginated listing (``data = {count, results, next, previous}``)."""
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            query = {**(params or {}), "page": str(page), "page_size": str(PAGE_SIZE)}
            results, count, more = _page(await self._get(path, query))
            items += results
            if not results or not more or (count is not None and len(items) >= count):
                break
        return items

    def _key_header(self) -> dict[str, str]:
        return {"X-API-KEY": self._key}

    @staticmethod
    def _bearer(grant: SessionGrant) -> dict[str, str]:
        return {"Authorization": f"Bearer {grant.credential}"}

    async def start_session(self, settings: SessionSettings) -> SessionGrant:
        _require_uuids(settings)  # before the token: a refused id must cost nothing
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
            "video_settings": {"quality": settings.quality, "encoding": "H264"},  # the default
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

    async def listen(self, grant: SessionGrant, deliver: Callable[[AvatarEvent], None]) -> None:
        """Every LiveAvatar event travels in the room: nothing to listen to outside it."""

    async def keep_alive(self, grant: SessionGrant) -> None:
        await self._post(
            "/v1/sessions/keep-alive", self._bearer(grant), {"session_id": grant.session_id}
        )

    async def stop_session(self, grant: SessionGrant) -> None:
        await self._post("/v1/sessions/stop", self._bearer(grant), {"session_id": grant.session_id})

    async def active_session_ids(self) -> list[str]:
        sessions = await self._get_all("/v1/sessions", {"type": "active"})
        return [str(s["id"]) for s in sessions if isinstance(s, dict) and s.get("id")]

    async def list_avatars(self) -> list[tuple[str, str]]:
        """The account's own avatars first, then the public ones; only those ready to stream."""
        own = await self._get_all("/v1/avatars")
        public = await self._get_all("/v1/avatars/public")
        seen: set[str] = set()
        found = []
        for avatar_id, name in _ready_avatars([*own, *public]):
            if avatar_id not in seen:
                seen.add(avatar_id)
                found.append((avatar_id, name))
        return found

    async def list_voices(self) -> list[tuple[str, str]]:
        return named_items(await self._get_all("/v1/voices"), "id", "name")

    async def list_contexts(self) -> list[tuple[str, str]]:
        return named_items(await self._get_all("/v1/contexts"), "id", "name")

    async def end_reason(self, session_id: str) -> str | None:
        """HistoricEntry.end_reason of ``GET /v1/sessions/{id}`` (contract.md §1.2)."""
        entry = await self._get(f"/v1/sessions/{session_id}")
        reason = entry.get("end_reason") if isinstance(entry, dict) else None
        return reason if isinstance(reason, str) and reason else None

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


def _page(data: Any) -> tuple[list[Any], int | None, bool]:
    """(results, count, whether another page follows) of one page; a bare list is one page."""
    if isinstance(data, list):
        return data, len(data), False
    if not isinstance(data, dict):
        return [], None, False
    results = data.get("results")
    count = data.get("count")
    return (
        results if isinstance(results, list) else [],
        count if isinstance(count, int) and not isinstance(count, bool) else None,
        bool(data.get("next")),
    )


def _ready_avatars(items: list[Any]) -> Iterator[tuple[str, str]]:
    """Avatars that can stream: status ACTIVE (the schema's default is INIT) and not expired."""
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        if item.get("status", "ACTIVE") != "ACTIVE" or item.get("is_expired") is True:
            continue
        yield str(item["id"]), str(item.get("name") or item["id"])


def _require_uuids(settings: SessionSettings) -> None:
    """LiveAvatar validates these as UUIDs (contract.md §1.3); anything else would be refused
    after the token call, so it is refused here, in words."""
    for what, value in (("avatar", settings.avatar_id), ("voice", settings.voice_id),
                        ("context", settings.context_id)):  # fmt: skip
        if not value:
            if what == "avatar":
                raise AvatarServiceError(ErrorKind.INVALID_SETTINGS, "no avatar chosen")
            continue
        try:
            uuid.UUID(value)
        except ValueError:
            raise AvatarServiceError(
                ErrorKind.INVALID_SETTINGS, f"the {what} id {value!r} is not a LiveAvatar id"
            ) from None

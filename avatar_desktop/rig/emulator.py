"""HTTP emulator of HeyGen's LiveAvatar API and Interactive Avatar Streaming API v1, plus the
rig's own control endpoints (``/rig/state``, ``/rig/faults``).

Shapes follow reference/heygen.md: LiveAvatar answers ``{code: 1000, data, message}``, v1
``{code: 100, data, message}``; errors carry HeyGen's codes and texts. CORS is answered as the
real API does for browser SDKs (origin echoed, credentials allowed).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import Fault, FaultError
from .rate_limits import RateLimiter
from .rig import Rig
from .sessions import (
    AVATAR_IDS,
    CONTEXTS,
    PUBLIC_AVATARS,
    SANDBOX_AVATAR_ID,
    USER_AVATARS,
    V1_AVATAR_IDS,
    V1_AVATARS,
    VOICES,
    Session,
)
from .v1_voice_chat import serve as v1_voice_chat_socket

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RIG_KEY: web.AppKey[Rig] = web.AppKey("rig", Rig)

LIVEAVATAR_OK, V1_OK = 1000, 100

# HeyGen's error answers (status, code, message), per product. LiveAvatar's codes are 4-digit
# (contract.md §1.1: 403/4003 "Not authenticated" and 422/4000 validation were seen); where no
# source gives an answer the row says "inferred" and the client must not depend on its text.
LIVEAVATAR_ERRORS: dict[str, tuple[int, int, str]] = {
    "unauthorized": (403, 4003, "Not authenticated"),
    "validation": (422, 4000, "Request validation errors."),
    "avatar_not_found": (404, 4004, "Avatar not found"),  # inferred
    "no_credits": (
        402,
        4002,
        "Not enough credits: a session needs at least one minute",
    ),  # inferred
    "concurrent_limit": (400, 4009, "Concurrent session limit reached"),  # inferred
    "session_not_found": (404, 4004, "Session not found"),  # inferred
    "session_state": (400, 4000, "Session is not in a state that allows this"),  # inferred
    "bad_request": (400, 4000, "Invalid request"),
    "rate_limited": (429, 4029, "Too many requests"),  # status and headers from §1.1
    "server_error": (500, 5000, "Internal server error"),
}
V1_ERRORS: dict[str, tuple[int, int, str]] = {
    "unauthorized": (401, 400112, "Unauthorized"),  # §4.7
    "validation": (400, 400175, "INVALID_PARAMETER"),  # HG reference/errors, §4.7
    "avatar_not_found": (400, 10013, "avatar not found"),  # §4.7
    "no_credits": (
        402,
        10014,
        "Insufficient credits: your account has no credits left",
    ),  # inferred
    "concurrent_limit": (
        400,
        10007,  # the code is inferred; the text is the one users report (§4.7)
        "Concurrent limit reached, please make sure you have closed other testing sessions",
    ),
    "session_not_found": (404, 10005, "session state wrong: closed"),  # §4.7
    "session_state": (400, 10005, "session state wrong: closed"),  # §4.7
    "bad_request": (400, 400, "Invalid request"),
    "rate_limited": (429, 429, "Too many requests"),
    "server_error": (500, 500, "Internal server error"),
}
ERRORS = LIVEAVATAR_ERRORS  # the names faults may ask for (both tables share them)


def _is_v1(request: web.Request) -> bool:
    return request.path.startswith(("/v1/streaming", "/v1/ws/"))


def ok(request: web.Request, data: Any, status: int = 200) -> web.Response:
    code = V1_OK if _is_v1(request) else LIVEAVATAR_OK
    return web.json_response({"code": code, "data": data, "message": "success"}, status=status)


def fail(
    name: str, message: str | None = None, *, v1: bool = False, retry_after: str = "1"
) -> web.HTTPException:
    status, code, text = (V1_ERRORS if v1 else LIVEAVATAR_ERRORS)[name]
    body = json.dumps({"code": code, "data": None, "message": message or text})
    exc_type: type[web.HTTPException] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        402: web.HTTPPaymentRequired,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        422: web.HTTPUnprocessableEntity,
        429: web.HTTPTooManyRequests,
        500: web.HTTPInternalServerError,
    }[status]
    headers = {"Retry-After": retry_after, "X-RateLimit-Reset": retry_after}
    return exc_type(
        text=body, content_type="application/json", headers=headers if status == 429 else None
    )


def failure(request: web.Request, name: str, message: str | None = None) -> web.HTTPException:
    """The error as the product at this path answers it."""
    return fail(name, message, v1=_is_v1(request))


def invalid(request: web.Request, where: str, what: str) -> web.HTTPException:
    """A validation error as LiveAvatar words it (contract.md §1.1, the real 422 seen)."""
    return failure(request, "validation", f"Request validation errors. {where}: {what}")


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


# -- middlewares -------------------------------------------------------------------------------
@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        response: web.StreamResponse = web.Response(status=204)
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "authorization, content-type, x-api-key"
            )
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def rate_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """LiveAvatar's per-caller, per-endpoint one-second windows (rate_limits.py)."""
    limiter = request.app[RIG_KEY].rate_limiter
    if limiter is None or _is_v1(request) or not request.path.startswith("/v1/"):
        return await handler(request)
    resource = request.match_info.route.resource
    endpoint = f"{request.method} {resource.canonical if resource else request.path}"
    caller = request.headers.get("X-API-KEY") or _bearer(request) or request.remote or "?"
    allowed, left = limiter.check(caller, endpoint)
    reset = RateLimiter.header_seconds(left)
    if not allowed:
        raise fail("rate_limited", retry_after=reset)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-RateLimit-Reset"] = reset
        raise
    response.headers["X-RateLimit-Reset"] = reset
    return response


@web.middleware
async def http_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Standing ``http`` faults: a status, a HeyGen error, or a delay, per endpoint."""
    if request.path.startswith("/rig/") or request.method == "OPTIONS":
        return await handler(request)
    fault = request.app[RIG_KEY].faults.take("http", endpoint=request.path)
    if fault is not None:
        delay = float(fault.params.get("delay_s", 0) or 0)
        if delay:
            await asyncio.sleep(delay)
        error = fault.params.get("error")
        status = fault.params.get("status")
        if isinstance(error, str) and error in ERRORS:
            raise failure(request, error)
        if status is not None:
            names = {401: "unauthorized", 403: "unauthorized", 429: "rate_limited"}
            raise failure(request, names.get(int(status), "server_error"))
    return await handler(request)


# -- helpers ------------------------------------------------------------------------------------
async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise failure(request, "bad_request", "Request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise failure(request, "bad_request", "Request body must be a JSON object")
    return body


def _api_key_ok(request: web.Request) -> bool:
    return secrets.compare_digest(
        request.headers.get("X-API-KEY", ""), request.app[RIG_KEY].options.api_key
    )


def _require_key(request: web.Request) -> None:
    if not _api_key_ok(request):
        raise failure(request, "unauthorized")


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


def _check_capacity(request: web.Request, rig: Rig) -> None:
    if len(rig.sessions.open_sessions()) >= rig.options.concurrent_limit:
        raise failure(request, "concurrent_limit")


# -- LiveAvatar ---------------------------------------------------------------------------------
def _validate_token_request(request: web.Request, body: dict[str, Any]) -> None:
    """The token body as LiveAvatar's schema has it (contract.md §1.3): FULL or LITE by
    ``mode``, UUID ids, enums; a sandbox session only with the sandbox avatar (§3)."""
    mode = body.get("mode")
    if mode not in ("FULL", "LITE"):
        raise invalid(request, "body", "Unable to extract tag using discriminator 'mode'")
    if not _is_uuid(body.get("avatar_id")):
        raise invalid(request, f"body.{mode}.avatar_id", "Input should be a valid UUID")
    persona = body.get("avatar_persona")
    if mode == "FULL":
        if not isinstance(persona, dict):
            raise invalid(request, "body.FULL.avatar_persona", "Field required")
        for field_name in ("voice_id", "context_id"):
            value = persona.get(field_name)
            if value not in (None, "") and not _is_uuid(value):
                where = f"body.FULL.avatar_persona.{field_name}"
                raise invalid(request, where, "Input should be a valid UUID")
    video = body.get("video_settings")
    if video is not None:
        if not isinstance(video, dict):
            raise invalid(request, f"body.{mode}.video_settings", "Input should be an object")
        if video.get("quality", "high") not in ("very_high", "high", "medium", "low"):
            raise invalid(request, f"body.{mode}.video_settings.quality", "Invalid enum value")
        if video.get("encoding", "H264") not in ("VP8", "H264"):
            raise invalid(request, f"body.{mode}.video_settings.encoding", "Invalid enum value")
    if body.get("interactivity_type", "CONVERSATIONAL") not in ("CONVERSATIONAL", "PUSH_TO_TALK"):
        raise invalid(request, f"body.{mode}.interactivity_type", "Invalid enum value")
    if body.get("is_sandbox") is True and body.get("avatar_id") != SANDBOX_AVATAR_ID:
        # The answer is SILENT in every source; only Wayne streams in sandbox mode (§3).
        raise failure(request, "bad_request", "Sandbox sessions only support the sandbox avatar")


async def la_token(request: web.Request) -> web.Response:
    _require_key(request)
    rig = request.app[RIG_KEY]
    body = await _json_body(request)
    _validate_token_request(request, body)
    if body.get("avatar_id") not in AVATAR_IDS:
        raise failure(request, "avatar_not_found")
    if body.get("is_sandbox") is not True and rig.credits_left() < 2.0:
        raise failure(request, "no_credits")  # a start needs a minute of credits (§3)
    _check_capacity(request, rig)
    session = rig.create_session("liveavatar", body)
    mode = str(body.get("mode", "FULL"))
    token = rig.tokens.sign(
        {"session_id": session.session_id, "start_session_data": {"mode": mode}}
    )
    return ok(request, {"session_id": session.session_id, "session_token": token})


async def _la_session(request: web.Request) -> Session:
    """The session named by the Bearer session token (HeyGen's SDK), or by X-API-KEY + body."""
    rig = request.app[RIG_KEY]
    token = _bearer(request)
    session_id: Any = None
    if token is not None:
        claims = rig.tokens.verify(token)
        if claims is None:
            raise failure(request, "unauthorized")
        session_id = claims.get("session_id")
    elif _api_key_ok(request):
        session_id = (await _json_body(request)).get("session_id")
    else:
        raise failure(request, "unauthorized")
    session = rig.sessions.get(str(session_id))
    if session is None or session.flavor != "liveavatar":
        raise failure(request, "session_not_found")
    return session


async def la_start(request: web.Request) -> web.Response:
    rig = request.app[RIG_KEY]
    session = await _la_session(request)
    if session.status != "created":
        raise failure(request, "session_state", f"Session is {session.status}")
    await rig.open_room(session)
    await rig.start_session(session)
    return ok(
        request,
        {
            "session_id": session.session_id,
            "livekit_url": rig.server.ws_url,
            "livekit_client_token": session.client_token,
            "livekit_agent_token": session.agent_token,
            "max_session_duration": int(rig.options.max_session_duration_s),
            "ws_url": None,
        },
        status=201,
    )


async def la_keep_alive(request: web.Request) -> web.Response:
    session = await _la_session(request)
    if not session.open:
        raise failure(request, "session_state", f"Session is {session.status}")
    session.touch()
    return ok(request, {"session_id": session.session_id})


async def la_stop(request: web.Request) -> web.Response:
    session = await _la_session(request)
    reason = "USER_CLOSED"
    await request.app[RIG_KEY].stop_session(session, reason)
    return ok(request, {"session_id": session.session_id, "stop_reason": session.stop_reason})


def paginated(request: web.Request, items: list[Any]) -> web.Response:
    """``data = {count, results, next, previous}`` with ``page`` (≥1) and ``page_size``
    (1-100, default 20) as LiveAvatar's schema has them (contract.md §1.1); ``next`` and
    ``previous`` are the URLs of the neighbouring pages or null (their format is SILENT)."""
    try:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("page_size", "20"))
    except ValueError:
        raise invalid(request, "query.page", "Input should be a valid integer") from None
    if page < 1 or not 1 <= size <= 100:
        raise invalid(request, "query.page_size", "Input should be between 1 and 100")
    start = (page - 1) * size

    def link(number: int) -> str:
        return str(request.url.update_query(page=str(number), page_size=str(size)))

    return ok(
        request,
        {
            "count": len(items),
            "results": items[start : start + size],
            "next": link(page + 1) if start + size < len(items) else None,
            "previous": link(page - 1) if page > 1 else None,
        },
    )


def _session_entry(rig: Rig, session: Session) -> dict[str, Any]:
    """SessionEntry, or HistoricEntry for a session that ended (contract.md §1.2)."""
    started = session.started_at or session.created_at
    ended = session.ended_at
    entry: dict[str, Any] = {
        "id": session.session_id,
        "created_at": _iso(session.created_at),
        "updated_at": _iso(ended or started),
        "duration": int((ended or time.time()) - started) if session.started_at else 0,
        "source": "API",
        "mode": str(session.request.get("mode", "FULL")),
        "is_sandbox": session.sandbox,
        "credits_consumed": round(rig.credits_consumed(session), 3),
    }
    if not session.open:
        entry["end_at"] = _iso(ended or time.time())
        entry["end_reason"] = session.stop_reason
    return entry


def _iso(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat().replace("+00:00", "Z")


async def la_list_sessions(request: web.Request) -> web.Response:
    _require_key(request)
    kind = request.query.get("type")
    if kind not in ("active", "historic"):
        raise invalid(request, "query.type", "Input should be 'active' or 'historic'")
    rig = request.app[RIG_KEY]
    chosen = [
        _session_entry(rig, s)
        for s in rig.sessions.all()
        if s.flavor == "liveavatar" and (s.open if kind == "active" else not s.open)
    ]
    return paginated(request, chosen)


async def la_get_session(request: web.Request) -> web.Response:
    _require_key(request)
    rig = request.app[RIG_KEY]
    session = rig.sessions.get(request.match_info["session_id"])
    if session is None or session.flavor != "liveavatar":
        return ok(request, None)
    return ok(request, _session_entry(rig, session))


async def la_transcript(request: web.Request) -> web.Response:
    """What was said in a session (contract.md §1.2); timestamps in whole seconds (the unit is
    SILENT), ``start_timestamp``/``end_timestamp`` bound the absolute ones."""
    _require_key(request)
    session = request.app[RIG_KEY].sessions.get(request.match_info["session_id"])
    if session is None or session.flavor != "liveavatar":
        raise failure(request, "session_not_found")
    bounds = []
    for name in ("start_timestamp", "end_timestamp"):
        raw = request.query.get(name)
        try:
            bounds.append(int(raw) if raw is not None else None)
        except ValueError:
            raise invalid(request, f"query.{name}", "Input should be a valid integer") from None
    low, high = bounds
    lines = [
        line for line in session.transcript
        if (low is None or line["absolute_timestamp"] >= low)
        and (high is None or line["absolute_timestamp"] <= high)
    ]  # fmt: skip
    data: dict[str, Any] = {"session_active": session.open, "transcript_data": lines}
    if lines:
        data["next_timestamp"] = lines[-1]["absolute_timestamp"] + 1
    return ok(request, data)


async def la_avatars(request: web.Request) -> web.Response:
    _require_key(request)
    return paginated(request, USER_AVATARS)


async def la_public_avatars(request: web.Request) -> web.Response:
    return paginated(request, PUBLIC_AVATARS)  # declares no auth (§1.4)


async def la_voices(request: web.Request) -> web.Response:
    _require_key(request)
    voice_type = request.query.get("voice_type", "public")
    if voice_type not in ("public", "private"):
        raise invalid(request, "query.voice_type", "Input should be 'public' or 'private'")
    return paginated(request, VOICES if voice_type == "public" else [])


async def la_contexts(request: web.Request) -> web.Response:
    _require_key(request)
    return paginated(request, CONTEXTS)


async def la_credits(request: web.Request) -> web.Response:
    _require_key(request)
    return ok(request, {"credits_left": f"{request.app[RIG_KEY].credits_left():g}"})


# -- Interactive Avatar Streaming API v1 ---------------------------------------------------------
async def v1_create_token(request: web.Request) -> web.Response:
    _require_key(request)
    token = request.app[RIG_KEY].tokens.sign({"streaming_token": True})
    return ok(request, {"token": token})


def _v1_auth(request: web.Request) -> dict[str, Any] | None:
    """x-api-key (server-side integrations) or a Bearer token from create_token (the SDK)."""
    if _api_key_ok(request):
        return None
    token = _bearer(request)
    claims = request.app[RIG_KEY].tokens.verify(token) if token else None
    if not claims or not claims.get("streaming_token"):
        raise failure(request, "unauthorized")
    return claims


def _validate_v1_new(request: web.Request, body: dict[str, Any]) -> None:
    """``streaming.new`` as documented (contract.md §4.2); the official SDK's extra fields
    (``avatar_name``, ``source``, ``ia_is_livekit_transport``, ``silence_response``) pass."""

    def bad(field_name: str, why: str) -> web.HTTPException:
        return failure(request, "validation", f"{field_name}: {why}")

    if body.get("quality", "high") not in ("high", "medium", "low"):
        raise bad("quality", "must be high, medium or low")
    if body.get("video_encoding", "VP8") not in ("H264", "VP8"):
        raise bad("video_encoding", "must be H264 or VP8")
    if body.get("version") not in (None, "v2"):
        raise bad("version", "only v2 is supported")
    idle = body.get("activity_idle_timeout")
    if idle is not None and (not isinstance(idle, int) or not 30 <= idle <= 3600):
        raise bad("activity_idle_timeout", "an integer from 30 to 3600 seconds")
    voice = body.get("voice")
    if voice is not None and not isinstance(voice, dict):
        raise bad("voice", "must be an object")
    for flag in ("ia_is_livekit_transport", "silence_response", "disable_idle_timeout"):
        if body.get(flag) is not None and not isinstance(body.get(flag), bool):
            raise bad(flag, "must be a boolean")


async def v1_new(request: web.Request) -> web.Response:
    rig = request.app[RIG_KEY]
    claims = _v1_auth(request)
    jti = str(claims.get("jti")) if claims is not None else None
    if jti is not None:
        if jti in rig.used_v1_tokens:
            raise failure(request, "unauthorized")  # single use, as HeyGen does
        rig.used_v1_tokens.add(jti)
    body = await _json_body(request)
    _validate_v1_new(request, body)
    # The official SDK sends avatar_name, the docs avatar_id (contract.md §4.2, §5.12).
    avatar = body.get("avatar_name") or body.get("avatar_id") or V1_AVATARS[0]["id"]
    if avatar not in V1_AVATAR_IDS:
        raise failure(request, "avatar_not_found")
    _check_capacity(request, rig)
    session = rig.create_session("v1", body)
    session.token_id = jti
    await rig.open_room(session)  # the avatar is sent in on streaming.start (§4.3)
    return ok(
        request,
        {
            "session_id": session.session_id,
            "url": rig.server.ws_url,
            "access_token": session.client_token,
            "session_duration_limit": int(rig.options.max_session_duration_s),
            "is_paid": False,
            "realtime_endpoint": None,
            "sdp": None,
            "ice_servers": None,
            "ice_servers2": None,
        },
    )


async def _v1_session(request: web.Request) -> tuple[Session, dict[str, Any]]:
    _v1_auth(request)
    body = await _json_body(request)
    session = request.app[RIG_KEY].sessions.get(str(body.get("session_id")))
    if session is None or session.flavor != "v1":
        raise failure(request, "session_not_found")
    return session, body


async def v1_start(request: web.Request) -> web.Response:
    session, _ = await _v1_session(request)
    if session.status != "created":
        raise failure(request, "session_state", f"Session is {session.status}")
    await request.app[RIG_KEY].start_session(session)
    return ok(request, None)


async def v1_task(request: web.Request) -> web.Response:
    session, body = await _v1_session(request)
    text = body.get("text")
    if session.status != "active" or session.avatar is None:
        raise failure(request, "session_state", "Session is not started")
    if not isinstance(text, str) or not text.strip():
        raise failure(request, "bad_request", "text is required")
    task_type = body.get("task_type", "talk")
    task_id = secrets.token_hex(8)
    session.touch()
    reply = await session.avatar.command(
        "speak", text=text, mode="repeat" if task_type == "repeat" else "talk", task_id=task_id
    )
    return ok(request, {"task_id": task_id, "duration_ms": reply.get("duration_ms", 0)})


async def v1_simple(request: web.Request) -> web.Response:
    session, _ = await _v1_session(request)
    rig = request.app[RIG_KEY]
    action = request.path.rsplit(".", 1)[-1]
    if action == "stop":
        await rig.stop_session(session, "USER_CLOSED")
        return ok(request, None)
    if not session.open:
        raise failure(request, "session_state", f"Session is {session.status}")
    session.touch()
    if session.avatar is not None and action in ("interrupt", "start_listening", "stop_listening"):
        if action == "interrupt":
            await session.avatar.command("interrupt")
        else:
            await session.avatar.command("listening", on=action == "start_listening")
    return ok(request, None)


async def v1_voice_chat(request: web.Request) -> web.StreamResponse:
    """The voice-chat websocket; its token is the create_token token of the session (§4.4)."""
    rig = request.app[RIG_KEY]
    claims = rig.tokens.verify(request.query.get("session_token", ""))
    session = rig.sessions.get(request.query.get("session_id", ""))
    if not claims or not claims.get("streaming_token"):
        raise failure(request, "unauthorized")
    if session is None or session.flavor != "v1" or not session.open:
        raise failure(request, "session_not_found")
    if session.token_id is not None and session.token_id != str(claims.get("jti")):
        raise failure(request, "unauthorized")
    return await v1_voice_chat_socket(request, session)


async def v1_list(request: web.Request) -> web.Response:
    _v1_auth(request)
    rig = request.app[RIG_KEY]
    sessions = [
        {"session_id": s.session_id, "status": "connected" if s.status == "active" else "new",
         "created_at": s.created_at}
        for s in rig.sessions.open_sessions()
        if s.flavor == "v1"
    ]  # fmt: skip
    return ok(request, {"sessions": sessions})


async def v1_avatar_list(request: web.Request) -> web.Response:
    _v1_auth(request)
    avatars = [
        {"avatar_id": a["id"], "pose_name": a["name"], "default_voice": a["default_voice"],
         "normal_preview": "", "is_public": True, "status": "ACTIVE"}
        for a in V1_AVATARS
    ]  # fmt: skip
    return ok(request, avatars)


# -- the rig's own control API ---------------------------------------------------------------------
async def rig_state(request: web.Request) -> web.Response:
    return web.json_response(await request.app[RIG_KEY].state())


async def rig_faults(request: web.Request) -> web.Response:
    rig = request.app[RIG_KEY]
    if request.method == "DELETE":
        await rig.clear_faults()
        return web.json_response({"cleared": True})
    body = await _json_body(request)
    raw = body.get("faults", [body])
    try:
        faults = [Fault.parse(item) for item in (raw if isinstance(raw, list) else [raw])]
        results = [await rig.apply_fault(fault) for fault in faults]
    except FaultError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"results": results})


def make_app(rig: Rig) -> web.Application:
    app = web.Application(middlewares=[cors, rate_limits, http_faults], client_max_size=1 << 20)
    app[RIG_KEY] = rig
    r = app.router
    r.add_post("/v1/sessions/token", la_token)
    r.add_post("/v1/sessions/start", la_start)
    r.add_post("/v1/sessions/keep-alive", la_keep_alive)
    r.add_post("/v1/sessions/stop", la_stop)
    r.add_delete("/v1/sessions", la_stop)
    r.add_get("/v1/sessions", la_list_sessions)
    r.add_get("/v1/sessions/{session_id}", la_get_session)
    r.add_get("/v1/sessions/{session_id}/transcript", la_transcript)
    r.add_get("/v1/avatars", la_avatars)
    r.add_get("/v1/avatars/public", la_public_avatars)
    r.add_get("/v1/voices", la_voices)
    r.add_get("/v1/contexts", la_contexts)
    r.add_get("/v1/users/credits", la_credits)
    r.add_post("/v1/streaming.create_token", v1_create_token)
    r.add_post("/v1/streaming.new", v1_new)
    r.add_post("/v1/streaming.start", v1_start)
    r.add_post("/v1/streaming.task", v1_task)
    for action in ("interrupt", "keep_alive", "stop", "start_listening", "stop_listening"):
        r.add_post(f"/v1/streaming.{action}", v1_simple)
    r.add_get("/v1/streaming.list", v1_list)
    r.add_get("/v1/ws/streaming.chat", v1_voice_chat)
    r.add_get("/v1/streaming/avatar.list", v1_avatar_list)
    r.add_get("/rig/state", rig_state)
    r.add_post("/rig/faults", rig_faults)
    r.add_delete("/rig/faults", rig_faults)
    return app

"""v1's voice-chat websocket from the client's side (contract.md §4.4): where the service says
that the user started and stopped speaking (``user_start`` / ``user_stop``).

The microphone itself goes over LiveKit (``ia_is_livekit_transport`` in ``streaming.new``,
``arch_version=v2`` here), so nothing is sent on this socket. The official SDK builds its URL
from the API host alone (always ``wss://host/…``); this client keeps the base URL's scheme and
port, which gives the same URL for ``https://api.heygen.com`` and also reaches a local emulator.
The query holds the session's token: neither the URL nor an exception carrying it is ever
logged or shown.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.events import AvatarEvent, SpeechActivity

from .messages import json_object

PATH = "/v1/ws/streaming.chat"
CONNECT_TIMEOUT_S = 10.0


def voice_chat_url(base_url: str, session_id: str, token: str, push_to_talk: bool) -> str:
    parts = urlsplit(base_url)
    scheme = "ws" if parts.scheme == "http" else "wss"
    query = urlencode({
        "session_id": session_id,
        "session_token": token,
        "arch_version": "v2",  # the microphone travels over LiveKit
        "silence_response": "false",
        "push_to_talk": "true" if push_to_talk else "false",
    })  # fmt: skip
    return urlunsplit((scheme, parts.netloc, PATH, query, ""))


def voice_chat_event(data: str) -> AvatarEvent | None:
    """A server message as an event; None for the others (``user_silence``) and for junk."""
    message = json_object(data.encode("utf-8", errors="replace"))
    kind = message.get("event_type") if message is not None else None
    if kind == "user_start":
        return SpeechActivity("user", True)
    if kind == "user_stop":
        return SpeechActivity("user", False)
    return None


async def listen(url: str, deliver: Callable[[AvatarEvent], None]) -> None:
    """Delivers the socket's events until the service closes it (the session ended).

    Raises ``AvatarServiceError`` when it cannot be opened or breaks; the caller decides
    whether to open it again.
    """
    timeout = aiohttp.ClientWSTimeout(ws_close=5.0)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(connect=CONNECT_TIMEOUT_S)) as http,
            http.ws_connect(url, heartbeat=30.0, timeout=timeout) as socket,
        ):
            async for message in socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    event = voice_chat_event(message.data)
                    if event is not None:
                        deliver(event)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    raise AvatarServiceError(ErrorKind.NETWORK, "the voice-chat socket broke")
    except aiohttp.WSServerHandshakeError as exc:
        kind = ErrorKind.BAD_API_KEY if exc.status == 401 else ErrorKind.REFUSED
        raise AvatarServiceError(
            kind, f"the voice-chat socket was refused: HTTP {exc.status}", exc.status
        ) from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        # type only: the message of a client error can carry the URL, and so the token
        raise AvatarServiceError(
            ErrorKind.NETWORK, f"the voice-chat socket failed: {type(exc).__name__}"
        ) from None

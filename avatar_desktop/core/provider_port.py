"""What the session needs from an avatar service: the one interface both backends (providers/)
implement; provider-specific JSON stays below it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from .events import AvatarEvent

# Sends bytes on the session's LiveKit data channel, with a topic.
Publish = Callable[[bytes, str], Awaitable[None]]
TextMode = Literal["repeat", "talk"]  # "Say exactly" / "Ask the avatar"


@dataclass(frozen=True)
class SessionSettings:
    avatar_id: str = ""  # empty: the account's first avatar
    voice_id: str | None = None
    context_id: str | None = None
    language: str = "en"
    quality: str = "high"
    sandbox: bool = False
    push_to_talk: bool = False


@dataclass(frozen=True)
class SessionGrant:
    """What a started session gives the client: where to connect, and who the avatar is."""

    session_id: str
    livekit_url: str
    livekit_token: str = field(repr=False)
    avatar_identity: str | None
    max_duration_s: float | None
    credential: str = field(default="", repr=False)  # the provider's per-session credential


@runtime_checkable
class AvatarProvider(Protocol):
    name: str

    async def start_session(self, settings: SessionSettings) -> SessionGrant: ...

    async def listen(self, grant: SessionGrant, deliver: Callable[[AvatarEvent], None]) -> None:
        """Delivers the service's events that travel outside the room (v1's voice-chat
        websocket) until the service closes that channel; returns at once for a service that
        has none. Raises ``AvatarServiceError`` when the channel cannot be opened or breaks."""

    async def keep_alive(self, grant: SessionGrant) -> None: ...

    async def stop_session(self, grant: SessionGrant) -> None: ...

    async def active_session_ids(self) -> list[str]: ...

    async def stop_session_by_id(self, session_id: str) -> None: ...

    async def list_avatars(self) -> list[tuple[str, str]]: ...

    async def list_voices(self) -> list[tuple[str, str]]: ...

    async def list_contexts(self) -> list[tuple[str, str]]: ...

    async def end_reason(self, session_id: str) -> str | None:
        """Why the service ended this session (e.g. ``NO_CREDITS``), or None when it has not
        ended or the service does not say."""

    async def send_text(
        self, grant: SessionGrant, text: str, mode: TextMode, publish: Publish
    ) -> None: ...

    async def interrupt(self, grant: SessionGrant, publish: Publish) -> None: ...

    async def push_to_talk(self, grant: SessionGrant, active: bool, publish: Publish) -> None: ...

    def parse_event(self, data: bytes, topic: str) -> AvatarEvent | None: ...

    async def aclose(self) -> None: ...

"""The one interface both backends implement; provider-specific JSON stays below it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SessionSettings:
    avatar_id: str = "demo-avatar"
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

    async def keep_alive(self, grant: SessionGrant) -> None: ...

    async def stop_session(self, grant: SessionGrant) -> None: ...

    async def active_session_ids(self) -> list[str]: ...

    async def aclose(self) -> None: ...

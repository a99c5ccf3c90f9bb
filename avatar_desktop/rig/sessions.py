"""The emulated services' sessions: what HeyGen's backend would keep about each one."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .avatar_process import AvatarProcess

Flavor = Literal["liveavatar", "v1"]
Status = Literal["created", "active", "stopped", "expired"]

AVATARS = [
    {"id": "demo-avatar", "name": "Demo avatar", "default_voice": "demo-voice-en"},
    {"id": "demo-avatar-es", "name": "Avatar de demostración", "default_voice": "demo-voice-es"},
]
VOICES = [
    {"id": "demo-voice-en", "name": "Demo voice (English)", "language": "en"},
    {"id": "demo-voice-es", "name": "Voz de demostración (español)", "language": "es"},
]
AVATAR_IDS = {a["id"] for a in AVATARS}


@dataclass
class Session:
    flavor: Flavor
    request: dict[str, Any]
    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    status: Status = "created"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    last_activity: float = field(default_factory=time.monotonic)
    stop_reason: str | None = None
    room: str = ""
    client_identity: str = ""
    client_token: str = ""
    agent_token: str = ""
    avatar: AvatarProcess | None = None
    ends_at: float | None = None  # monotonic; a fault that ends it from the server side

    def __post_init__(self) -> None:
        self.room = f"{self.flavor}-{self.session_id[:12]}"
        self.client_identity = f"user-{self.session_id[:8]}"

    @property
    def open(self) -> bool:
        return self.status in ("created", "active")

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def summary(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "flavor": self.flavor,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "room": self.room,
            "created_at": self.created_at,
            "avatar": self.avatar.counters if self.avatar is not None else {},
            "avatar_alive": self.avatar.alive if self.avatar is not None else False,
            "avatar_pid": self.avatar.pid if self.avatar is not None else None,
        }


class SessionRegistry:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def add(self, session: Session) -> Session:
        self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def all(self) -> list[Session]:
        return list(self._sessions.values())

    def open_sessions(self) -> list[Session]:
        return [s for s in self._sessions.values() if s.open]

"""The emulated services' sessions: what HeyGen's backend would keep about each one."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from .avatar_process import AvatarProcess

Flavor = Literal["liveavatar", "v1"]
Status = Literal["created", "active", "stopped", "expired"]

# The emulated account's catalog. LiveAvatar ids are UUIDs (contract.md §5.5); a new account
# owns no avatars, so the demo's are public (GET /v1/avatars/public) beside Wayne, the only
# avatar sandbox sessions accept (§3). v1 names its avatars by strings (§5.5).
SANDBOX_AVATAR_ID = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
DEMO_AVATAR_EN = "6f1c2b9e-3d4a-4c5b-9e8f-0a1b2c3d4e5f"
DEMO_AVATAR_ES = "7a2d3c0f-4e5b-4d6c-8f90-1b2c3d4e5f60"


def _avatar(avatar_id: str, name: str, voice: dict[str, str]) -> dict[str, Any]:
    return {
        "id": avatar_id, "space_id": "public", "type": "VIDEO", "status": "ACTIVE", "name": name,
        "preview_url": "", "is_expired": False, "default_voice": voice, "is_1080p": True,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "error_message": None,
    }  # fmt: skip


VOICES: list[dict[str, Any]] = [
    {"id": "0b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e", "name": "Demo voice (English)",
     "language": "en", "gender": "female", "description": "The demo's English voice",
     "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "tags": []},
    {"id": "1c9d8e7f-6a5b-4c4d-8e3f-2a1b0c9d8e7f", "name": "Voz de demostración (español)",
     "language": "es", "gender": "female", "description": "La voz española de la demostración",
     "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "tags": []},
]  # fmt: skip


def _voice_ref(voice: dict[str, Any]) -> dict[str, str]:
    return {"id": str(voice["id"]), "name": str(voice["name"])}


PUBLIC_AVATARS = [
    _avatar(DEMO_AVATAR_EN, "Demo avatar", _voice_ref(VOICES[0])),
    _avatar(DEMO_AVATAR_ES, "Avatar de demostración", _voice_ref(VOICES[1])),
    _avatar(SANDBOX_AVATAR_ID, "Wayne", _voice_ref(VOICES[0])),
]
USER_AVATARS: list[dict[str, Any]] = []
CONTEXTS = [
    {"id": "5b9dba8a-aa31-11f0-a1b2-0242ac120002", "name": "The demo's guide",
     "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
]  # fmt: skip
AVATAR_IDS = {a["id"] for a in PUBLIC_AVATARS + USER_AVATARS}
V1_AVATARS = [
    {"id": "demo-avatar", "name": "Demo avatar", "default_voice": "demo-voice-en"},
    {"id": "demo-avatar-es", "name": "Avatar de demostración", "default_voice": "demo-voice-es"},
]
V1_AVATAR_IDS = {a["id"] for a in V1_AVATARS}


@dataclass
class Session:
    flavor: Flavor
    request: dict[str, Any]
    session_id: str = ""  # a UUID: v4 for LiveAvatar, time-based for v1 (contract.md §5.5)
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
    ended_at: float | None = None  # wall clock
    token_id: str | None = None  # v1: the create_token token that made it (its jti)
    voice_chats: list[Any] = field(default_factory=list)  # v1: open voice-chat websockets
    transcript: list[dict[str, Any]] = field(default_factory=list)  # LiveAvatar's shape (§1.2)

    def said(self, role: str, text: str) -> None:
        now = time.time()
        self.transcript.append({
            "role": role, "transcript": text, "absolute_timestamp": int(now),
            "relative_timestamp": int(now - (self.started_at or self.created_at)),
        })  # fmt: skip

    def __post_init__(self) -> None:
        if not self.session_id:
            self.session_id = str(uuid.uuid4() if self.flavor == "liveavatar" else uuid.uuid1())
        self.room = f"{self.flavor}-{self.session_id[:12]}"
        self.client_identity = f"user-{self.session_id[:8]}"

    @property
    def agent_identity(self) -> str:
        """LiveAvatar's agent participant, which its web SDK waits for (contract.md §2.1)."""
        return f"liveavatar-agent-{self.session_id}"

    @property
    def billed_seconds(self) -> float:
        """How long a started FULL session has run; a sandbox session is free (§3)."""
        if self.sandbox or self.started_at is None:
            return 0.0
        return (self.ended_at or time.time()) - self.started_at

    @property
    def sandbox(self) -> bool:
        return self.flavor == "liveavatar" and self.request.get("is_sandbox") is True

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
            "voice_chats": len(self.voice_chats),
            "join_delay_s": self.avatar.config.join_delay_s if self.avatar is not None else None,
            "video_codec": self.avatar.config.codec if self.avatar is not None else None,
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

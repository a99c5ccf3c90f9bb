"""The messages the synthetic avatar sends, in each service's shapes (reference heygen.md)."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

Flavor = Literal["liveavatar", "v1"]

LIVEAVATAR_EVENTS_TOPIC = "agent-response"
LIVEAVATAR_COMMANDS_TOPIC = "agent-control"


def liveavatar_event(session_id: str, event_type: str, **fields: Any) -> bytes:
    body = {"event_type": event_type, "event_id": str(uuid.uuid4()), "session_id": session_id}
    body.update(fields)
    return json.dumps(body).encode()


def v1_event(event_type: str, **fields: Any) -> bytes:
    body: dict[str, Any] = {"type": event_type}
    body.update(fields)
    return json.dumps(body).encode()


def parse_command(payload: bytes, topic: str, flavor: Flavor) -> dict[str, Any] | None:
    """A client command as a dict with ``event_type``, or None when it is not one.

    v1 sends push-to-talk as the bare JSON strings "push_to_talk:start" / "push_to_talk:stop".
    """
    try:
        decoded = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if flavor == "v1" and isinstance(decoded, str) and decoded.startswith("push_to_talk:"):
        action = decoded.split(":", 1)[1]
        return {"event_type": f"user.{action}_push_to_talk"}
    if flavor == "liveavatar" and topic != LIVEAVATAR_COMMANDS_TOPIC:
        return None
    if isinstance(decoded, dict) and isinstance(decoded.get("event_type"), str):
        return decoded
    return None

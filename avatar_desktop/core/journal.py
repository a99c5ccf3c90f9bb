"""The diagnostics journal: every state change and every LiveKit/engine event, timestamped,
bounded, and rendered as a report with secrets redacted."""

from __future__ import annotations

import collections
import datetime
import re
from dataclasses import dataclass

from .session_state import StateChange

_SECRET_PATTERNS = [
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"),  # JWTs (session and LiveKit tokens)
    re.compile(r"(?i)(api[-_ ]?key|token|secret|authorization)(\"?\s*[:=]\s*\"?)([^\s\",}]+)"),
]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = _SECRET_PATTERNS[0].sub("[redacted-token]", text)
    return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


@dataclass(frozen=True)
class JournalEntry:
    at: float
    kind: str  # "state" or "event"
    text: str


class Journal:
    def __init__(self, limit: int = 2000) -> None:
        self.entries: collections.deque[JournalEntry] = collections.deque(maxlen=limit)

    def state(self, change: StateChange) -> JournalEntry:
        attempt = f" (attempt {change.attempt}/{change.max_attempts})" if change.attempt > 1 else ""
        text = f"{change.old.value} → {change.new.value}{attempt}: {change.cause}"
        if change.session_id:
            text += f" [session {change.session_id}]"
        entry = JournalEntry(change.at, "state", text)
        self.entries.append(entry)
        return entry

    def event(self, at: float, text: str) -> JournalEntry:
        entry = JournalEntry(at, "event", text)
        self.entries.append(entry)
        return entry

    def report(self, secrets: tuple[str, ...] = (), header: str = "") -> str:
        lines = [header] if header else []
        for entry in self.entries:
            stamp = datetime.datetime.fromtimestamp(entry.at).strftime("%H:%M:%S.%f")[:-3]
            lines.append(f"{stamp} {entry.kind:5} {entry.text}")
        return redact("\n".join(lines), secrets)

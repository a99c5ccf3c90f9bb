"""Sessions not confirmed stopped, kept on disk so the next start stops them (a crash, a lost
network at exit): orphaned sessions are what trips HeyGen's concurrent-session limit."""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


class SessionLedger:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    def opened(self, provider: str, session_id: str) -> None:
        data = self._read()
        data[session_id] = provider
        self._write(data)

    def closed(self, session_id: str) -> None:
        data = self._read()
        if data.pop(session_id, None) is not None:
            self._write(data)

    def pending(self, provider: str) -> list[str]:
        return [sid for sid, name in self._read().items() if name == provider]

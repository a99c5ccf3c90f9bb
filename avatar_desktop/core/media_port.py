"""What the session needs from the media side (the engine client satisfies it; tests may too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

MediaEvent = dict[str, Any]


class MediaPort(Protocol):
    @property
    def alive(self) -> bool: ...

    async def start(self) -> None: ...

    async def connect(
        self, url: str, token: str, avatar_identity: str | None, generation: int
    ) -> None:
        """Joins a room; every event of that room carries ``gen`` = ``generation``."""

    async def disconnect(self) -> None: ...

    async def send_data(self, data: bytes, topic: str) -> None: ...

    async def stop(self) -> None: ...


MediaFactory = Callable[[Callable[[MediaEvent], None]], MediaPort]

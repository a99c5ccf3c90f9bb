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
        self,
        url: str,
        token: str,
        avatar_identity: str | None,
        generation: int,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        """Joins a room; every event of that room carries ``gen`` = ``generation``."""

    async def set_microphone_muted(self, muted: bool) -> None: ...

    async def set_microphone_device(self, device: int | str | None) -> None: ...

    async def set_speaker_device(self, device: int | str | None) -> None: ...

    async def request_devices(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def send_data(self, data: bytes, topic: str) -> None: ...

    async def stop(self) -> None: ...


MediaFactory = Callable[[Callable[[MediaEvent], None]], MediaPort]

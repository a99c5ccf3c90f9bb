"""The app's side of the media engine: spawns the child process, sends it commands, hands its
events to the core, and reads the newest video frame from shared memory.

Runs on the app's asyncio loop and knows nothing of Qt. Events are delivered through one
callback on that loop; ``engine_died`` is delivered when the process ends without being asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine.protocol import b64, decode, encode, unb64
from .frame_buffer import Frame, FrameReader

log = logging.getLogger(__name__)
EngineEvent = dict[str, Any]
# One event line can carry a whole data packet (base64): far above asyncio's 64 KiB default.
_LINE_LIMIT = 8 * 1024 * 1024


def engine_command(buffer_name: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--media-engine", buffer_name]
    return [sys.executable, "-m", "avatar_desktop.media.engine", buffer_name]


class MediaEngine:
    def __init__(
        self, on_event: Callable[[EngineEvent], None], log_dir: Path | None = None
    ) -> None:
        self._on_event = on_event
        self._log_dir = log_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._frames: FrameReader | None = None
        self._stopping = False
        self.pid: int | None = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, ready_timeout_s: float = 20.0) -> None:
        name = f"avd-{secrets.token_hex(6)}"
        stderr: Any = asyncio.subprocess.DEVNULL
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            stderr = (self._log_dir / "media-engine.log").open("ab")
        self._stopping = False
        self._proc = await asyncio.create_subprocess_exec(
            *engine_command(name),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            limit=_LINE_LIMIT,
        )
        if not isinstance(stderr, int):
            stderr.close()  # the child has its own descriptor now
        self.pid = self._proc.pid
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), ready_timeout_s)
        ready = decode(line)
        if ready is None or ready.get("event") != "ready":
            await self.kill()
            raise RuntimeError(f"media engine did not start: {line[:200]!r}")
        self._frames = FrameReader(name)
        self._reader_task = asyncio.get_running_loop().create_task(self._read_events())

    async def _read_events(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        while line := await proc.stdout.readline():
            event = decode(line)
            if event is None:
                continue
            if event.get("event") == "data":
                try:
                    event["data"] = unb64(str(event.pop("data_b64", "")))
                except ValueError:
                    continue
            self._on_event(event)
        code = await proc.wait()
        self._release_frames()
        if not self._stopping:
            self._on_event({"event": "engine_died", "returncode": code})

    def _release_frames(self) -> None:
        if self._frames is not None:
            self._frames.close()
            self._frames.unlink_if_orphaned()
            self._frames = None

    def latest_frame(self) -> Frame | None:
        return self._frames.latest() if self._frames is not None else None

    def frames_written(self) -> int:
        return self._frames.frames_written() if self._frames is not None else 0

    async def _send(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise ConnectionError("the media engine is not running")
        proc.stdin.write(encode(message))
        await proc.stdin.drain()

    async def connect(
        self,
        url: str,
        token: str,
        avatar_identity: str | None,
        generation: int = 0,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        await self._send(
            {"cmd": "connect", "url": url, "token": token, "avatar_identity": avatar_identity,
             "gen": generation, "microphone": microphone}
        )  # fmt: skip

    async def set_microphone_muted(self, muted: bool) -> None:
        await self._send({"cmd": "mic_muted", "muted": muted})

    async def set_microphone_device(self, device: int | str | None) -> None:
        await self._send({"cmd": "mic_device", "device": device})

    async def set_speaker_device(self, device: int | str | None) -> None:
        await self._send({"cmd": "speaker_device", "device": device})

    async def request_devices(self) -> None:
        await self._send({"cmd": "list_devices"})

    async def send_data(self, data: bytes, topic: str) -> None:
        await self._send({"cmd": "send_data", "data_b64": b64(data), "topic": topic})

    async def disconnect(self) -> None:
        await self._send({"cmd": "disconnect"})

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._send({"cmd": "quit"})
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        self._release_frames()

    async def kill(self) -> None:
        """Kills the engine as a native abort would (tests, and a wedged engine)."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()

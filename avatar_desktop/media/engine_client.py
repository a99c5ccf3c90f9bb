"""The app's side of the media engine: spawns the child process, sends it commands and waits for
their replies, parses its events once into the core's typed events, and reads the newest video
frame from shared memory.

Runs on the app's asyncio loop and knows nothing of Qt. Events are delivered through one
callback on that loop. ``EngineDied`` is delivered whenever the engine stops serving without
being asked: the process ended, or reading its events failed. A handler that raises never
takes the reader down with it: the error is logged and the next event is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avatar_desktop.core.media_port import EngineDied, Frame, MediaCommandFailed, MediaEvent

from .engine.protocol import Reply, b64, decode, encode, parse_event
from .frame_buffer import FrameReader

log = logging.getLogger(__name__)
# One event line can carry a whole data packet (base64): far above asyncio's 64 KiB default.
_LINE_LIMIT = 8 * 1024 * 1024
REPLY_TIMEOUT_S = 10.0


# Frame buffers of engines that are gone, still mapped while the window holds a frame of theirs
# (the frame's pixels are a view of the buffer): unmapped as soon as it lets go.
_RETIRED_BUFFERS: list[FrameReader] = []


def _close_retired_buffers() -> None:
    _RETIRED_BUFFERS[:] = [reader for reader in _RETIRED_BUFFERS if not reader.close()]


def engine_command(buffer_name: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--media-engine", buffer_name]
    return [sys.executable, "-m", "avatar_desktop.media.engine", buffer_name]


class MediaEngine:
    def __init__(self, on_event: Callable[[MediaEvent], None], log_dir: Path | None = None) -> None:
        self._on_event = on_event
        self._log_dir = log_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._frames: FrameReader | None = None
        self._frame_size = (0, 0)
        self._stopping = False
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.pid: int | None = None
        self.malformed_events = 0
        self.handler_errors = 0

    @property
    def alive(self) -> bool:
        return (
            self._proc is not None
            and self._proc.returncode is None
            and self._reader_task is not None
            and not self._reader_task.done()
        )

    async def start(self, ready_timeout_s: float = 20.0) -> None:
        """Starts the engine process; on any failure it is killed and MediaCommandFailed raised."""
        name = f"avd-{secrets.token_hex(6)}"
        stderr: Any = asyncio.subprocess.DEVNULL
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            stderr = (self._log_dir / "media-engine.log").open("ab")
        self._stopping = False
        self._loop = asyncio.get_running_loop()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *engine_command(name),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                limit=_LINE_LIMIT,
                # Its own session: Ctrl+C in a terminal reaches the app alone, which then ends
                # the engine its way (the stdin lifeline covers the app's death).
                start_new_session=True,
            )
        except OSError as exc:
            raise MediaCommandFailed(f"the media engine could not be started: {exc}") from exc
        finally:
            if not isinstance(stderr, int):
                stderr.close()  # the child has its own descriptor now
        self.pid = self._proc.pid
        try:
            await self._await_ready(ready_timeout_s)
            self._frames = FrameReader(name)
            self._frames.request_size(*self._frame_size)
        except (TimeoutError, OSError, ValueError, MediaCommandFailed) as exc:
            await self.kill()
            if isinstance(exc, MediaCommandFailed):
                raise
            raise MediaCommandFailed(f"the media engine did not start: {exc!r}") from exc
        self._reader_task = self._loop.create_task(self._read_events(), name="media-engine-reader")

    async def _await_ready(self, timeout_s: float) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), timeout_s)
        ready = decode(line)
        if ready is None or ready.get("event") != "ready":
            raise MediaCommandFailed(f"the media engine did not start: {line[:200]!r}")

    async def _read_events(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        detail = ""
        try:
            while line := await proc.stdout.readline():
                self._handle_line(line)
        except (OSError, ValueError) as exc:  # a broken pipe, an over-long line
            detail = f"reading its events failed: {exc!r}"
            log.error("media engine: %s", detail)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        code = await proc.wait()
        self._release_frames()
        self._fail_pending(f"the media engine ended ({code})")
        if not self._stopping:
            self._deliver(EngineDied(returncode=code, detail=detail))

    def _handle_line(self, line: bytes) -> None:
        message = decode(line)
        event = parse_event(message) if message is not None else None
        if event is None:
            self.malformed_events += 1
            return
        if isinstance(event, Reply):
            future = self._pending.pop(event.id, None)
            if future is not None and not future.done():
                future.set_result(event)
            return
        self._deliver(event)

    def _deliver(self, event: MediaEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            self.handler_errors += 1
            log.exception("media event handler failed on %s", event.name)

    def _fail_pending(self, why: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(MediaCommandFailed(why))
        self._pending.clear()

    def _release_frames(self) -> None:
        if self._frames is not None:
            self._frames.unlink_if_orphaned()
            _RETIRED_BUFFERS.append(self._frames)
            self._frames = None
        _close_retired_buffers()

    def latest_frame(self) -> Frame | None:
        if _RETIRED_BUFFERS:
            _close_retired_buffers()
        return self._frames.latest() if self._frames is not None else None

    def request_frame_size(self, width: int, height: int) -> None:
        self._frame_size = (width, height)
        if self._frames is not None:
            self._frames.request_size(width, height)

    def frames_written(self) -> int:
        return self._frames.frames_written() if self._frames is not None else 0

    async def _write(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise ConnectionError("the media engine is not running")
        try:
            proc.stdin.write(encode(message))
            await proc.stdin.drain()
        except (OSError, RuntimeError) as exc:
            raise ConnectionError(f"the media engine is not listening: {exc}") from exc

    async def _request(self, message: dict[str, Any], timeout_s: float = REPLY_TIMEOUT_S) -> None:
        """Sends a command and waits for the engine's reply; raises MediaCommandFailed on an
        error reply or no reply in time, ConnectionError when no engine runs.

        Uses the engine's own loop rather than the running one: under qasync a step of this
        coroutine may run from Qt's last event pass after the asyncio loop stopped."""
        loop = self._loop
        if loop is None:
            raise ConnectionError("the media engine is not running")
        command_id = next(self._ids)
        future: asyncio.Future[Reply] = loop.create_future()
        self._pending[command_id] = future

        def too_late() -> None:
            if not future.done():
                future.set_exception(
                    MediaCommandFailed(f"{message['cmd']}: no answer from the media engine")
                )

        timer = loop.call_later(timeout_s, too_late)
        try:
            await self._write({**message, "id": command_id})
            reply = await future
        finally:
            timer.cancel()
            self._pending.pop(command_id, None)
        if not reply.ok:
            raise MediaCommandFailed(f"{message['cmd']}: {reply.error}")

    async def connect(
        self,
        url: str,
        token: str,
        avatar_identity: str | None,
        generation: int = 0,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        await self._request(
            {"cmd": "connect", "url": url, "token": token, "avatar_identity": avatar_identity,
             "gen": generation, "microphone": microphone}
        )  # fmt: skip

    async def set_microphone_muted(self, muted: bool) -> None:
        await self._request({"cmd": "mic_muted", "muted": muted})

    async def set_microphone_device(self, device: int | str | None) -> None:
        await self._request({"cmd": "mic_device", "device": device})

    async def set_speaker_device(self, device: int | str | None) -> None:
        await self._request({"cmd": "speaker_device", "device": device})

    async def request_devices(self) -> None:
        await self._request({"cmd": "list_devices"})

    async def send_data(self, data: bytes, topic: str) -> None:
        await self._request({"cmd": "send_data", "data_b64": b64(data), "topic": topic})

    async def disconnect(self) -> None:
        await self._request({"cmd": "disconnect"})

    async def start_recording(self, path: str, quality: str, microphone: bool = False) -> None:
        command = {"cmd": "record_start", "path": path, "quality": quality}
        await self._request({**command, "microphone": microphone})

    async def add_recording_cue(self, text: str, start: float, end: float) -> None:
        await self._request({"cmd": "record_cue", "text": text, "start": start, "end": end})

    async def stop_recording(self) -> None:
        await self._request({"cmd": "record_stop"}, timeout_s=30)

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self._write({"cmd": "quit"})
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                await self.kill()
        if self._reader_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        self._release_frames()

    async def kill(self) -> None:
        """Kills the engine as a native abort would (tests, and a wedged engine)."""
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._proc.wait()

"""``python -m avatar_desktop.media.engine FRAME_BUFFER_NAME``: the media engine process.

Reads commands from stdin, writes events to stdout (JSON lines, see protocol.py); creates the
shared frame buffer it was told to name. Ends on ``quit`` or when stdin closes: the app is gone,
however it went (the system closes a dead process's pipes on every OS). Then the room gets
``LIFELINE_GRACE_S`` to let go before the process exits anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from avatar_desktop.lifeline import exit_within, stdin_reader

from ..frame_buffer import FrameWriter
from ..recording.recorder import Recorder
from .protocol import decode, encode, unb64
from .room_session import RoomSession


def list_devices() -> dict[str, Any]:
    """Input and output devices as PortAudio sees them (empty lists, and why, when it can't)."""
    try:
        import sounddevice as sd

        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except (OSError, ImportError) as exc:
        return {"inputs": [], "outputs": [], "error": str(exc)}
    inputs = [{"index": i, "name": str(d["name"]), "default": i == default_in}
              for i, d in enumerate(devices) if int(d["max_input_channels"]) > 0]  # fmt: skip
    outputs = [{"index": i, "name": str(d["name"]), "default": i == default_out}
               for i, d in enumerate(devices) if int(d["max_output_channels"]) > 0]  # fmt: skip
    return {"inputs": inputs, "outputs": outputs}


log = logging.getLogger("avatar_desktop.media.engine")
LIFELINE_GRACE_S = 5.0
RECORDING_REPORT_S = 1.0


class Engine:
    def __init__(self, frames: FrameWriter, play_audio: bool) -> None:
        self.frames = frames
        self.play_audio = play_audio
        self.session: RoomSession | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._out = sys.stdout.buffer
        self._app_listens = True
        # The recording belongs to the engine, not to a room: a reconnect (a new room) goes on
        # writing the same file.
        self.recorder: Recorder | None = None
        self._recording_reports: asyncio.Task[None] | None = None

    def emit(self, message: dict[str, Any]) -> None:
        if not self._app_listens:
            return
        try:
            self._out.write(encode(message))
            self._out.flush()
        except OSError:  # a broken pipe (Windows says EINVAL): the app is gone, stdin ends too
            self._app_listens = False

    async def handle(self, command: dict[str, Any]) -> bool:
        """Runs one command; False when the engine should end."""
        kind = command.get("cmd")
        if kind == "connect":
            await self._close_session()
            self.session = RoomSession(
                self.emit,
                self.frames,
                self.play_audio,
                generation=int(command.get("gen", 0)),
                microphone=command.get("microphone"),
            )
            self.session.recorder = self.recorder
            # Connecting takes seconds: run it beside the command loop, so "disconnect" and
            # "quit" are heard meanwhile.
            self._connecting = asyncio.get_running_loop().create_task(
                self.session.connect(
                    str(command["url"]), str(command["token"]), command.get("avatar_identity")
                )
            )
            self._connecting.add_done_callback(self._connect_done)
        elif kind == "send_data" and self.session is not None:
            await self.session.send_data(
                unb64(str(command["data_b64"])), str(command.get("topic", ""))
            )
        elif kind == "mic_muted" and self.session is not None:
            self.session.set_muted(bool(command.get("muted")))
        elif kind == "mic_device" and self.session is not None:
            await self.session.start_microphone(command.get("device"))
        elif kind == "speaker_device" and self.session is not None:
            self.session.set_speaker(command.get("device"))
        elif kind == "record_start":
            self._start_recording(
                Path(str(command["path"])),
                str(command.get("quality", "source")),
                bool(command.get("microphone", False)),
            )
        elif kind == "record_stop":
            await self._stop_recording()
        elif kind == "record_cue" and self.recorder is not None:
            self.recorder.cue(str(command["text"]), float(command["start"]), float(command["end"]))
        elif kind == "list_devices":
            self.emit({"event": "devices", **list_devices()})
        elif kind == "disconnect":
            generation = self.session.generation if self.session is not None else None
            await self._close_session()
            self.emit({"event": "disconnected", "reason": "CLIENT_INITIATED", "gen": generation})
        elif kind == "quit":
            await self._stop_recording()
            await self._close_session()
            return False
        return True

    def _start_recording(self, path: Path, quality: str, microphone: bool) -> None:
        if self.recorder is not None:
            raise RuntimeError(f"already recording to {self.recorder.path}")
        if quality not in ("source", "720p"):
            raise ValueError(f"unknown recording quality {quality!r}")
        self.recorder = Recorder(path, quality=quality, microphone=microphone)
        if self.session is not None:
            self.session.recorder = self.recorder
        self._recording_reports = asyncio.get_running_loop().create_task(
            self._report_recording(self.recorder), name="recording-reports"
        )

    async def _report_recording(self, recorder: Recorder) -> None:
        """Elapsed time and file size once a second, for the window's indicator."""
        while True:
            self.emit({"event": "recording", "active": True, **asdict(recorder.stats)})
            await asyncio.sleep(RECORDING_REPORT_S)

    async def _stop_recording(self) -> None:
        """Ends the file (flushing the encoders off the loop) and says how it ended."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        if self._recording_reports is not None:
            self._recording_reports.cancel()
            self._recording_reports = None
        if self.session is not None:
            self.session.recorder = None
        stats = await asyncio.to_thread(recorder.stop)
        self.emit({"event": "recording", "active": False, **asdict(stats)})

    async def _handle_and_reply(self, command: dict[str, Any]) -> bool:
        """Runs a command and answers it (``reply{id, ok, error}``) when it has an ``id``: the
        app learns of every failure where it asked, never by silence."""
        error = ""
        keep_going = True
        try:
            keep_going = await self.handle(command)
        except Exception as exc:
            log.exception("command %s failed", command.get("cmd"))
            error = repr(exc)
        if "id" in command:
            self.emit({"event": "reply", "id": command["id"], "ok": not error, "error": error})
        return keep_going

    def _connect_done(self, task: asyncio.Task[None]) -> None:
        """A failure while joining is reported, never lost in a task nobody awaits."""
        if task.cancelled() or task.exception() is None:
            return
        log.error("connect failed", exc_info=task.exception())
        generation = self.session.generation if self.session is not None else None
        self.emit({"event": "connect_failed", "error": repr(task.exception()), "gen": generation})

    async def _close_session(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        self._connecting = None
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()

    async def run(self) -> None:
        reader = stdin_reader(asyncio.get_running_loop())
        self.emit({"event": "ready", "frames": self.frames.name, "pid": os.getpid()})
        quit_asked = False
        while not quit_asked and (line := await reader.readline()):
            command = decode(line)
            if command is not None:
                quit_asked = not await self._handle_and_reply(command)
        if not quit_asked:
            log.info("stdin closed (the app is gone): closing the room")
            exit_within(LIFELINE_GRACE_S, "the app")
        await self._stop_recording()
        await self._close_session()


def calm_garbage_collector() -> None:
    """Every frame and audio block allocates a few Python objects (the SDK's events), so the
    default collector ran its young generation dozens of times a second and its old one over
    the whole heap often enough to cost a quarter of the engine's loop (py-spy, 720p30).
    What is loaded by now stays for the process's life: frozen out of every collection; and
    young collections come after many more allocations."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="engine %(levelname)s %(message)s"
    )
    frames = FrameWriter(sys.argv[1] if len(sys.argv) > 1 else None)
    play_audio = os.environ.get("AVATAR_DESKTOP_NO_AUDIO_OUTPUT") != "1"
    calm_garbage_collector()
    try:
        asyncio.run(Engine(frames, play_audio).run())
    finally:
        frames.close()


if __name__ == "__main__":
    main()

"""A recording of the conversation, as the core sees it: which file, started and stopped through
the media port, the transcript's final lines sent along as subtitles and kept beside the file as
an ``.srt`` (rewritten whole after each line, so a crash leaves both files whole), and the
progress the engine reports.

The engine writes the MP4 and survives reconnects with it; this keeps what the window shows:
recording or not, for how long, how big, and why it stopped if it failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .conversation import Conversation, TranscriptLine
from .media_port import MediaCommandFailed, MediaPort, RecordingStatus
from .transcript_export import ExportWords, Transcript, suggested_filename, to_srt, write_transcript

log = logging.getLogger(__name__)
QUALITIES = ("source", "720p")


def default_folder() -> Path:
    return Path(platformdirs.user_videos_dir()) / "Avatar Desktop"


@dataclass(frozen=True)
class RecordingState:
    active: bool = False
    path: str = ""
    seconds: float = 0.0
    bytes: int = 0
    error: str = ""


class ConversationRecording:
    """One recording at a time; ``state`` is what the window shows."""

    def __init__(
        self,
        conversation: Conversation,
        on_change: Callable[[RecordingState], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conversation = conversation
        self._on_change = on_change
        self._clock = clock
        self.state = RecordingState()
        self._media: MediaPort | None = None
        self._words: ExportWords | None = None
        self._avatar_name = ""
        self._started_at = 0.0
        self._cued: set[int] = set()  # id() of the lines sent as cues, or from before
        self._recorded: list[TranscriptLine] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        conversation.subscribe(self._on_line)

    def path_for(self, folder: Path, avatar_name: str) -> Path:
        """A new file in ``folder`` named after now and the avatar; never an existing one."""
        name = suggested_filename(self._clock(), avatar_name, "mp4")
        path = folder / name
        number = 2
        while path.exists() or path.with_suffix(".srt").exists():
            path = folder / f"{Path(name).stem} ({number}).mp4"
            number += 1
        return path

    async def start(
        self,
        media: MediaPort,
        path: Path,
        quality: str,
        avatar_name: str,
        words: ExportWords,
        microphone: bool = False,
    ) -> None:
        """Raises ``MediaCommandFailed`` / ``OSError`` (a folder that cannot be made).
        ``microphone``: what the user's microphone sends is recorded too."""
        if self.state.active:
            return
        if quality not in QUALITIES:
            raise ValueError(f"unknown recording quality {quality!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        await media.start_recording(str(path), quality, microphone)
        self._media, self._words, self._avatar_name = media, words, avatar_name
        self._started_at = self._clock()
        self._cued = {id(line) for line in self._conversation.lines}
        self._recorded = []
        self._set(RecordingState(active=True, path=str(path)))

    async def stop(self) -> None:
        """Ends the file; lines still in progress are put in as they stand."""
        media, self._media = self._media, None
        if media is None or not self.state.active:
            return
        if self._tasks:
            await asyncio.gather(*self._tasks)
        for line in self._lines():
            await self._cue(media, line)
        try:
            await media.stop_recording()
        finally:
            self._set(RecordingState(path=self.state.path, seconds=self.state.seconds,
                                     bytes=self.state.bytes, error=self.state.error))  # fmt: skip

    def engine_gone(self, why: str) -> None:
        """The engine ended (a crash): its file ends where it stopped, playable."""
        if self.state.active:
            self._media = None
            self._set(RecordingState(path=self.state.path, seconds=self.state.seconds,
                                     bytes=self.state.bytes, error=why))  # fmt: skip

    def on_status(self, status: RecordingStatus) -> None:
        if status.path != self.state.path:
            return
        active = status.active and not status.error and self._media is not None
        if not active:
            self._media = None
        self._set(RecordingState(active, status.path, status.seconds, status.bytes, status.error))

    # -- the transcript ----------------------------------------------------------------------
    def _lines(self) -> list[TranscriptLine]:
        return [line for line in self._conversation.lines if id(line) not in self._cued]

    def _on_line(self, line: TranscriptLine, _is_new: bool) -> None:
        if self._media is None or not line.final or id(line) in self._cued:
            return
        task = asyncio.get_running_loop().create_task(
            self._cue(self._media, line), name="recording-cue"
        )
        self._tasks.add(task)  # _cue reports its own failures
        task.add_done_callback(self._tasks.discard)

    async def _cue(self, media: MediaPort, line: TranscriptLine) -> None:
        self._cued.add(id(line))
        self._recorded.append(line)
        assert self._words is not None
        text = f"{self._words.speaker(line.speaker)}: {line.text}"
        end = max(line.end, line.at + min(7.0, max(1.5, len(line.text) * 0.06)))
        try:
            await media.add_recording_cue(text, line.at, end)
        except (MediaCommandFailed, ConnectionError) as exc:  # the file goes on without it
            log.warning("subtitle not recorded: %r", exc)
        self._write_side_srt()

    def _write_side_srt(self) -> None:
        if not self.state.path or self._words is None:
            return
        transcript = Transcript(self._started_at, self._avatar_name, tuple(self._recorded))
        try:
            text = to_srt(transcript, self._words)
            write_transcript(Path(self.state.path).with_suffix(".srt"), text)
        except OSError as exc:
            log.warning("subtitles beside the recording not written: %s", exc)

    def _set(self, state: RecordingState) -> None:
        self.state = state
        self._on_change(state)

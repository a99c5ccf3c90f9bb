from __future__ import annotations

import asyncio
from pathlib import Path

from avatar_desktop.core.conversation import Conversation
from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.core.media_port import MediaEvent, RecordingStatus
from avatar_desktop.core.recording import ConversationRecording, RecordingState
from avatar_desktop.core.transcript_export import ExportWords
from tests.core.fakes import FakeMedia, MediaScript

WORDS = ExportWords(user="You", avatar="Avatar", title="{0} {1}")


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def _setup() -> tuple[Conversation, ConversationRecording, list[RecordingState], FakeMedia, Clock]:
    clock = Clock()
    conversation = Conversation(clock)
    states: list[RecordingState] = []
    recording = ConversationRecording(conversation, states.append, clock)
    events: list[MediaEvent] = []
    media = FakeMedia(events.append, MediaScript())
    return conversation, recording, states, media, clock


async def test_final_lines_become_subtitles_in_the_file_and_beside_it(tmp_path: Path) -> None:
    conversation, recording, states, media, clock = _setup()
    conversation.said_by_user("before the recording")  # not in this file
    path = recording.path_for(tmp_path / "Videos", "Demo avatar")
    await recording.start(media, path, "source", "Demo avatar", WORDS)
    assert path.parent.is_dir() and states[-1] == RecordingState(active=True, path=str(path))
    clock.now += 2
    conversation.said_by_user("Hello there")
    clock.now += 1
    conversation.add(TranscriptPiece("avatar", "Hi, how", final=False))  # partial: not yet
    await asyncio.sleep(0)
    assert [c[1] for c in media.recording_calls if c[0] == "cue"] == ["You: Hello there"]
    clock.now += 2
    conversation.add(TranscriptPiece("avatar", "Hi, how can I help?", final=True))
    await asyncio.sleep(0)
    await recording.stop()
    kinds = [c[0] for c in media.recording_calls]
    assert kinds == ["start", "cue", "cue", "stop"]
    assert media.recording_calls[2][1] == "Avatar: Hi, how can I help?"
    srt = path.with_suffix(".srt").read_text()
    assert "You: Hello there" in srt and "Avatar: Hi, how can I help?" in srt
    assert "before the recording" not in srt
    assert "00:00:02,000 -->" in srt  # times from the recording's start
    assert not recording.state.active and recording.state.path == str(path)


async def test_a_line_still_in_progress_at_stop_is_put_in_as_it_stands(tmp_path: Path) -> None:
    conversation, recording, _states, media, _clock = _setup()
    await recording.start(media, tmp_path / "a.mp4", "720p", "Demo", WORDS)
    conversation.add(TranscriptPiece("avatar", "I was saying", final=False))
    await recording.stop()
    assert ("cue", "Avatar: I was saying") in [(c[0], c[1]) for c in media.recording_calls]


async def test_progress_and_failure_come_from_the_engine(tmp_path: Path) -> None:
    _conversation, recording, states, media, _clock = _setup()
    path = tmp_path / "b.mp4"
    await recording.start(media, path, "source", "Demo", WORDS)
    recording.on_status(RecordingStatus(active=True, path=str(path), seconds=3.0, bytes=4096))
    assert states[-1] == RecordingState(True, str(path), 3.0, 4096)
    recording.on_status(RecordingStatus(active=True, path="/elsewhere.mp4", seconds=9.0))
    assert states[-1].seconds == 3.0  # another file's news is not this one's
    recording.on_status(
        RecordingStatus(active=False, path=str(path), seconds=4.0, bytes=5000, error="disk full")
    )
    assert states[-1] == RecordingState(False, str(path), 4.0, 5000, "disk full")
    await recording.stop()  # already over: nothing more is asked of the engine
    assert [c[0] for c in media.recording_calls] == ["start"]


async def test_an_engine_that_dies_ends_the_recording_with_the_reason(tmp_path: Path) -> None:
    _conversation, recording, states, media, _clock = _setup()
    await recording.start(media, tmp_path / "c.mp4", "source", "Demo", WORDS)
    recording.engine_gone("the media engine stopped")
    assert not states[-1].active and states[-1].error == "the media engine stopped"


def test_a_new_recording_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    _conversation, recording, _states, _media, _clock = _setup()
    first = recording.path_for(tmp_path, "Demo avatar")
    first.write_bytes(b"x")
    second = recording.path_for(tmp_path, "Demo avatar")
    assert second != first and second.name.endswith("Demo avatar (2).mp4")

"""Recording as the session sees it: asked for before or during a session, one file per session
(a new session after a failure starts a new file), ended with the session or on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatar_desktop.core.media_port import Disconnected, RecordingStatus
from avatar_desktop.core.recording import RecordingState
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.core.transcript_export import ExportWords
from tests.core.fakes import MediaFactory
from tests.core.test_session_controller import make, until

S = SessionState
pytestmark = pytest.mark.usefixtures("strict_loop")
WORDS = ExportWords(user="You", avatar="Avatar", title="{0} {1}")


async def test_a_recording_asked_for_before_live_begins_there_and_each_session_gets_a_file(
    tmp_path: Path,
) -> None:
    media = MediaFactory()
    controller, provider, media, _changes = make(media=media)
    states: list[RecordingState] = []
    controller.subscribe(lambda kind, p: states.append(p) if kind == "recording" else None)
    await controller.start_recording(tmp_path, "720p", WORDS, microphone=True)
    assert media.made == [] and not controller.recording.state.active
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.recording.state.active)
    first = controller.recording.state.path
    assert [c[0] for c in media.current.recording_calls] == ["start"]
    assert media.current.recording_calls[0][2:] == ("720p", "microphone")
    assert first.startswith(str(tmp_path))
    Path(first).touch()  # noqa: ASYNC240 - the engine has made the file by now
    media.current.emit(RecordingStatus(active=True, path=first, seconds=1.0, bytes=10))
    assert states[-1].seconds == 1.0
    # The service ends the session: its file ends; the retry's new session gets a new file.
    media.current.emit(Disconnected(gen=media.current.generation, reason="SERVER_SHUTDOWN"))
    await until(lambda: len(provider.started) == 2 and controller.recording.state.active)
    calls = [c[0] for c in media.current.recording_calls]
    assert calls == ["start", "stop", "start"]
    assert media.current.recording_calls[-1][-1] == "microphone"  # the wish, kept whole
    assert controller.recording.state.path != first
    await controller.stop_recording()
    assert not controller.recording.state.active
    await controller.close()
    assert [c[0] for c in media.current.recording_calls] == ["start", "stop", "start", "stop"]


async def test_stop_ends_the_file_and_nothing_records_after(tmp_path: Path) -> None:
    controller, _provider, media, _changes = make()
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    await controller.start_recording(tmp_path, "source", WORDS)
    assert controller.recording.state.active
    await controller.stop()
    assert not controller.recording.state.active
    assert [c[0] for c in media.current.recording_calls] == ["start", "stop"]
    await controller.close()

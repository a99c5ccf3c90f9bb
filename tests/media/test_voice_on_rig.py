"""Real audio through PulseAudio virtual devices: the user's voice reaches the avatar, the
avatar's voice reaches the speaker, and a missing microphone leaves text chat working."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.core.transcript_export import ExportWords
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from avatar_desktop.rig.avatar.vad import VoiceActivityDetector
from tests.media.recording.probe import probe
from tests.pulse_harness import Pulse
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e
S = SessionState


CURRENT: list[SessionController] = []


async def until(predicate: Callable[[], bool], timeout_s: float = 30) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():  # noqa: ASYNC110 - polling the controller's state
                await asyncio.sleep(0.05)
    except TimeoutError:
        journal = "\n".join(e.text for c in CURRENT for e in list(c.journal.entries)[-25:])
        raise AssertionError(f"timed out; journal:\n{journal}") from None


@pytest.fixture
async def controller(rig: RigHandle, pulse: Pulse) -> AsyncIterator[SessionController]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)

    def media(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        return MediaEngine(on_event)

    c = SessionController(provider, media, SessionSettings(quality="low"))
    CURRENT[:] = [c]
    yield c
    await c.close()
    await provider.aclose()


def voiced_segments(pcm: npt.NDArray[np.int16]) -> list[tuple[float, float]]:
    """(start, end) in seconds of what the rig's VAD hears in ``pcm``."""
    vad = VoiceActivityDetector()
    padded = np.concatenate([pcm, np.zeros(48000, np.int16)])
    for start in range(0, padded.size - 479, 480):
        vad.feed(padded[start : start + 480])
    return [(s.started_s, s.ended_s) for s in vad.segments]


def voiced_seconds(pcm: npt.NDArray[np.int16]) -> float:
    return sum(end - start for start, end in voiced_segments(pcm))


async def test_spoken_words_reach_the_avatar_with_their_length(
    controller: SessionController, rig: RigHandle, pulse: Pulse
) -> None:
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True)
    speech = SpeechSynthesizer().synthesize(
        "Hello avatar, I am speaking into a virtual microphone, can you hear me well today?"
    )
    expected = voiced_seconds(speech)
    assert expected >= 3.0
    spoke_at = time.monotonic()
    pulse.mic.say(speech)
    await until(lambda: controller.status.user_speaking, 15)
    await until(lambda: not pulse.mic.speaking and not controller.status.user_speaking, 30)
    sid = controller.grant.session_id if controller.grant else ""
    rig.wait_until(  # the avatar reports its counters twice a second
        lambda s: any(x["session_id"] == sid and x["avatar"]["speech_durations_s"]
                      for x in s["sessions"]), 5)  # fmt: skip
    durations = rig.session(sid)["avatar"]["speech_durations_s"]
    assert len(durations) == 1, durations
    assert abs(durations[0] - expected) <= 0.2 * expected, (durations, expected)
    assert controller.status.mic_level_dbfs is not None
    # The avatar answers what it heard, and its voice comes out of the speaker.
    await until(lambda: controller.status.avatar_speaking, 15)
    since_speech_began_ms = (time.monotonic() - spoke_at) * 1000
    reply = controller.status.reply  # measured from the end of the speech (user.speak_ended)
    assert reply is not None and reply.after == "speech"
    assert reply.ms < since_speech_began_ms - 0.8 * expected * 1000, (reply, expected)
    played = pulse.record_speaker(1.5)
    rms = float(np.sqrt(np.mean(played.astype(np.float64) ** 2)))
    assert rms > 300, f"the speaker was silent (RMS {rms:.0f})"


async def test_no_microphone_is_explained_and_text_still_works(
    controller: SessionController, pulse: Pulse
) -> None:
    controller.voice.input_device = 4242  # no such device
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is False)
    assert controller.status.microphone_error
    await controller.send_text("Typing still works", "repeat")
    await until(lambda: any(ln.speaker == "avatar" for ln in controller.conversation.lines))
    # Choosing a real device brings the microphone back without a new session.
    session_id = controller.grant.session_id if controller.grant else None
    await controller.choose_devices(None, None)
    await until(lambda: controller.status.microphone is True, 10)
    assert controller.grant is not None and controller.grant.session_id == session_id


async def test_push_to_talk_opens_the_microphone_only_while_held(
    controller: SessionController, rig: RigHandle, pulse: Pulse
) -> None:
    controller.voice.push_to_talk = True
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True)
    sid = controller.grant.session_id if controller.grant else ""
    speech = SpeechSynthesizer().synthesize("This should not be heard by anyone at all.")
    pulse.mic.say(speech)
    await until(lambda: not pulse.mic.speaking, 15)
    await asyncio.sleep(1.0)
    assert rig.session(sid)["avatar"]["speech_segments"] == 0, "a muted mic was heard"
    await controller.push_to_talk(True)
    pulse.mic.say(SpeechSynthesizer().synthesize("Now I am holding the button and talking."))
    await until(lambda: not pulse.mic.speaking, 15)
    await controller.push_to_talk(False)
    counters = rig.wait_until(
        lambda s: any(x["session_id"] == sid and x["avatar"]["speech_segments"] >= 1
                      for x in s["sessions"]), 10)  # fmt: skip
    assert counters["active_sessions"] == 1
    commands = rig.session(sid)["avatar"]["commands_received"]
    assert commands.get("user.start_push_to_talk") == 1
    assert commands.get("user.stop_push_to_talk") == 1


LONG_TEXT = (
    "This is the avatar speaking for a good while, so that the echo canceller has time to "
    "learn the room. The speaker output is looped straight back into the microphone, which "
    "is the worst case a laptop can offer, and the user says nothing at all meanwhile."
)


@pytest.mark.parametrize("echo_cancellation", [True, False], ids=["aec-on", "aec-off"])
async def test_echo_of_the_avatar_is_cancelled(
    controller: SessionController, rig: RigHandle, pulse: Pulse, echo_cancellation: bool
) -> None:
    controller.voice.echo_cancellation = echo_cancellation
    with pulse.speaker_looped_into_microphone():
        await controller.start()
        await until(lambda: controller.state is S.LIVE and controller.status.microphone is True)
        sid = controller.grant.session_id if controller.grant else ""
        await controller.send_text(LONG_TEXT, "repeat")
        await until(lambda: controller.status.avatar_speaking, 15)
        per_second: list[tuple[float, float, float]] = []
        for _ in range(8):
            stats = controller.media_stats
            per_second.append(tuple(stats.get(f"mic_energy_{k}", 0.0) for k in ENERGIES))
            await asyncio.sleep(1.0)
        (in0, _, out0), (in1, _, out1) = per_second[2], per_second[-1]
        erle_db = 10 * np.log10(max(in1 - in0, 1.0) / max(out1 - out0, 1.0))
        curve = _erle_per_second(per_second, 2)
        canceller_curve = _erle_per_second(per_second, 1)  # before the gate
        if echo_cancellation:  # without it, its own echo interrupts it (FULL mode's barge-in)
            assert controller.status.avatar_speaking, (
                f"the avatar stopped before the end; ERLE per second {curve}; "
                f"{_echo_figures(controller.media_stats)}"
            )
        print(f"\nERLE aec={echo_cancellation}: {erle_db:.1f} dB over 5 s; per second {curve}")
        await until(lambda: not controller.status.avatar_speaking, 30)
        await asyncio.sleep(3.0)  # the avatar's VAD closes a segment after 0.8 s of silence
        heard = rig.session(sid)["avatar"]["speech_segments"]  # (counters are 0.5 s fresh)
        heard_s = rig.session(sid)["avatar"]["speech_durations_s"]
        figures = _echo_figures(controller.media_stats)
        print("segments heard:", heard_s, figures)
    if echo_cancellation:
        assert erle_db >= 25, (
            f"ERLE {erle_db:.1f} dB; per second {curve}, after the canceller {canceller_curve}"
        )
        assert heard == 0, (
            f"the avatar heard its own voice through the echo for {heard_s} s; ERLE per second "
            f"published {curve}, after the canceller {canceller_curve}; {figures}"
        )
    else:
        assert erle_db < 10
        assert heard >= 1, "without echo cancellation the echo should have been heard"


ENERGIES = ("in", "aec", "out")  # the microphone's energy before, after the canceller, published


def _erle_per_second(per_second: list[tuple[float, float, float]], after: int) -> list[float]:
    """Each second's ERLE: the energy before processing over the energy at stage ``after``."""
    return [
        round(float(10 * np.log10(max(b[0] - a[0], 1.0) / max(b[after] - a[after], 1.0))), 1)
        for a, b in itertools.pairwise(per_second)
    ]


def _echo_figures(stats: dict[str, object]) -> dict[str, object]:
    """What says why an echo got through: the device's underflows, the canceller's delay."""
    keys = ("speaker_underflows", "mic_overflows", "mic_delay_ms", "mic_render_lead_ms",
            "mic_capture_lag_ms", "mic_gated", "mic_warmup_gated", "mic_echo_path_breaks",
            "mic_converged_s")  # fmt: skip
    return {key: stats.get(key) for key in keys}


async def test_unplugged_microphone_is_explained_and_a_replug_recovers(
    controller: SessionController, pulse: Pulse
) -> None:
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True)
    session_id = controller.grant.session_id if controller.grant else None
    with pulse.microphone_unplugged():
        await until(lambda: controller.status.microphone is False, 15)
        assert "stopped delivering audio" in controller.status.microphone_error
        await controller.send_text("Still typing", "repeat")
    await until(lambda: controller.status.microphone is True, 20)
    assert controller.state is S.LIVE
    assert controller.grant is not None and controller.grant.session_id == session_id


async def test_a_recording_with_the_microphone_has_the_users_words_where_they_were_said(
    controller: SessionController, pulse: Pulse, tmp_path: Path
) -> None:
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True)
    words = ExportWords(user="You", avatar="Avatar", title="")
    await controller.start_recording(tmp_path, "720p", words, microphone=True)
    await until(lambda: controller.recording.state.active, 10)
    began = time.monotonic()
    await asyncio.sleep(2.0)
    speech = SpeechSynthesizer().synthesize("Hello avatar, this is me, speaking to be recorded.")
    said_at = time.monotonic() - began
    pulse.mic.say(speech)
    await until(lambda: controller.status.avatar_speaking, 20)  # it answers
    await asyncio.sleep(2.0)
    await controller.stop_recording()
    path = Path(controller.recording.state.path)
    sound = np.clip(probe(path).audio * 32768, -32768, 32767).astype(np.int16)
    segments = voiced_segments(sound)
    print(f"\nsaid at {said_at:.2f} s for {voiced_seconds(speech):.2f} s; file: {segments}")
    # The user's words (the avatar was silent then), near where they were said: the file's
    # zero is its first frame, a few frames after the recording began.
    mine = [s for s in segments if abs(s[0] - said_at) <= 0.6]
    assert mine and mine[0][1] - mine[0][0] >= 0.6 * voiced_seconds(speech), segments
    assert any(s[0] > mine[0][1] for s in segments), segments  # and then the avatar's answer

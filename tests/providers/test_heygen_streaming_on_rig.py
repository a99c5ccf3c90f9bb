"""v1 voice through the app, as a user has it: speech into the virtual microphone goes over the
transport the official SDK uses for LiveKit (``ia_is_livekit_transport``), and the service's
``user_start``/``user_stop`` come back on the voice-chat websocket; push-to-talk likewise."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from avatar_desktop.core.events import AvatarEvent, SpeechActivity
from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.heygen_streaming import HeygenStreamingProvider
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from tests.pulse_harness import Pulse
from tests.rig_harness import RigHandle

pytestmark = pytest.mark.e2e
S = SessionState
SPEECH = "Good morning, I am asking the older streaming avatar something by voice."


@pytest.fixture
async def controller(rig: RigHandle, pulse: Pulse) -> AsyncIterator[SessionController]:
    provider = HeygenStreamingProvider(rig.api_key, base_url=rig.base_url)

    def media(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        return MediaEngine(on_event)

    c = SessionController(provider, media, SessionSettings(avatar_id="demo-avatar", quality="low"))
    yield c
    await c.close()
    await provider.aclose()


def user_speech(controller: SessionController) -> list[bool]:
    said: list[bool] = []

    def on(kind: str, payload: object) -> None:
        if isinstance(payload, SpeechActivity) and payload.speaker == "user":
            said.append(payload.speaking)

    controller.subscribe(on)
    return said


async def until(predicate: Callable[[], bool], controller: SessionController, t: float) -> None:
    try:
        async with asyncio.timeout(t):
            while not predicate():  # noqa: ASYNC110 - polling the controller
                await asyncio.sleep(0.05)
    except TimeoutError:
        journal = "\n".join(e.text for e in list(controller.journal.entries)[-25:])
        raise AssertionError(f"timed out; journal:\n{journal}") from None


async def test_speech_into_the_microphone_comes_back_as_user_start_and_stop(
    controller: SessionController, rig: RigHandle, pulse: Pulse
) -> None:
    said = user_speech(controller)
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True,
                controller, 30)  # fmt: skip
    sid = controller.grant.session_id if controller.grant else ""
    session = rig.session(sid)
    await until(lambda: rig.session(sid)["voice_chats"] == 1, controller, 5)
    assert session["avatar"]["commands_received"] == {}
    pulse.mic.say(SpeechSynthesizer().synthesize(SPEECH))
    await until(lambda: said == [True, False], controller, 30)
    assert not controller.status.user_speaking
    stopped_at = time.monotonic()
    await until(lambda: controller.status.avatar_speaking, controller, 15)  # it answers
    reply = controller.status.reply  # from v1's user_stop to the avatar's first words
    assert reply is not None and reply.after == "speech"
    assert reply.ms <= (time.monotonic() - stopped_at) * 1000 + 1000


async def test_push_to_talk_goes_over_livekit_and_the_socket_says_the_speech(
    controller: SessionController, rig: RigHandle, pulse: Pulse
) -> None:
    said = user_speech(controller)
    answered: list[AvatarEvent] = []
    controller.subscribe(
        lambda kind, p: (
            answered.append(p)
            if kind == "avatar_event" and p == SpeechActivity("avatar", True)
            else None
        )
    )
    controller.voice.push_to_talk = True
    await controller.start()
    await until(lambda: controller.state is S.LIVE and controller.status.microphone is True,
                controller, 30)  # fmt: skip
    sid = controller.grant.session_id if controller.grant else ""
    await until(lambda: rig.session(sid)["voice_chats"] == 1, controller, 5)
    await controller.push_to_talk(True)
    await until(lambda: rig.session(sid)["avatar"]["push_to_talk_active"], controller, 5)
    pulse.mic.say(SpeechSynthesizer().synthesize(SPEECH))
    await until(lambda: said == [True, False], controller, 30)
    await asyncio.sleep(0.5)
    assert not answered, "the avatar answered while the button was still held"
    await controller.push_to_talk(False)
    await until(lambda: bool(answered), controller, 15)
    both = {"user.start_push_to_talk": 1, "user.stop_push_to_talk": 1}
    # the avatar reports its counters twice a second
    await until(lambda: rig.session(sid)["avatar"]["commands_received"] == both, controller, 3)

"""The reply latency: the user's turn end → the avatar's first speaking event, on a monotonic
clock, measured by the core (the timer alone, then the controller with the fakes)."""

from __future__ import annotations

import pytest

from avatar_desktop.core.conversation import Conversation
from avatar_desktop.core.events import TranscriptPiece
from avatar_desktop.core.media_port import DataReceived
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.reply_latency import ReplyLatency, ReplyTimer
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from tests.core.fakes import FakeProvider, MediaFactory
from tests.core.test_session_controller import FAST, until


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_timer_measures_from_the_latest_turn_end_once() -> None:
    clock = SteppedClock()
    timer = ReplyTimer(clock)
    assert timer.avatar_started() is None  # a greeting answers nothing
    timer.turn_ended("message")
    clock.now += 0.5
    timer.turn_ended("speech")  # the user spoke after typing: the answer is to that
    clock.now += 0.8125
    assert timer.avatar_started() == ReplyLatency(812, "speech")
    clock.now += 3
    assert timer.avatar_started() is None  # the avatar's next sentence is not a new reply
    timer.turn_ended("message")
    timer.forget()  # the session ended
    assert timer.avatar_started() is None


def test_the_reply_is_said_on_the_avatars_answer_whichever_comes_first() -> None:
    conversation = Conversation()
    conversation.add(TranscriptPiece("avatar", "Hello, I am the demo", final=True))
    conversation.said_by_user("How are you?")
    conversation.turn_ended()
    conversation.replied_in(640)  # the voice before the words: the next line carries it
    conversation.add(TranscriptPiece("avatar", "Fine, thanks", final=True))
    conversation.said_by_user("And now?")
    conversation.turn_ended()
    conversation.add(TranscriptPiece("avatar", "Still fine", final=True))
    conversation.replied_in(910)  # the words before the voice: on the line already shown
    assert [(ln.text, ln.reply_ms) for ln in conversation.lines] == [
        ("Hello, I am the demo", None),
        ("How are you?", None),
        ("Fine, thanks", 640),
        ("And now?", None),
        ("Still fine", 910),
    ]


@pytest.mark.usefixtures("strict_loop")
async def test_the_controller_measures_a_message_and_the_end_of_speech() -> None:
    clock = SteppedClock()
    media = MediaFactory()
    controller = SessionController(
        FakeProvider(), media, SessionSettings(avatar_id="a-1"), timing=FAST, monotonic=clock
    )
    journal: list[str] = []
    controller.subscribe(lambda kind, p: journal.append(p.text) if kind == "journal" else None)

    def service_says(data: bytes) -> None:
        media.current.emit(DataReceived(gen=media.current.generation, identity="agent",
                                        topic="events", data=data))  # fmt: skip

    assert await controller.start()
    await until(lambda: controller.state is SessionState.LIVE)
    service_says(b"speech:avatar:on")  # the greeting: no turn to answer
    service_says(b"speech:avatar:off")
    assert controller.status.reply is None

    await controller.send_text("hello", "talk")
    clock.now += 1.234
    service_says(b"speech:avatar:on")
    assert controller.status.reply == ReplyLatency(1234, "message")
    service_says(b"said:avatar:Hi there")
    assert controller.conversation.lines[-1].reply_ms == 1234
    service_says(b"speech:avatar:off")

    service_says(b"speech:user:on")
    clock.now += 2.0  # the user talks for two seconds: not part of the reply
    service_says(b"speech:user:off")
    clock.now += 0.4
    service_says(b"speech:avatar:on")
    assert controller.status.reply == ReplyLatency(400, "speech")
    assert "reply latency: the avatar spoke 400 ms after the end of your speech" in journal
    await controller.close()


@pytest.mark.usefixtures("strict_loop")
async def test_a_turn_of_an_ended_session_is_not_answered_by_the_next() -> None:
    clock = SteppedClock()
    media = MediaFactory()
    controller = SessionController(
        FakeProvider(), media, SessionSettings(avatar_id="a-1"), timing=FAST, monotonic=clock
    )
    assert await controller.start()
    await until(lambda: controller.state is SessionState.LIVE)
    await controller.send_text("are you there?", "talk")
    await controller.stop()
    assert await controller.start()
    await until(lambda: controller.state is SessionState.LIVE)
    clock.now += 30
    media.current.emit(DataReceived(gen=media.current.generation, identity="agent",
                                    topic="events", data=b"speech:avatar:on"))  # fmt: skip
    assert controller.status.reply is None
    await controller.close()

"""The session's logic on a scripted media port and a fake provider: each defect found by hand
(issue 14) as a test that runs in milliseconds without root. The rig tests keep the end-to-end
claims (tests/core/test_session_controller_on_rig.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind
from avatar_desktop.core.events import SpeechActivity
from avatar_desktop.core.ledger import SessionLedger
from avatar_desktop.core.media_port import (
    DataReceived,
    Disconnected,
    MediaCommandFailed,
    QualityChanged,
    Reconnecting,
)
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.retry import RetryPolicy
from avatar_desktop.core.session_controller import SessionController, Timing
from avatar_desktop.core.session_state import SessionState, StateChange
from avatar_desktop.core.unstopped_sessions import StopRetryPolicy, UnstoppedSessions
from tests.core.fakes import FakeProvider, MediaFactory, MediaScript, ProviderScript

S = SessionState
pytestmark = pytest.mark.usefixtures("strict_loop")
FAST = Timing(first_frame_deadline_s=0.2, connect_timeout_s=0.5, resume_timeout_s=0.5,
              keep_alive_s=60, stop_timeout_s=0.2)  # fmt: skip


def make(
    provider: FakeProvider | None = None,
    media: MediaFactory | None = None,
    *,
    retry: RetryPolicy | None = None,
    ledger: SessionLedger | None = None,
    settings: SessionSettings | None = None,
    clock: Callable[[], float] | None = None,
) -> tuple[SessionController, FakeProvider, MediaFactory, list[StateChange]]:
    provider = provider or FakeProvider()
    media = media or MediaFactory()
    controller = SessionController(
        provider, media, settings or SessionSettings(avatar_id="a-1"), timing=FAST,
        retry=retry or RetryPolicy(base_delay_s=0.01, max_delay_s=0.02, max_attempts=3),
        ledger=ledger, clock=clock or time.time,
    )  # fmt: skip
    changes: list[StateChange] = []
    controller.subscribe(lambda kind, p: changes.append(p) if kind == "state" else None)
    return controller, provider, media, changes


async def until(predicate: Callable[[], bool], timeout_s: float = 2.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 - polling the controller's state
            await asyncio.sleep(0.002)


def path(changes: list[StateChange]) -> list[str]:
    return [c.new.value for c in changes]


async def test_happy_path_live_then_stop_leaves_nothing_open() -> None:
    controller, provider, _media, changes = make()
    assert await controller.start()
    await until(lambda: controller.state is S.LIVE)
    await controller.close()
    assert path(changes) == ["creating_session", "connecting", "waiting_for_avatar", "live",
                             "ending", "idle"]  # fmt: skip
    assert provider.stopped == ["s1"] and not provider.open


async def test_while_reconnecting_the_connection_is_not_said_to_be_excellent() -> None:
    controller, _provider, media, _changes = make()
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    media.current.emit(QualityChanged(gen=media.current.generation, quality="excellent"))
    media.current.emit(Reconnecting(gen=media.current.generation))
    await until(lambda: controller.state is S.RECONNECTING)
    assert controller.status.quality == "lost"
    await controller.close()


async def test_double_start_is_one_run_and_one_session() -> None:
    controller, provider, _media, _changes = make()
    assert await controller.start()
    assert not await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert not await controller.start()
    await controller.close()
    assert len(provider.started) == 1


async def test_start_during_the_ledger_sweep_is_refused_and_stop_creates_no_session(
    tmp_path: object,
) -> None:
    from pathlib import Path

    ledger = SessionLedger(Path(str(tmp_path)) / "open.json")
    ledger.opened("fake", "orphan")
    provider = FakeProvider(ProviderScript(stop_by_id_delay_s=0.1))
    provider.open.add("orphan")
    controller, provider, _media, changes = make(provider, ledger=ledger)
    assert await controller.start()
    await asyncio.sleep(0.02)
    assert controller.state is S.IDLE  # still stopping the orphan
    assert not await controller.start()  # the old bug: queued a second run
    await controller.stop()
    await asyncio.sleep(0.05)
    assert provider.started == []  # Stop meant: no new billed session
    assert "orphan" in provider.stopped and ledger.pending("fake") == []
    assert controller.state is S.IDLE and not controller.running
    assert "creating_session" not in path(changes)


async def test_stop_during_backoff_ends_at_once_in_idle() -> None:
    provider = FakeProvider(ProviderScript(
        start_errors=[AvatarServiceError(ErrorKind.SERVER_ERROR, "boom", 500)]))  # fmt: skip
    slow = RetryPolicy(base_delay_s=30, max_delay_s=30, max_attempts=3, jitter=0)
    controller, provider, _media, changes = make(provider, retry=slow)
    await controller.start()
    await until(lambda: controller.view().retrying)
    assert controller.view().can_stop and not controller.view().can_start
    async with asyncio.timeout(1):
        await controller.stop()
    assert controller.state is S.IDLE and not controller.running
    assert path(changes)[-1] == "idle" and provider.started == []


async def test_a_late_disconnect_of_the_old_room_cannot_fail_the_new_session() -> None:
    # The first session ends (the service ended it); the old room's "disconnected" arrives
    # while the new session is being created. It used to carry the current generation.
    provider = FakeProvider(ProviderScript(start_delay_s=0.05))
    media = MediaFactory(MediaScript(late_disconnect_s=0.02))
    controller, provider, media, _changes = make(provider, media)
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    first_gen = media.current.generation
    media.current.emit(Disconnected(gen=first_gen, reason="SERVER_SHUTDOWN"))
    await until(lambda: len(provider.started) == 2 and controller.state is S.LIVE)
    await asyncio.sleep(0.1)  # the straggler has arrived by now
    assert controller.state is S.LIVE and len(provider.started) == 2
    assert media.current.generation != first_gen
    await controller.close()


async def test_engine_start_failure_is_a_failure_with_words_and_the_session_is_stopped() -> None:
    media = MediaFactory(MediaScript(start_failures=1))
    controller, provider, media, changes = make(media=media)
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert "failed" in path(changes)
    failed = next(c for c in changes if c.new is S.FAILED)
    assert "media_engine" in failed.cause
    assert provider.stopped == ["s1"]  # the session made before the engine failed
    await controller.close()
    assert not provider.open


async def test_engine_that_never_starts_gives_up_with_words_and_nothing_open() -> None:
    media = MediaFactory(MediaScript(start_failures=99))
    controller, provider, _media, _changes = make(media=media)
    await controller.start()
    await until(lambda: not controller.running)
    view = controller.view()
    assert view.state is S.FAILED and view.error is ErrorKind.MEDIA_ENGINE and view.gave_up
    assert view.can_start and not view.can_stop
    assert not provider.open and len(provider.started) == 3
    await controller.close()


async def test_connect_refused_by_a_dead_engine_is_a_failure_not_a_stuck_state() -> None:
    media = MediaFactory(MediaScript(connect_error=ConnectionError("the media engine is gone")))
    controller, provider, media, _changes = make(media=media)
    await controller.start()
    await until(lambda: controller.last_error is not None)
    assert controller.last_error is not None
    assert controller.last_error.kind is ErrorKind.MEDIA_ENGINE
    media.script.connect_error = None
    await until(lambda: controller.state is S.LIVE)
    await controller.close()
    assert not provider.open


async def test_an_unforeseen_error_is_failed_with_words_not_a_stuck_state() -> None:
    provider = FakeProvider(ProviderScript(start_errors=[KeyError("session_id")]))
    controller, provider, _media, _changes = make(provider)
    await controller.start()
    await until(lambda: not controller.running)
    view = controller.view()
    assert view.state is S.FAILED and view.error is ErrorKind.INTERNAL
    assert view.can_start and "diagnostics" in controller.status.message.lower()
    assert await controller.start()  # the user can try again
    await until(lambda: controller.state is S.LIVE)
    await controller.close()


async def test_a_failed_stop_is_retried_in_the_background_until_confirmed(tmp_path: object) -> None:
    from pathlib import Path

    ledger = SessionLedger(Path(str(tmp_path)) / "open.json")
    provider = FakeProvider(ProviderScript(stop_failures=3))
    retry_stops = StopRetryPolicy(first_delay_s=0.01, max_delay_s=0.02)
    unstopped = UnstoppedSessions(ledger, lambda _t: None, policy=retry_stops)
    controller = SessionController(provider, MediaFactory(), SessionSettings(avatar_id="a-1"),
                                   timing=FAST, unstopped=unstopped)  # fmt: skip
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    await controller.stop()
    assert controller.state is S.IDLE
    assert ledger.pending("fake") == ["s1"] and unstopped.pending == 1
    await until(lambda: unstopped.pending == 0)
    assert provider.stopped == ["s1"] and ledger.pending("fake") == []
    assert unstopped.stopped_later == 1
    await controller.close()


async def test_send_text_failure_reaches_the_caller() -> None:
    media = MediaFactory()
    controller, _provider, media, _changes = make(media=media)
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    media.script.send_error = MediaCommandFailed("send_data: the room is closed")
    with pytest.raises(MediaCommandFailed):
        await controller.send_text("hello", "talk")
    media.script.send_error = None
    await controller.send_text("hello again", "repeat")
    assert media.current.sent[-1] == (b"hello again", "chat")
    await controller.close()


@pytest.mark.parametrize("chosen", ["", "a-1"], ids=["none chosen: the first", "chosen"])
async def test_the_avatar_is_named_from_the_accounts_list(chosen: str) -> None:
    """None chosen: the account's first, and the window says which; chosen: its name looked
    up for the window and the files it names."""
    controller, provider, _media, _changes = make(settings=SessionSettings(avatar_id=chosen))
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert provider.started[0].avatar_id == "a-1"
    assert controller.view().avatar_name == "Anna"
    await controller.close()


async def test_a_chosen_avatar_the_list_cannot_name_still_starts() -> None:
    provider = FakeProvider(ProviderScript(avatars=[("other", "Olga")]))
    controller, provider, _media, _changes = make(
        provider, settings=SessionSettings(avatar_id="a-9")
    )
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert provider.started[0].avatar_id == "a-9" and controller.view().avatar_name == ""
    await controller.close()


async def test_an_account_without_avatars_is_terminal_with_words() -> None:
    provider = FakeProvider(ProviderScript(avatars=[]))
    controller, provider, _media, _changes = make(provider, settings=SessionSettings(avatar_id=""))
    await controller.start()
    await until(lambda: not controller.running)
    assert controller.view().error is ErrorKind.AVATAR_NOT_FOUND
    assert provider.started == []
    await controller.close()


async def test_the_retry_countdown_comes_from_the_core() -> None:
    now = [1000.0]
    provider = FakeProvider(ProviderScript(
        start_errors=[AvatarServiceError(ErrorKind.RATE_LIMITED, "slow down", 429)]))  # fmt: skip
    slow = RetryPolicy(base_delay_s=30, max_delay_s=30, max_attempts=3, jitter=0)
    controller, _provider, _media, _changes = make(provider, retry=slow, clock=lambda: now[0])
    await controller.start()
    await until(lambda: controller.view().retrying)
    view = controller.view()
    assert view.retry_in_s(now[0]) == 30 and view.attempt == 2 and view.max_attempts == 3
    assert view.retry_in_s(now[0] + 12) == 18
    await controller.stop()


async def test_a_broken_listener_does_not_break_the_session() -> None:
    controller, _provider, _media, _changes = make()

    def broken(kind: str, _payload: object) -> None:
        if kind == "state":
            raise RuntimeError("a view bug")

    controller.subscribe(broken)
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    await controller.close()
    assert controller.state is S.IDLE


async def test_stop_while_the_session_is_being_created_stops_it_without_joining() -> None:
    provider = FakeProvider(ProviderScript(start_delay_s=0.1))
    controller, provider, media, changes = make(provider)
    await controller.start()
    await until(lambda: controller.state is S.CREATING_SESSION)
    await controller.stop()
    assert controller.state is S.IDLE
    assert provider.stopped == ["s1"] and not provider.open
    assert media.made == [] and "connecting" not in path(changes)


async def test_an_avatar_that_needs_a_rejoin_goes_live_in_the_same_session() -> None:
    timing = Timing(first_frame_deadline_s=0.4, rejoin_after_s=0.1, connect_timeout_s=0.5)
    media = MediaFactory(MediaScript(arrivals=[False, True]))
    controller, provider, media, changes = make(media=media)
    controller.timing = timing
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert len(provider.started) == 1 and "failed" not in path(changes)
    assert len(media.current.connects) == 2  # joined, then rejoined the same room
    assert any("rejoining the same room" in e.text for e in controller.journal.entries)
    await controller.close()


async def test_an_avatar_that_never_comes_costs_a_new_session_only_after_the_deadline() -> None:
    timing = Timing(first_frame_deadline_s=0.3, rejoin_after_s=0.1, connect_timeout_s=0.5)
    media = MediaFactory(MediaScript(arrivals=[False, False, True]))
    controller, provider, media, _changes = make(media=media)
    controller.timing = timing
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert len(provider.started) == 2 and provider.stopped[0] == "s1"
    await controller.close()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("NO_CREDITS", ErrorKind.NO_CREDITS), ("MAX_DURATION_REACHED", ErrorKind.SESSION_LIMIT),
     ("AVATAR_DELETED", ErrorKind.AVATAR_NOT_FOUND), ("IDLE_TIMEOUT", ErrorKind.IDLE_ENDED),
     ("USER_CLOSED", ErrorKind.CLOSED_ELSEWHERE)],
)  # fmt: skip
async def test_a_session_the_service_ended_for_good_is_never_retried(
    reason: str, kind: ErrorKind
) -> None:
    controller, provider, media, _changes = make()
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    gen = media.current.generation
    media.current.emit(DataReceived(gen=gen, identity="agent", topic="t",
                                    data=f"stopped:{reason}".encode()))  # fmt: skip
    await until(lambda: not controller.running)
    view = controller.view()
    assert view.state is S.FAILED and view.error is kind and not view.retrying
    assert len(provider.started) == 1  # zero new sessions
    await controller.close()


async def test_a_session_ended_by_a_server_error_gets_one_new_session() -> None:
    controller, provider, media, _changes = make()
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    gen = media.current.generation
    media.current.emit(DataReceived(gen=gen, identity="agent", topic="t",
                                    data=b"stopped:SERVER_ERROR"))  # fmt: skip
    await until(lambda: len(provider.started) == 2 and controller.state is S.LIVE)
    await controller.close()


async def test_the_services_retry_after_is_honoured() -> None:
    now = [50.0]
    error = AvatarServiceError(ErrorKind.RATE_LIMITED, "429", 429, retry_after_s=7.0)
    provider = FakeProvider(ProviderScript(start_errors=[error]))
    quick = RetryPolicy(base_delay_s=0.01, max_delay_s=0.02, max_attempts=3)
    controller, _provider, _media, _changes = make(provider, retry=quick, clock=lambda: now[0])
    await controller.start()
    await until(lambda: controller.view().retrying)
    assert controller.view().retry_in_s(now[0]) == 7  # not our own 10 ms
    await controller.stop()


async def test_a_room_that_went_away_is_not_retried_when_the_service_says_why() -> None:
    provider = FakeProvider(ProviderScript(end_reasons={"s1": "NO_CREDITS"}))
    controller, provider, media, _changes = make(provider)
    await controller.start()
    await until(lambda: controller.state is S.LIVE)
    media.current.emit(Disconnected(gen=media.current.generation, reason="ROOM_DELETED"))
    await until(lambda: not controller.running)
    assert controller.view().error is ErrorKind.NO_CREDITS
    assert len(provider.started) == 1
    await controller.close()


async def test_push_to_talk_is_the_sessions_mode_and_otherwise_only_gates_the_mic() -> None:
    controller, provider, media, _changes = make()
    controller.voice.push_to_talk = True
    assert await controller.start()
    await until(lambda: controller.state is S.LIVE)
    assert provider.started[-1].push_to_talk is True  # asked of the service with the session
    await controller.push_to_talk(True)
    await controller.push_to_talk(False)
    assert provider.push_to_talk_calls == [True, False]
    await controller.stop()
    await until(lambda: controller.state is S.IDLE)
    controller.voice.push_to_talk = False
    assert await controller.start()
    await until(lambda: controller.state is S.LIVE)
    await controller.set_push_to_talk_mode(True)  # switched on mid-session: the mic only
    await controller.push_to_talk(True)
    await controller.push_to_talk(False)
    assert provider.push_to_talk_calls == [True, False], "a conversation session was sent PTT"
    assert media.current.muted[-1] is True
    await controller.close()


async def test_the_channel_outside_the_room_delivers_events_and_its_loss_is_not_a_failure() -> None:
    script = ProviderScript(
        outside_events=[SpeechActivity("user", True)],
        listen_errors=[AvatarServiceError(ErrorKind.NETWORK, "the voice-chat socket failed")],
    )
    controller, provider, _media, changes = make(FakeProvider(script))
    assert await controller.start()
    await until(lambda: controller.status.user_speaking, 3.0)  # after one failed open, 1 s
    assert provider.listens == 2
    assert controller.state is S.LIVE and "failed" not in path(changes)
    assert any("voice-chat socket failed" in e.text for e in controller.journal.entries)
    await controller.close()

"""The session state machine on the real pieces: LiveAvatar provider (httpx) and the media engine
(livekit SDK in its child process) against the rig, faults included. Whole transition sequences
are asserted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from avatar_desktop.core.errors import ErrorKind
from avatar_desktop.core.events import SpeechActivity, TranscriptPiece
from avatar_desktop.core.ledger import SessionLedger
from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.retry import RetryPolicy
from avatar_desktop.core.session_controller import SessionController, Timing
from avatar_desktop.core.session_state import SessionState, StateChange
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.heygen_streaming import HeygenStreamingProvider
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar.brain import greeting, long_answer, reply_to
from avatar_desktop.rig.sessions import DEMO_AVATAR_EN
from tests.rig_harness import RIG_NETNS, RigHandle, running_rig

pytestmark = pytest.mark.e2e
S = SessionState
HAPPY = [S.CREATING_SESSION, S.CONNECTING, S.WAITING_FOR_AVATAR, S.LIVE]


class Harness:
    def __init__(self, controller: SessionController) -> None:
        self.controller = controller
        self.changes: list[StateChange] = []
        self.engines: list[MediaEngine] = []
        controller.subscribe(self._on)

    def _on(self, kind: str, payload: Any) -> None:
        if kind == "state":
            self.changes.append(payload)

    @property
    def states(self) -> list[SessionState]:
        return [c.new for c in self.changes]

    async def until(self, predicate: Callable[[], bool], timeout_s: float = 30) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate():  # noqa: ASYNC110 - the controller notifies no future
                    await asyncio.sleep(0.05)
        except TimeoutError:
            journal = "\n".join(e.text for e in list(self.controller.journal.entries)[-40:])
            raise AssertionError(f"timed out in {self.states}; journal:\n{journal}") from None

    async def until_state(self, state: SessionState, timeout_s: float = 30) -> None:
        await self.until(lambda: self.controller.state is state, timeout_s)


@pytest.fixture
async def harness(rig: RigHandle, tmp_path: Path) -> AsyncIterator[Harness]:
    async with controller_on(rig, tmp_path) as h:
        yield h


@contextlib.asynccontextmanager
async def controller_on(rig: RigHandle, tmp_path: Path) -> AsyncIterator[Harness]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url, timeout_s=5)
    engines: list[MediaEngine] = []

    def media_factory(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        engine = MediaEngine(on_event)
        engines.append(engine)
        return engine

    controller = SessionController(
        provider, media_factory, SessionSettings(quality="low"),
        timing=Timing(first_frame_deadline_s=10, keep_alive_s=2),  # the avatar joins in 1-4 s
        retry=RetryPolicy(base_delay_s=0.5, max_delay_s=2, max_attempts=4),
        ledger=SessionLedger(tmp_path / "ledger.json"),
    )  # fmt: skip
    h = Harness(controller)
    h.engines = engines
    try:
        yield h
    finally:
        await controller.close()
        await provider.aclose()


async def test_the_demo_avatar_greets_once_the_session_is_live(
    free_port: int, tmp_path: Path
) -> None:
    """The demo's rig greets: the client sees it as any speech (speaking, the line, silence),
    and only once it is Live. The other tests' rig does not greet, so their counts hold."""
    if not RIG_NETNS:
        pytest.skip("needs the test network namespaces: run through scripts/run-tests.sh")
    with running_rig(free_port, greet=True) as greeting_rig:
        async with controller_on(greeting_rig, tmp_path) as h:
            seen: list[tuple[SessionState, Any]] = []  # each avatar event, and the state then

            def note(kind: str, event: Any) -> None:
                if kind == "avatar_event":
                    seen.append((h.controller.state, event))

            h.controller.subscribe(note)
            c = h.controller
            await c.start()
            await h.until_state(S.LIVE)
            await h.until(
                lambda: any(ln.speaker == "avatar" and ln.final for ln in c.conversation.lines)
            )
            assert [(ln.speaker, ln.text) for ln in c.conversation.lines] == [
                ("avatar", greeting("en"))
            ]
            await h.until(lambda: not c.status.avatar_speaking, 30)
            events = [event for _state, event in seen]
            assert all(state is S.LIVE for state, _event in seen)
            speaking = [e.speaking for e in events if isinstance(e, SpeechActivity)]
            assert speaking == [True, False]
            assert any(isinstance(e, TranscriptPiece) for e in events)
            await c.stop()


async def test_start_live_text_both_modes_interrupt_stop(harness: Harness, rig: RigHandle) -> None:
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE)
    assert harness.states == HAPPY
    await c.send_text("Hello there, nice to meet you.", "repeat")
    await harness.until(
        lambda: any(ln.speaker == "avatar" and ln.final for ln in c.conversation.lines)
    )
    lines = [(ln.speaker, ln.text) for ln in c.conversation.lines]
    assert lines == [("user", "Hello there, nice to meet you."),
                     ("avatar", "Hello there, nice to meet you.")]  # fmt: skip
    expected, language = reply_to("¿Qué tal estás?", "en")  # the brain's answer to *that* text
    assert language == "es"
    await c.send_text("¿Qué tal estás?", "talk")
    await harness.until(lambda: len(c.conversation.lines) == 4)
    assert c.conversation.lines[3].text == expected
    await harness.until(lambda: c.status.avatar_speaking)
    await c.interrupt()
    await harness.until(lambda: not c.status.avatar_speaking, 5)
    await asyncio.sleep(2.5)  # a keep-alive goes out
    assert any("keep-alive sent" in e.text for e in c.journal.entries)
    await c.stop()
    assert harness.states == [*HAPPY, S.ENDING, S.IDLE]
    state = rig.state()
    assert state["active_sessions"] == 0
    assert c.unstopped.ledger is not None and c.unstopped.ledger.pending("liveavatar") == []


async def test_tracks_three_seconds_late_go_live_without_a_retry(
    harness: Harness, rig: RigHandle
) -> None:
    rig.fault(kind="tracks_late", seconds=3, count=1)
    await harness.controller.start()
    await harness.until_state(S.LIVE)
    assert harness.states == HAPPY and harness.controller.attempt == 1


async def test_tracks_never_published_retry_with_a_new_session_then_live(
    harness: Harness, rig: RigHandle
) -> None:
    rig.fault(kind="tracks_never", count=1)
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE, 40)
    assert harness.states == [*HAPPY[:3], S.ENDING, S.FAILED, *HAPPY]
    failed = next(ch for ch in harness.changes if ch.new is S.FAILED)
    assert "no_video" in failed.cause and failed.next_retry_at is not None
    sessions = [ch.session_id for ch in harness.changes if ch.new is S.CONNECTING]
    assert len(set(sessions)) == 2, "the retry must use a new session"
    first = rig.session(str(sessions[0]))
    assert first["status"] == "stopped"


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ({"status": 401}, ErrorKind.BAD_API_KEY),
        ({"error": "no_credits"}, ErrorKind.NO_CREDITS),
        ({"error": "avatar_not_found"}, ErrorKind.AVATAR_NOT_FOUND),
        ({"error": "concurrent_limit"}, ErrorKind.CONCURRENT_LIMIT),
    ],
)
async def test_account_problems_are_terminal(
    harness: Harness, rig: RigHandle, fault: dict[str, Any], kind: ErrorKind
) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/token", count=1, **fault)
    c = harness.controller
    await c.start()
    await harness.until_state(S.FAILED)
    await asyncio.sleep(1.0)
    assert harness.states == [S.CREATING_SESSION, S.ENDING, S.FAILED]
    assert c.last_error is not None and c.last_error.kind is kind
    assert c.status.message == c.last_error.advice
    assert not c.running


@pytest.mark.parametrize("status", [429, 500])
async def test_rate_limit_and_server_errors_back_off_then_succeed(
    harness: Harness, rig: RigHandle, status: int
) -> None:
    rig.fault(kind="http", endpoint="/v1/sessions/start", status=status, count=2)
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE, 40)
    assert c.attempt == 3
    assert harness.states == [S.CREATING_SESSION, S.ENDING, S.FAILED] * 2 + HAPPY


async def test_server_ended_session_is_replaced_by_a_new_one(
    harness: Harness, rig: RigHandle
) -> None:
    rig.fault(kind="session_ends_after", seconds=9, count=1)  # from /start
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE)
    first = c.grant.session_id if c.grant else None
    await harness.until(lambda: harness.states.count(S.LIVE) == 2, 40)
    assert c.grant is not None and c.grant.session_id != first
    ended = next(ch for ch in harness.changes if ch.new is S.FAILED)
    assert "session_ended" in ended.cause


async def test_killed_media_engine_is_replaced_and_the_session_comes_back(
    harness: Harness, rig: RigHandle
) -> None:
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE)
    await harness.engines[0].kill()
    await harness.until(lambda: harness.states.count(S.LIVE) == 2, 40)
    assert len(harness.engines) == 2 and harness.engines[1].alive
    assert any(ch.new is S.FAILED and "media engine ended" in ch.cause for ch in harness.changes)


async def test_server_restarted_quickly_is_healed_by_livekits_own_rejoin(
    harness: Harness, rig: RigHandle
) -> None:
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE)
    session_id = c.grant.session_id if c.grant else None
    rig.fault(kind="kill_server", restart_after_s=2)
    await harness.until(lambda: S.RECONNECTING in harness.states, 30)
    await harness.until(lambda: harness.states[-1] is S.LIVE and c._readiness.tracks_ready(), 60)
    assert harness.states == [*HAPPY, S.RECONNECTING, S.LIVE]
    assert c.grant is not None and c.grant.session_id == session_id


async def test_server_down_for_long_says_so_then_a_new_session_once_back(
    harness: Harness, rig: RigHandle
) -> None:
    c = harness.controller
    c.retry = RetryPolicy(base_delay_s=1, max_delay_s=4, max_attempts=12)
    c.timing = Timing(first_frame_deadline_s=10, resume_timeout_s=8)
    await c.start()
    await harness.until_state(S.LIVE)
    first = c.grant.session_id if c.grant else None
    rig.fault(kind="kill_server", restart_after_s=20)
    await harness.until(lambda: S.FAILED in harness.states, 40)
    assert c.status.message  # the user is told, in words
    await harness.until(lambda: harness.states.count(S.LIVE) >= 2 and c.state is S.LIVE, 90)
    assert c.grant is not None and c.grant.session_id != first


async def test_stale_sessions_from_the_ledger_are_stopped_at_start(
    harness: Harness, rig: RigHandle
) -> None:
    provider = harness.controller.provider
    orphan = await provider.start_session(SessionSettings(avatar_id=DEMO_AVATAR_EN, quality="low"))
    ledger = harness.controller.unstopped.ledger
    assert ledger is not None
    ledger.opened("liveavatar", orphan.session_id)
    await harness.controller.start()
    await harness.until_state(S.LIVE)
    assert rig.session(orphan.session_id)["status"] == "stopped"
    assert orphan.session_id not in ledger.pending("liveavatar")


async def test_network_cut_shows_reconnecting_then_video_comes_back(
    harness: Harness, rig: RigHandle
) -> None:
    c = harness.controller
    await c.start()
    await harness.until_state(S.LIVE)
    rig.fault(kind="network_cut", seconds=3)
    await harness.until(lambda: S.RECONNECTING in harness.states, 15)
    await harness.until(lambda: c.state is S.LIVE and (c.status.fps or 0) > 5, 40)
    assert harness.states[:5] == [*HAPPY, S.RECONNECTING]


async def test_streaming_v1_backend_goes_live_and_talks(rig: RigHandle) -> None:
    provider = HeygenStreamingProvider(rig.api_key, base_url=rig.base_url, timeout_s=5)
    engines: list[MediaEngine] = []

    def media_factory(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        engines.append(MediaEngine(on_event))
        return engines[-1]

    controller = SessionController(provider, media_factory, SessionSettings(quality="medium"))
    harness = Harness(controller)
    try:
        await controller.start()
        await harness.until_state(S.LIVE)
        assert harness.states == HAPPY
        await controller.send_text("Tell me a story", "talk")
        await harness.until(lambda: any(ln.speaker == "avatar" and ln.final
                                        for ln in controller.conversation.lines))  # fmt: skip
        said = [ln.text for ln in controller.conversation.lines if ln.speaker == "avatar"]
        # The demo's long answer: each of its words came as a v1 avatar_talking_message.
        assert said[0] == reply_to("Tell me a story")[0] == long_answer("en")
        await controller.stop()
        assert harness.states[-2:] == [S.ENDING, S.IDLE]
        assert await provider.active_session_ids() == []
    finally:
        await controller.close()
        await provider.aclose()

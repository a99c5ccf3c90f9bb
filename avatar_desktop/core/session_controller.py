"""The session state machine: creates sessions, connects, waits for the avatar to be really
there, keeps it alive, heals by itself, and says what is wrong when it cannot.

Live means: the avatar participant's video AND audio are subscribed AND its first video frame
was decoded. A missed step becomes a retry with a NEW session and a NEW token (the old one is
stopped, best effort), with exponential backoff and a cap; account problems never loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from avatar_desktop.core.provider_port import (
    AvatarProvider,
    SessionGrant,
    SessionSettings,
    TextMode,
)

from .conversation import Conversation
from .errors import AvatarServiceError, ErrorKind
from .events import AvatarEvent, PushToTalkState, SessionStopped, SpeechActivity, TranscriptPiece
from .journal import Journal
from .ledger import SessionLedger
from .media_port import MediaEvent, MediaFactory, MediaPort
from .retry import RetryPolicy
from .session_state import SessionState, StateChange, check_transition

log = logging.getLogger(__name__)
S = SessionState


@dataclass(frozen=True)
class Timing:
    first_frame_deadline_s: float = 5.0  # after connect: the rule of the original report
    connect_timeout_s: float = 20.0
    resume_timeout_s: float = 25.0  # the SDK's own resume + rejoin window
    keep_alive_s: float = 60.0
    stop_timeout_s: float = 5.0


class _Failure(Exception):
    def __init__(self, error: AvatarServiceError) -> None:
        super().__init__(str(error))
        self.error = error


class _UserStop(Exception):
    pass


@dataclass
class Readiness:
    """What has been seen of the avatar in the current room."""

    avatar_identity: str | None
    tracks: set[tuple[str, str]] = field(default_factory=set)  # (identity, kind)
    first_frame: bool = False

    def tracks_ready(self) -> bool:
        who = self.avatar_identity
        if who is None:  # v1: any one participant with both
            people = {i for i, _ in self.tracks}
            return any({(p, "video"), (p, "audio")} <= self.tracks for p in people)
        return {(who, "video"), (who, "audio")} <= self.tracks

    def ready(self) -> bool:
        return self.tracks_ready() and self.first_frame


@dataclass
class VoiceSettings:
    """The user's side of the conversation by voice."""

    microphone: bool = True
    push_to_talk: bool = False  # the mic is open only while the talk button is held
    input_device: int | str | None = None
    output_device: int | str | None = None
    echo_cancellation: bool = True
    noise_suppression: bool = True
    high_pass_filter: bool = True
    auto_gain_control: bool = True

    def engine_request(self) -> dict[str, Any]:
        return {
            "enabled": self.microphone,
            "device": self.input_device,
            "muted": self.push_to_talk,
            "processing": {
                "echo_cancellation": self.echo_cancellation,
                "noise_suppression": self.noise_suppression,
                "high_pass_filter": self.high_pass_filter,
                "auto_gain_control": self.auto_gain_control,
            },
        }


@dataclass
class LiveStatus:
    """What the status bar shows besides the state."""

    session_id: str | None = None
    live_since: float | None = None
    fps: float | None = None
    rtt_ms: float | None = None
    quality: str | None = None
    avatar_speaking: bool = False
    user_speaking: bool = False
    audio_output: bool | None = None
    microphone: bool | None = None
    microphone_error: str = ""
    mic_level_dbfs: float | None = None
    talking: bool = False  # push-to-talk held
    message: str = ""


class SessionController:
    def __init__(
        self,
        provider: AvatarProvider,
        media_factory: MediaFactory,
        settings: SessionSettings,
        *,
        timing: Timing | None = None,
        retry: RetryPolicy | None = None,
        ledger: SessionLedger | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.timing = timing or Timing()
        self.retry = retry or RetryPolicy()
        self.ledger = ledger
        self.clock = clock
        self.state = S.IDLE
        self.attempt = 1
        self.journal = Journal()
        self.conversation = Conversation()
        self.status = LiveStatus()
        self.voice = VoiceSettings()
        self.devices: dict[str, Any] = {}
        self.media_stats: MediaEvent = {}  # the engine's latest counters (benchmarks, tests)
        self.grant: SessionGrant | None = None
        self.last_error: AvatarServiceError | None = None
        self.next_retry_at: float | None = None
        self._media_factory = media_factory
        self._media: MediaPort | None = None
        self._events: asyncio.Queue[MediaEvent] = asyncio.Queue()
        self._readiness = Readiness(None)
        self._generation = 0
        self._video_stalled = False
        self._run_task: asyncio.Task[None] | None = None
        self._keep_alive_task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[str, Any], None]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- observing ------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str, Any], None]) -> None:
        """``listener(kind, payload)``: kind is "state" (StateChange), "status" (LiveStatus),
        "avatar_event" (AvatarEvent), "journal" (JournalEntry) or "devices" (dict of inputs and
        outputs). Called on the asyncio loop."""
        self._listeners.append(listener)

    def _notify(self, kind: str, payload: Any) -> None:
        for listener in self._listeners:
            listener(kind, payload)

    def _move(self, new: SessionState, cause: str) -> None:
        check_transition(self.state, new)
        change = StateChange(
            at=self.clock(), old=self.state, new=new,
            session_id=self.grant.session_id if self.grant else None, cause=cause,
            attempt=self.attempt, max_attempts=self.retry.max_attempts,
            next_retry_at=self.next_retry_at if new is S.FAILED else None,
        )  # fmt: skip
        self.state = new
        log.info("session %s", self.journal.state(change).text)
        self._notify("state", change)

    def _log_event(self, text: str) -> None:
        self._notify("journal", self.journal.event(self.clock(), text))

    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done()

    @property
    def has_work(self) -> bool:
        """Whether closing needs to wait: a session to stop, or a media engine to end."""
        return self.running or self._media is not None

    # -- user intents ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self.running:
            if self.state is not S.IDLE:
                return
            assert self._run_task is not None
            await self._run_task  # the previous session is just finishing its way out
        self.attempt = 1
        self.last_error = None
        self.next_retry_at = None
        self._run_task = asyncio.get_running_loop().create_task(self._run(), name="session")

    async def stop(self) -> None:
        """Ends the session (also on window close): stops it on the server, always."""
        if not self.running:
            if self.state is S.FAILED:
                self._move(S.IDLE, "user closed the failure")
            return
        self._events.put_nowait({"event": "user_stop"})
        assert self._run_task is not None
        with contextlib.suppress(asyncio.CancelledError):
            await self._run_task

    async def close(self) -> None:
        await self.stop()
        if self._media is not None:
            await self._media.stop()
            self._media = None

    async def send_text(self, text: str, mode: TextMode) -> None:
        if self.state is not S.LIVE or self.grant is None:
            raise RuntimeError("the avatar is not live")
        self.conversation.said_by_user(text)
        await self.provider.send_text(self.grant, text, mode, self._publish)

    async def interrupt(self) -> None:
        if self.state is S.LIVE and self.grant is not None:
            await self.provider.interrupt(self.grant, self._publish)

    async def push_to_talk(self, active: bool) -> None:
        """Talk button held (True) or released: the backend's push-to-talk, and the mic opens
        only while it is held."""
        if self.state is not S.LIVE or self.grant is None or self._media is None:
            return
        self.status.talking = active
        if active:
            await self.provider.push_to_talk(self.grant, True, self._publish)
            await self._media.set_microphone_muted(False)
        else:
            await self._media.set_microphone_muted(True)
            await self.provider.push_to_talk(self.grant, False, self._publish)
        self._notify("status", self.status)

    async def set_microphone(self, on: bool) -> None:
        self.voice.microphone = on
        if self._media is None or self.state not in (S.LIVE, S.RECONNECTING):
            return
        if on and not self.status.microphone:
            await self._media.set_microphone_device(self.voice.input_device)
        await self._media.set_microphone_muted(not on or self.voice.push_to_talk)

    async def set_push_to_talk_mode(self, enabled: bool) -> None:
        self.voice.push_to_talk = enabled
        if self._media is not None and self.state is S.LIVE and self.voice.microphone:
            await self._media.set_microphone_muted(enabled)

    async def choose_devices(
        self, input_device: int | str | None, output_device: int | str | None
    ) -> None:
        """Switches devices live (no new session)."""
        changed_in = input_device != self.voice.input_device
        changed_out = output_device != self.voice.output_device
        self.voice.input_device, self.voice.output_device = input_device, output_device
        if self._media is None or self.state not in (S.LIVE, S.RECONNECTING):
            return
        if changed_in and self.voice.microphone:
            await self._media.set_microphone_device(input_device)
        if changed_out:
            await self._media.set_speaker_device(output_device)

    async def refresh_devices(self) -> None:
        if self._media is not None and self._media.alive:
            await self._media.request_devices()

    async def _publish(self, data: bytes, topic: str) -> None:
        if self._media is None:
            raise RuntimeError("no media engine")
        await self._media.send_data(data, topic)

    async def stop_stale_sessions(self) -> int:
        """Stops every session the account has open (the way out of the concurrent limit)."""
        ids = await self.provider.active_session_ids()
        for session_id in ids:
            with contextlib.suppress(AvatarServiceError):
                await self.provider.stop_session_by_id(session_id)
            if self.ledger is not None:
                self.ledger.closed(session_id)
        return len(ids)

    # -- media events -----------------------------------------------------------------------------
    def _on_media_event(self, event: MediaEvent) -> None:
        kind = event.get("event")
        generation = event.get("gen")
        if generation is not None and generation != self._generation:
            return  # a previous room's straggler
        if kind == "data":
            self._on_data(event)
            return
        if kind == "stats":
            self.media_stats = event
            self.status.fps = event.get("fps")
            self.status.rtt_ms = event.get("rtt_ms")
            self._notify("status", self.status)
            return
        if kind == "quality":
            self.status.quality = str(event.get("quality"))
            self._notify("status", self.status)
            return
        if kind == "mic_level":
            self.status.mic_level_dbfs = event.get("dbfs")
            self._notify("status", self.status)
            return
        if kind == "microphone":
            self.status.microphone = bool(event.get("available"))
            self.status.microphone_error = str(event.get("error") or "")
            self._log_event(
                f"microphone: {'ready' if event.get('available') else event.get('error')}"
            )
            self._notify("status", self.status)
            return
        if kind == "devices":
            self.devices = {k: v for k, v in event.items() if k not in ("event", "gen")}
            self._notify("devices", self.devices)
            return
        if kind == "audio_output":
            self.status.audio_output = bool(event.get("available"))
            self._log_event(f"speaker: {'ready' if event.get('available') else event.get('error')}")
            self._notify("status", self.status)
            return
        if kind == "track":
            key = (str(event.get("identity")), str(event.get("kind")))
            if event.get("subscribed"):
                self._readiness.tracks.add(key)
            else:
                self._readiness.tracks.discard(key)
        elif kind == "first_frame":
            self._readiness.first_frame = True
        elif kind in ("video_stalled", "video_resumed"):
            self._video_stalled = kind == "video_stalled"
        elif kind == "participant" and not event.get("present"):
            who = str(event.get("identity"))
            self._readiness.tracks = {t for t in self._readiness.tracks if t[0] != who}
        self._log_event(_describe(event))
        self._events.put_nowait(event)

    def _on_data(self, event: MediaEvent) -> None:
        data = event.get("data")
        if not isinstance(data, bytes):
            return
        avatar_event = self.provider.parse_event(data, str(event.get("topic", "")))
        if avatar_event is None:
            return
        self._apply_avatar_event(avatar_event)

    def _apply_avatar_event(self, avatar_event: AvatarEvent) -> None:
        if isinstance(avatar_event, TranscriptPiece):
            self.conversation.add(avatar_event)
        elif isinstance(avatar_event, SpeechActivity):
            if avatar_event.speaker == "avatar":
                self.status.avatar_speaking = avatar_event.speaking
            else:
                self.status.user_speaking = avatar_event.speaking
            self._notify("status", self.status)
        elif isinstance(avatar_event, SessionStopped):
            self._log_event(f"service ended the session: {avatar_event.reason}")
            self._events.put_nowait({"event": "session_stopped", "reason": avatar_event.reason})
        elif isinstance(avatar_event, PushToTalkState):
            self._log_event(f"push-to-talk {'on' if avatar_event.active else 'off'}")
        self._notify("avatar_event", avatar_event)

    # -- the run loop -----------------------------------------------------------------------------
    async def _run(self) -> None:
        await self._stop_stale_from_ledger()
        while True:
            try:
                await self._one_session()
                return  # the user stopped
            except _UserStop:
                return
            except _Failure as failure:
                error = failure.error
                self.last_error = error
                await self._end_session(f"after failure: {error.kind.value}")
                if error.kind.terminal:
                    self.next_retry_at = None
                    self.status.message = error.advice
                    self._move(S.FAILED, f"{error.kind.value}: {error.detail}")
                    return
                if not self.retry.allows(self.attempt + 1):
                    self.next_retry_at = None
                    self.status.message = f"{error.advice} Gave up after {self.attempt} attempts."
                    self._move(S.FAILED, f"{error.kind.value}: {error.detail} (no attempts left)")
                    return
                self.attempt += 1
                delay = self.retry.delay_before(self.attempt)
                self.next_retry_at = self.clock() + delay
                self.status.message = error.advice
                self._move(S.FAILED, f"{error.kind.value}: {error.detail}; retry in {delay:.1f} s")
                try:
                    await self._wait_event_or_timeout(delay, allow_user_stop=True)
                except _UserStop:
                    self._move(S.IDLE, "user stopped during backoff")
                    return

    async def _stop_stale_from_ledger(self) -> None:
        if self.ledger is None:
            return
        for session_id in self.ledger.pending(self.provider.name):
            try:
                await self.provider.stop_session_by_id(session_id)
                self._log_event(f"stopped session {session_id} left open last time")
            except AvatarServiceError as exc:
                self._log_event(f"could not stop stale session {session_id}: {exc}")
                if exc.kind is not ErrorKind.BAD_RESPONSE and exc.status not in (400, 404):
                    continue
            self.ledger.closed(session_id)

    async def _ensure_media(self) -> MediaPort:
        if self._media is None or not self._media.alive:
            if self._media is not None:
                await self._media.stop()
            self._media = self._media_factory(self._on_media_event)
            await self._media.start()
        return self._media

    async def _one_session(self) -> None:
        self._drain_events()
        self.grant = None
        self._move(S.CREATING_SESSION, "start" if self.attempt == 1 else f"retry {self.attempt}")
        try:
            self.grant = await self.provider.start_session(self.settings)
        except AvatarServiceError as exc:
            raise _Failure(exc) from exc
        if self.ledger is not None:
            self.ledger.opened(self.provider.name, self.grant.session_id)
        self.status = LiveStatus(session_id=self.grant.session_id)
        self._readiness = Readiness(self.grant.avatar_identity)
        self._video_stalled = False
        media = await self._ensure_media()
        self._move(S.CONNECTING, f"joining {self.grant.livekit_url}")
        self._generation += 1
        grant = self.grant
        await media.connect(
            grant.livekit_url,
            grant.livekit_token,
            grant.avatar_identity,
            self._generation,
            microphone=self.voice.engine_request(),
        )
        await self._wait_for(lambda e: e.get("event") == "connected", self.timing.connect_timeout_s,
                             ErrorKind.CONNECT_FAILED, "the room did not answer")  # fmt: skip
        self._move(S.WAITING_FOR_AVATAR, "joined the room")
        await self._wait_for(lambda _e: self._readiness.ready(), self.timing.first_frame_deadline_s,
                             ErrorKind.NO_VIDEO, "no avatar video and audio within the deadline",
                             check_first=True)  # fmt: skip
        self.status.live_since = self.clock()
        self._move(S.LIVE, "avatar video and audio subscribed, first frame decoded")
        self._keep_alive_task = asyncio.get_running_loop().create_task(self._keep_alive())
        try:
            await self._live()
        finally:
            self._keep_alive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keep_alive_task

    async def _live(self) -> None:
        while True:
            event = await self._next_event(None)
            kind = event.get("event")
            if kind in ("reconnecting", "video_stalled") and self.state is S.LIVE:
                cause = ("LiveKit is resuming the connection" if kind == "reconnecting"
                         else "the avatar's video stopped arriving")  # fmt: skip
                self._move(S.RECONNECTING, cause)
                await self._wait_for(
                    self._back_to_live,
                    self.timing.resume_timeout_s,
                    ErrorKind.NETWORK,
                    "the connection did not come back",
                )
                self._move(S.LIVE, "video flows again")
            elif kind in ("track", "participant") and not self._readiness.tracks_ready():
                # The avatar left (or its tracks did), e.g. a rejoin into a room it is no
                # longer in: give it the first-frame deadline to come back, then a new session.
                self._log_event("the avatar's tracks are gone; waiting for them to come back")
                await self._wait_for(lambda _e: self._readiness.tracks_ready(),
                                     self.timing.first_frame_deadline_s, ErrorKind.NO_VIDEO,
                                     "the avatar left the room")  # fmt: skip
            elif kind == "session_stopped":
                raise _Failure(
                    AvatarServiceError(ErrorKind.SESSION_ENDED, str(event.get("reason")))
                )
            elif kind == "disconnected":
                raise _Failure(AvatarServiceError(ErrorKind.SESSION_ENDED,
                                                  f"room left: {event.get('reason')}"))  # fmt: skip
            elif kind == "engine_died":
                detail = f"media engine ended ({event.get('returncode')})"
                raise _Failure(AvatarServiceError(ErrorKind.CONNECT_FAILED, detail))

    def _back_to_live(self, event: MediaEvent) -> bool:
        kind = event.get("event")
        return kind == "video_resumed" or (kind == "reconnected" and not self._video_stalled)

    async def _next_event(self, timeout_s: float | None) -> MediaEvent:
        event = await asyncio.wait_for(self._events.get(), timeout_s)
        if event.get("event") == "user_stop":
            await self._end_session("user stopped")
            raise _UserStop
        return event

    async def _wait_event_or_timeout(self, timeout_s: float, allow_user_stop: bool) -> None:
        with contextlib.suppress(TimeoutError):
            while True:
                event = await asyncio.wait_for(self._events.get(), timeout_s)
                if allow_user_stop and event.get("event") == "user_stop":
                    raise _UserStop

    async def _wait_for(
        self,
        predicate: Callable[[MediaEvent], bool],
        timeout_s: float,
        kind: ErrorKind,
        detail: str,
        check_first: bool = False,
    ) -> None:
        if check_first and predicate({}):
            return
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                event = await self._next_event(max(0.0, remaining))
            except TimeoutError as exc:
                raise _Failure(AvatarServiceError(kind, detail)) from exc
            name = event.get("event")
            if predicate(event):
                return
            if name == "connect_failed":
                raise _Failure(
                    AvatarServiceError(ErrorKind.CONNECT_FAILED, str(event.get("error")))
                )
            if name in ("disconnected", "engine_died", "session_stopped"):
                raise _Failure(AvatarServiceError(
                    ErrorKind.SESSION_ENDED if name != "engine_died" else ErrorKind.CONNECT_FAILED,
                    f"{name}: {event.get('reason') or event.get('returncode') or ''}"))  # fmt: skip

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.timing.keep_alive_s)
            if self.grant is None:
                return
            try:
                await self.provider.keep_alive(self.grant)
                self._log_event("keep-alive sent")
            except AvatarServiceError as exc:
                self._log_event(f"keep-alive failed: {exc}")

    async def _end_session(self, cause: str) -> None:
        """Leaves the room and stops the session on the server (best effort, bounded)."""
        if self.state in (S.CREATING_SESSION, S.CONNECTING, S.WAITING_FOR_AVATAR, S.LIVE,
                          S.RECONNECTING):  # fmt: skip
            self._move(S.ENDING, cause)
        if self._media is not None and self._media.alive:
            with contextlib.suppress(ConnectionError, OSError):
                await self._media.disconnect()
        grant, self.grant = self.grant, None
        if grant is not None:
            try:
                await asyncio.wait_for(
                    self.provider.stop_session(grant), self.timing.stop_timeout_s
                )
                if self.ledger is not None:
                    self.ledger.closed(grant.session_id)
                self._log_event(f"session {grant.session_id} stopped on the server")
            except (AvatarServiceError, TimeoutError) as exc:
                self._log_event(f"session {grant.session_id} not confirmed stopped: {exc!r}")
        self._drain_events()
        self.status.live_since = None
        if self.state is S.ENDING and cause == "user stopped":
            self._move(S.IDLE, cause)

    def _drain_events(self) -> None:
        while not self._events.empty():
            event = self._events.get_nowait()
            if event.get("event") == "user_stop":
                self._events.put_nowait(event)  # keep the user's intent
                return


def _describe(event: MediaEvent) -> str:
    kind = event.get("event")
    details = ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("event", "data_b64"))
    return f"livekit {kind}" + (f" ({details})" if details else "")

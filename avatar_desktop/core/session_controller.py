"""The session state machine: creates sessions, connects, waits for the avatar to be really
there, keeps it alive, heals by itself, and says what is wrong when it cannot.

Live means: the avatar participant's video AND audio are subscribed AND its first video frame
was decoded. A missed step becomes a retry with a NEW session and a NEW token (the old one is
stopped, best effort), with exponential backoff and a cap; account problems never loop.

The shape makes the old failure modes impossible rather than patched:
- one run task at a time: ``start`` is refused while a run exists, in any state;
- the run catches everything: an unforeseen error ends the session on the server and moves to
  Failed with words, never leaves the state stuck;
- every background task is owned (``TaskOwner``) and its failure is reported the same way;
- the room generation is bumped the moment a session ends, so a late event of the old room
  can never move the next one;
- a stop that failed is retried in the background until the service confirms it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conversation import Conversation
from .errors import ENDED_BY_SERVICE, AvatarServiceError, ErrorKind
from .events import AvatarEvent, PushToTalkState, SessionStopped, SpeechActivity, TranscriptPiece
from .journal import Journal
from .ledger import SessionLedger
from .media_port import (
    AudioOutputState,
    Connected,
    ConnectFailed,
    DataReceived,
    DevicesListed,
    Disconnected,
    EngineDied,
    FirstFrame,
    MediaCommandFailed,
    MediaEvent,
    MediaFactory,
    MediaPort,
    MediaStats,
    MicLevel,
    MicrophoneState,
    ParticipantChanged,
    QualityChanged,
    Reconnected,
    Reconnecting,
    RecordingStatus,
    TrackChanged,
    VideoResumed,
    VideoStalled,
)
from .provider_port import AvatarProvider, SessionGrant, SessionSettings, TextMode
from .recording import ConversationRecording
from .reply_latency import ReplyTimer, TurnEnd
from .retry import RetryPolicy
from .session_state import SessionState, StateChange, check_transition
from .session_status import LiveStatus, SessionView, VoiceSettings
from .tasks import TaskOwner
from .transcript_export import ExportWords
from .unstopped_sessions import UnstoppedSessions

log = logging.getLogger(__name__)
S = SessionState
_MEDIA_ERRORS = (MediaCommandFailed, ConnectionError, OSError)
AVATAR_NAME_TIMEOUT_S = 3.0  # the chosen avatar's name is a nicety: never a slow start

__all__ = ["LiveStatus", "SessionController", "SessionView", "Timing", "VoiceSettings"]


@dataclass(frozen=True)
class Timing:
    """The deadlines of a session. Waiting for the avatar: real avatars take seconds to join
    (10 to 25 s in a slow region) and HeyGen's own SDK waits 30 s, while every new session is
    billed (LiveAvatar escrows a minute of credits at start). So the avatar gets 30 s in the
    same session, with one rejoin of the same room (same token) at 12 s for a subscription
    that never fired; only then a new session."""

    first_frame_deadline_s: float = 30.0  # after joining: avatar video + audio + first frame
    rejoin_after_s: float | None = 12.0  # rejoin the same room once, if still no avatar
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


@dataclass(frozen=True, kw_only=True)
class _StopRequested(MediaEvent):
    """The user pressed Stop (or closed the window): wakes whatever the run is waiting for."""


@dataclass(frozen=True, kw_only=True)
class _ServiceEnded(MediaEvent):
    reason: str


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
        unstopped: UnstoppedSessions | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` stamps what the user reads (wall time); ``monotonic`` measures durations
        (the reply latency)."""
        self.provider = provider
        self.settings = settings
        self.timing = timing or Timing()
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.state = S.IDLE
        self.attempt = 1
        self.journal = Journal()
        self.conversation = Conversation()
        self.status = LiveStatus()
        self.voice = VoiceSettings()
        self.devices: dict[str, Any] = {}
        self.media_stats: dict[str, Any] = {}  # the engine's latest counters (benchmarks, tests)
        self.grant: SessionGrant | None = None
        self.last_error: AvatarServiceError | None = None
        self.next_retry_at: float | None = None
        self.avatar_name = ""
        self._named_avatar_id = ""  # the chosen avatar whose name was looked up
        self.unstopped = unstopped or UnstoppedSessions(ledger, self._log_event)
        self._media_factory = media_factory
        self._media: MediaPort | None = None
        self._events: asyncio.Queue[MediaEvent] = asyncio.Queue()
        self._readiness = Readiness(None)
        self._generation = 0
        self._video_stalled = False
        self._stop_requested = False
        self._run_task: asyncio.Task[None] | None = None
        self._tasks = TaskOwner(self._task_failed)
        self._keep_alive_task: asyncio.Task[None] | None = None
        self._outside_room_task: asyncio.Task[None] | None = None
        self._session_push_to_talk = False
        self._listeners: list[Callable[[str, Any], None]] = []
        self._reply_timer = ReplyTimer(monotonic)
        self.recording = ConversationRecording(
            self.conversation, lambda state: self._notify("recording", state), clock
        )
        # What the user asked to record (folder, quality, avatar name, words), kept across
        # sessions: each session that goes live while it is set gets a file of its own.
        self._recording_wanted: tuple[Path, str, ExportWords, bool] | None = None

    # -- observing ------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str, Any], None]) -> None:
        """``listener(kind, payload)``: kind is "state" (StateChange), "status" (LiveStatus),
        "avatar_event" (AvatarEvent), "journal" (JournalEntry), "devices" (dict of inputs and
        outputs) or "recording" (RecordingState). Called on the asyncio loop."""
        self._listeners.append(listener)

    def _notify(self, kind: str, payload: Any) -> None:
        for listener in self._listeners:
            try:
                listener(kind, payload)
            except Exception:
                log.exception("a %s listener failed", kind)

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
        log.info("%s", text)
        self._notify("journal", self.journal.event(self.clock(), text))

    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done()

    @property
    def has_work(self) -> bool:
        """Whether closing needs to wait: a session to stop, or a media engine to end."""
        return self.running or self._media is not None or self.unstopped.pending > 0

    def view(self) -> SessionView:
        """The projection the window renders."""
        error = self.last_error
        retrying = self.state is S.FAILED and self.next_retry_at is not None and self.running
        return SessionView(
            state=self.state,
            attempt=self.attempt,
            max_attempts=self.retry.max_attempts,
            error=error.kind if error is not None else None,
            retry_at=self.next_retry_at,
            retrying=retrying,
            gave_up=(
                self.state is S.FAILED
                and not retrying
                and error is not None
                and not error.kind.terminal
            ),
            avatar_name=self.avatar_name,
        )

    # -- user intents ---------------------------------------------------------------------------
    async def start(self) -> bool:
        """Starts a run; refused (False) while one exists, whatever its state."""
        if self.running:
            return False
        self.attempt = 1
        self.last_error = None
        self.next_retry_at = None
        self._stop_requested = False
        self._drain_events()
        self._run_task = self._tasks.spawn(self._run(), "session")
        return True

    async def stop(self) -> None:
        """Ends the session (also on window close): stops it on the server, always."""
        if not self.running:
            if self.state is S.FAILED:
                self._move(S.IDLE, "user closed the failure")
            return
        self._stop_requested = True
        self._events.put_nowait(_StopRequested())
        assert self._run_task is not None
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._run_task)

    async def close(self) -> None:
        await self.stop()
        await self.unstopped.close()
        if self._media is not None:
            await self._media.stop()  # has_work stays true until the engine has gone
            self._media = None
        await self._tasks.cancel_all()

    async def start_recording(
        self, folder: Path, quality: str, words: ExportWords, microphone: bool = False
    ) -> None:
        """Records this session from now, and every later one until ``stop_recording``; when
        no session is live the recording begins when one is. Raises ``OSError`` (a folder that
        cannot be made) or ``MediaCommandFailed``: the caller says so where the user asked.
        ``microphone``: the user's side of the conversation is in the file too."""
        self._recording_wanted = (folder, quality, words, microphone)
        if self.state is S.LIVE and self._media is not None:
            try:
                await self._begin_recording()
            except BaseException:
                self._recording_wanted = None
                raise

    async def stop_recording(self) -> None:
        self._recording_wanted = None
        with contextlib.suppress(*_MEDIA_ERRORS):
            await self.recording.stop()

    async def _begin_recording(self) -> None:
        if self._recording_wanted is None or self._media is None or self.recording.state.active:
            return
        folder, quality, words, microphone = self._recording_wanted
        name = self.avatar_name or "avatar"
        path = self.recording.path_for(folder, name)
        await self.recording.start(self._media, path, quality, name, words, microphone)
        self._log_event(f"recording to {path}")

    async def send_text(self, text: str, mode: TextMode) -> None:
        """Raises when the avatar is not live or the message could not be sent: the caller
        shows it where the user typed."""
        if self.state is not S.LIVE or self.grant is None:
            raise RuntimeError("the avatar is not live")
        self.conversation.said_by_user(text)
        self._turn_ended("message")
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
        # A session started in conversation mode refuses push-to-talk commands: there the
        # button only gates the microphone, which the service's turn-taking then follows.
        tell_service = self._session_push_to_talk
        if active:
            if tell_service:
                await self.provider.push_to_talk(self.grant, True, self._publish)
            await self._media.set_microphone_muted(False)
        else:
            await self._media.set_microphone_muted(True)
            if tell_service:
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
            self.unstopped.confirmed(session_id)
        return len(ids)

    # -- media events -----------------------------------------------------------------------------
    def _on_media_event(self, event: MediaEvent) -> None:
        if event.gen is not None and event.gen != self._generation:
            return  # a previous room's straggler
        if isinstance(event, DataReceived):
            self._on_data(event)
        elif isinstance(event, RecordingStatus):
            self.recording.on_status(event)
            if not event.active:
                self._log_event(f"recording ended: {event.error or event.path}")
        elif isinstance(event, MediaStats):
            self.media_stats = event.counters
            self.status.fps, self.status.rtt_ms = event.fps, event.rtt_ms
            self._notify("status", self.status)
        elif isinstance(event, QualityChanged):
            self.status.quality = event.quality
            self._notify("status", self.status)
        elif isinstance(event, MicLevel):
            self.status.mic_level_dbfs = event.dbfs
            self._notify("status", self.status)
        elif isinstance(event, MicrophoneState):
            self.status.microphone, self.status.microphone_error = event.available, event.error
            self._log_event(f"microphone: {'ready' if event.available else event.error}")
            self._notify("status", self.status)
        elif isinstance(event, DevicesListed):
            self.devices = {"inputs": event.inputs, "outputs": event.outputs}
            self._notify("devices", self.devices)
        elif isinstance(event, AudioOutputState):
            self.status.audio_output = event.available
            self._log_event(f"speaker: {'ready' if event.available else event.error}")
            self._notify("status", self.status)
        else:
            if isinstance(event, EngineDied):
                self.recording.engine_gone(f"the media engine ended ({event.returncode})")
            self._track_readiness(event)
            self._log_event(event.describe())
            self._events.put_nowait(event)

    def _track_readiness(self, event: MediaEvent) -> None:
        if isinstance(event, TrackChanged):
            key = (event.identity, event.kind)
            if event.subscribed:
                self._readiness.tracks.add(key)
            else:
                self._readiness.tracks.discard(key)
        elif isinstance(event, FirstFrame):
            self._readiness.first_frame = True
        elif isinstance(event, VideoStalled | VideoResumed):
            self._video_stalled = isinstance(event, VideoStalled)
        elif isinstance(event, ParticipantChanged) and not event.present:
            tracks = self._readiness.tracks
            self._readiness.tracks = {t for t in tracks if t[0] != event.identity}

    def _on_data(self, event: DataReceived) -> None:
        avatar_event = self.provider.parse_event(event.data, event.topic)
        if avatar_event is not None:
            self._apply_avatar_event(avatar_event)

    def _apply_avatar_event(self, avatar_event: AvatarEvent) -> None:
        if isinstance(avatar_event, TranscriptPiece):
            self.conversation.add(avatar_event)
        elif isinstance(avatar_event, SpeechActivity):
            if avatar_event.speaker == "avatar":
                self.status.avatar_speaking = avatar_event.speaking
                if avatar_event.speaking:
                    self._avatar_started_speaking()
            else:
                self.status.user_speaking = avatar_event.speaking
                if not avatar_event.speaking:
                    self._turn_ended("speech")
            self._notify("status", self.status)
        elif isinstance(avatar_event, SessionStopped):
            self._log_event(f"service ended the session: {avatar_event.reason}")
            self._events.put_nowait(_ServiceEnded(gen=self._generation, reason=avatar_event.reason))
        elif isinstance(avatar_event, PushToTalkState):
            self._log_event(f"push-to-talk {'on' if avatar_event.active else 'off'}")
        self._notify("avatar_event", avatar_event)

    def _turn_ended(self, after: TurnEnd) -> None:
        self._reply_timer.turn_ended(after)
        self.conversation.turn_ended()

    def _avatar_started_speaking(self) -> None:
        reply = self._reply_timer.avatar_started()
        if reply is None:
            return
        self.status.reply = reply
        self.conversation.replied_in(reply.ms)
        what = "your message" if reply.after == "message" else "the end of your speech"
        self._log_event(f"reply latency: the avatar spoke {reply.ms} ms after {what}")

    # -- the run ----------------------------------------------------------------------------------
    def _task_failed(self, name: str, error: BaseException) -> None:
        """A background task died of something unforeseen: said in the journal; the run's own
        failures are handled inside it (``_run`` never raises)."""
        self._log_event(f"internal error in {name}: {error!r}")

    async def _run(self) -> None:
        try:
            await self.unstopped.sweep(self.provider)
            while not self._stop_requested:
                try:
                    await self._one_session()
                    return
                except _UserStop:
                    return
                except _Failure as failure:
                    if not await self._after_failure(failure.error):
                        return
        except Exception as exc:
            log.exception("the session run failed")
            await self._fail_for_good(AvatarServiceError(ErrorKind.INTERNAL, repr(exc)))
        finally:
            if self._stop_requested:
                await self._after_user_stop()

    async def _after_user_stop(self) -> None:
        """Whatever step the run was in when the user stopped, it ends in Idle with the
        session stopped on the server."""
        try:
            await self._end_session("user stopped")
        finally:
            if self.state is S.FAILED:
                self.next_retry_at = None
                self._move(S.IDLE, "user stopped")

    async def _fail_for_good(self, error: AvatarServiceError) -> None:
        self.last_error = error
        self.next_retry_at = None
        with contextlib.suppress(Exception):
            await self._end_session(f"after failure: {error.kind.value}")
        self.status.message = error.advice
        if self.state is not S.FAILED:
            self._move(S.FAILED, f"{error.kind.value}: {error.detail}")

    async def _after_failure(self, error: AvatarServiceError) -> bool:
        """Ends the failed session; True when another attempt follows (after a backoff)."""
        if error.kind is ErrorKind.SESSION_ENDED and self.grant is not None:
            error = await self._why_it_ended(self.grant, error)
        self.last_error = error
        await self._end_session(f"after failure: {error.kind.value}")
        if self._stop_requested:
            return False
        if error.kind.terminal:
            self.next_retry_at = None
            self.status.message = error.advice
            self._move(S.FAILED, f"{error.kind.value}: {error.detail}")
            return False
        if not self.retry.allows(self.attempt + 1):
            self.next_retry_at = None
            self.status.message = f"{error.advice} Gave up after {self.attempt} attempts."
            self._move(S.FAILED, f"{error.kind.value}: {error.detail} (no attempts left)")
            return False
        self.attempt += 1
        # The service's Retry-After wins over our own backoff when it asks for longer.
        delay = max(self.retry.delay_before(self.attempt), error.retry_after_s or 0.0)
        self.next_retry_at = self.clock() + delay
        self.status.message = error.advice
        self._move(S.FAILED, f"{error.kind.value}: {error.detail}; retry in {delay:.1f} s")
        if await self._stopped_within(delay):
            self.next_retry_at = None
            self._move(S.IDLE, "user stopped during backoff")
            return False
        return True

    async def _why_it_ended(
        self, grant: SessionGrant, error: AvatarServiceError
    ) -> AvatarServiceError:
        """The room went away: ask the service why, before our own stop would overwrite the
        answer. Its reason may make a retry pointless (credits gone, the sandbox minute)."""
        try:
            reason = await asyncio.wait_for(self.provider.end_reason(grant.session_id), 3)
        except (AvatarServiceError, TimeoutError) as exc:
            self._log_event(f"could not ask why the session ended: {exc}")
            return error
        if reason is None:
            return error
        self._log_event(f"the service says the session ended: {reason}")
        kind = ENDED_BY_SERVICE.get(reason.upper(), ErrorKind.SESSION_ENDED)
        return AvatarServiceError(kind, f"the service ended the session: {reason}")

    async def _stopped_within(self, timeout_s: float) -> bool:
        """Waits out a backoff; True when the user stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while not self._stop_requested:
                    event = await self._events.get()
                    if isinstance(event, _StopRequested):
                        break
        return self._stop_requested

    async def _ensure_media(self) -> MediaPort:
        if self._media is None or not self._media.alive:
            if self._media is not None:
                old, self._media = self._media, None
                with contextlib.suppress(*_MEDIA_ERRORS):
                    await old.stop()
            media = self._media_factory(self._on_media_event)
            self._media = media
            try:
                await media.start()
            except _MEDIA_ERRORS as exc:
                self._media = None
                raise _Failure(AvatarServiceError(ErrorKind.MEDIA_ENGINE, str(exc))) from exc
        return self._media

    async def _resolve_avatar(self) -> SessionSettings:
        """Empty avatar id means the account's first avatar (shown to the user)."""
        settings = self.settings
        if settings.avatar_id:
            await self._name_chosen_avatar(settings.avatar_id)
            return settings
        try:
            avatars = await self.provider.list_avatars()
        except AvatarServiceError as exc:
            raise _Failure(exc) from exc
        if not avatars:
            raise _Failure(
                AvatarServiceError(ErrorKind.AVATAR_NOT_FOUND, "the account has no avatars")
            )
        avatar_id, self.avatar_name = avatars[0]
        self._log_event(f"no avatar chosen: using the account's first, {self.avatar_name}")
        return dataclasses.replace(settings, avatar_id=avatar_id)

    async def _name_chosen_avatar(self, avatar_id: str) -> None:
        """The chosen avatar's name from the account's list, once per avatar, for the window
        and the files it names; a list that fails or is slow only leaves the name out."""
        if self._named_avatar_id == avatar_id:
            return
        self._named_avatar_id, self.avatar_name = avatar_id, ""
        try:
            async with asyncio.timeout(AVATAR_NAME_TIMEOUT_S):
                avatars = await self.provider.list_avatars()
        except (AvatarServiceError, TimeoutError) as exc:
            log.info("the avatar's name was not found: %s", exc)
            return
        self.avatar_name = next((name for ident, name in avatars if ident == avatar_id), "")

    async def _one_session(self) -> None:
        self.grant = None
        self._move(S.CREATING_SESSION, "start" if self.attempt == 1 else f"retry {self.attempt}")
        # Push-to-talk is a property of the session on both services (LiveAvatar's
        # interactivity_type, v1's voice chat): the mode chosen now holds for this session.
        settings = dataclasses.replace(
            await self._resolve_avatar(), push_to_talk=self.voice.push_to_talk
        )
        self._session_push_to_talk = settings.push_to_talk
        try:
            grant = await self.provider.start_session(settings)
        except AvatarServiceError as exc:
            raise _Failure(exc) from exc
        self.grant = grant
        self.unstopped.opened(self.provider, grant.session_id)
        if self._stop_requested:
            raise _UserStop  # pressed while the session was being created: it is stopped now
        self.status = LiveStatus(session_id=grant.session_id)
        self._reply_timer.forget()
        self._readiness = Readiness(grant.avatar_identity)
        self._video_stalled = False
        media = await self._ensure_media()
        if self._stop_requested:
            raise _UserStop
        self._move(S.CONNECTING, f"joining {grant.livekit_url}")
        await self._join(media, grant)
        self._outside_room_task = self._tasks.spawn(
            self._listen_outside_room(grant), "outside-the-room"
        )
        self._move(S.WAITING_FOR_AVATAR, "joined the room")
        await self._wait_for_avatar(media, grant)
        self.status.live_since = self.clock()
        self._move(S.LIVE, "avatar video and audio subscribed, first frame decoded")
        if self._recording_wanted is not None:
            try:
                await self._begin_recording()
            except (OSError, *_MEDIA_ERRORS) as exc:  # the session goes on without a file
                self._recording_wanted = None
                self.recording.engine_gone(str(exc))
        self._keep_alive_task = self._tasks.spawn(self._keep_alive(grant), "keep-alive")
        try:
            await self._live()
        finally:
            self._keep_alive_task.cancel()

    async def _wait_for_avatar(self, media: MediaPort, grant: SessionGrant) -> None:
        """The avatar's video and audio subscribed and its first frame decoded, within the
        deadline; a rejoin of the same room on the way (no new session, no new credits)."""
        total = self.timing.first_frame_deadline_s
        rejoin = self.timing.rejoin_after_s
        if rejoin is None or rejoin >= total:
            await self._wait_for_ready(total)
            return
        try:
            await self._wait_for_ready(rejoin)
            return
        except _Failure as failure:
            if failure.error.kind is not ErrorKind.NO_VIDEO:
                raise
        self._log_event(f"no avatar picture after {rejoin:.0f} s: rejoining the same room")
        self._generation += 1  # the first join's late events are stragglers from here on
        self._readiness = Readiness(grant.avatar_identity)
        with contextlib.suppress(*_MEDIA_ERRORS):
            await media.disconnect()
        await self._join(media, grant)
        await self._wait_for_ready(total - rejoin)

    async def _join(self, media: MediaPort, grant: SessionGrant) -> None:
        """Joins the grant's room as the current generation and waits until it answers."""
        try:
            await media.connect(
                grant.livekit_url,
                grant.livekit_token,
                grant.avatar_identity,
                self._generation,
                microphone=self.voice.engine_request(),
            )
        except _MEDIA_ERRORS as exc:
            raise _Failure(AvatarServiceError(ErrorKind.MEDIA_ENGINE, str(exc))) from exc
        await self._wait_for(
            lambda e: isinstance(e, Connected),
            self.timing.connect_timeout_s,
            ErrorKind.CONNECT_FAILED,
            "the room did not answer",
        )

    async def _wait_for_ready(self, timeout_s: float) -> None:
        await self._wait_for(
            lambda _e: self._readiness.ready(),
            timeout_s,
            ErrorKind.NO_VIDEO,
            "no avatar video and audio within the deadline",
            check_first=True,
        )

    async def _live(self) -> None:
        while True:
            event = await self._next_event(None)
            if isinstance(event, Reconnecting | VideoStalled) and self.state is S.LIVE:
                cause = ("LiveKit is resuming the connection" if isinstance(event, Reconnecting)
                         else "the avatar's video stopped arriving")  # fmt: skip
                self._move(S.RECONNECTING, cause)
                # LiveKit's last quality report ("excellent") says nothing of a link that is
                # gone; the next report, once it is back, replaces this.
                self.status.quality = "lost"
                self._notify("status", self.status)
                await self._wait_for(
                    self._back_to_live,
                    self.timing.resume_timeout_s,
                    ErrorKind.NETWORK,
                    "the connection did not come back",
                )
                self._move(S.LIVE, "video flows again")
            elif (isinstance(event, TrackChanged | ParticipantChanged)
                  and not self._readiness.tracks_ready()):  # fmt: skip
                # The avatar left (or its tracks did), e.g. a rejoin into a room it is no
                # longer in: give it the first-frame deadline to come back, then a new session.
                self._log_event("the avatar's tracks are gone; waiting for them to come back")
                await self._wait_for(lambda _e: self._readiness.tracks_ready(),
                                     self.timing.first_frame_deadline_s, ErrorKind.NO_VIDEO,
                                     "the avatar left the room")  # fmt: skip
            else:
                _raise_if_ended(event)

    def _back_to_live(self, event: MediaEvent) -> bool:
        return isinstance(event, VideoResumed) or (
            isinstance(event, Reconnected) and not self._video_stalled
        )

    async def _next_event(self, timeout_s: float | None) -> MediaEvent:
        event = await asyncio.wait_for(self._events.get(), timeout_s)
        if isinstance(event, _StopRequested) or self._stop_requested:
            raise _UserStop
        return event

    async def _wait_for(
        self,
        predicate: Callable[[MediaEvent], bool],
        timeout_s: float,
        kind: ErrorKind,
        detail: str,
        check_first: bool = False,
    ) -> None:
        if check_first and predicate(MediaEvent()):
            return
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                event = await self._next_event(max(0.0, remaining))
            except TimeoutError as exc:
                raise _Failure(AvatarServiceError(kind, detail)) from exc
            if predicate(event):
                return
            _raise_if_ended(event)

    async def _listen_outside_room(self, grant: SessionGrant) -> None:
        """The service's channel beside the room (v1's voice chat), for the whole session:
        opened again after a break, with a growing pause. Its loss costs only the user's
        speech indicator, never the session."""
        pause = 1.0
        while True:
            try:
                await self.provider.listen(grant, self._apply_avatar_event)
                return
            except AvatarServiceError as exc:
                self._log_event(f"{exc.detail}; trying again in {pause:.0f} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)

    async def _keep_alive(self, grant: SessionGrant) -> None:
        while True:
            await asyncio.sleep(self.timing.keep_alive_s)
            try:
                await self.provider.keep_alive(grant)
                self._log_event("keep-alive sent")
            except AvatarServiceError as exc:
                self._log_event(f"keep-alive failed: {exc}")

    async def _end_session(self, cause: str) -> None:
        """Leaves the room and stops the session on the server (best effort, bounded). From
        here on, events of that room are a previous room's stragglers."""
        self._generation += 1
        if self._outside_room_task is not None:
            self._outside_room_task.cancel()
            self._outside_room_task = None
        if self.state in (S.CREATING_SESSION, S.CONNECTING, S.WAITING_FOR_AVATAR, S.LIVE,
                          S.RECONNECTING):  # fmt: skip
            self._move(S.ENDING, cause)
        with contextlib.suppress(*_MEDIA_ERRORS):  # this session's file ends with it
            await self.recording.stop()
        if self._media is not None and self._media.alive:
            with contextlib.suppress(*_MEDIA_ERRORS):
                await self._media.disconnect()
        grant, self.grant = self.grant, None
        if grant is not None:
            await self._stop_on_server(grant)
        self._drain_events()
        self.status.live_since = None
        if self.state is S.ENDING and cause == "user stopped":
            self._move(S.IDLE, cause)

    async def _stop_on_server(self, grant: SessionGrant) -> None:
        try:
            await asyncio.wait_for(self.provider.stop_session(grant), self.timing.stop_timeout_s)
        except (AvatarServiceError, TimeoutError) as exc:
            self._log_event(f"session {grant.session_id} not confirmed stopped: {exc!r}; "
                            "trying again in the background")  # fmt: skip
            self.unstopped.unconfirmed(self.provider, grant.session_id)
            return
        self.unstopped.confirmed(grant.session_id)
        self._log_event(f"session {grant.session_id} stopped on the server")

    def _drain_events(self) -> None:
        while not self._events.empty():
            self._events.get_nowait()


def _raise_if_ended(event: MediaEvent) -> None:
    """The events that end a session, whatever step it is in."""
    if isinstance(event, ConnectFailed):
        raise _Failure(AvatarServiceError(ErrorKind.CONNECT_FAILED, event.error))
    if isinstance(event, _ServiceEnded):
        kind = ENDED_BY_SERVICE.get(event.reason.upper(), ErrorKind.SESSION_ENDED)
        raise _Failure(AvatarServiceError(kind, f"the service ended the session: {event.reason}"))
    if isinstance(event, Disconnected):
        raise _Failure(AvatarServiceError(ErrorKind.SESSION_ENDED, f"room left: {event.reason}"))
    if isinstance(event, EngineDied):
        detail = f"media engine ended ({event.returncode}) {event.detail}".strip()
        raise _Failure(AvatarServiceError(ErrorKind.MEDIA_ENGINE, detail))

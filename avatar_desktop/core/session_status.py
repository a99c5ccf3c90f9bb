"""What the user sees of a session besides its state: the live figures for the status bar, the
voice settings, and the projection the window renders (what is enabled, the retry countdown,
which advice), so that no policy lives in the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ErrorKind
from .reply_latency import ReplyLatency
from .session_state import SessionState

S = SessionState


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
    reply: ReplyLatency | None = None  # how fast the avatar answered the last turn


@dataclass(frozen=True)
class SessionView:
    """The session as the window shows it, computed by the core from its own state."""

    state: SessionState
    attempt: int
    max_attempts: int
    error: ErrorKind | None
    retry_at: float | None  # when the next attempt starts, while backing off
    retrying: bool  # backing off before another attempt
    gave_up: bool  # failed after the last attempt (retryable kind)
    avatar_name: str

    @property
    def can_start(self) -> bool:
        return self.state is S.IDLE or (self.state is S.FAILED and not self.retrying)

    @property
    def can_stop(self) -> bool:
        if self.state is S.FAILED:
            return self.retrying
        return self.state not in (S.IDLE, S.ENDING)

    @property
    def live(self) -> bool:
        return self.state is S.LIVE

    @property
    def can_interrupt(self) -> bool:
        return self.live

    @property
    def can_send(self) -> bool:
        return self.live

    @property
    def shows_picture(self) -> bool:
        return self.state in (S.LIVE, S.RECONNECTING)

    @property
    def offer_stop_stale(self) -> bool:
        return self.state is S.FAILED and self.error is ErrorKind.CONCURRENT_LIMIT

    def retry_in_s(self, now: float) -> int | None:
        if not self.retrying or self.retry_at is None:
            return None
        return max(0, round(self.retry_at - now))

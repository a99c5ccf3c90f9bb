"""What the session needs from the media side, and what it hears back: the port the media
engine client implements (tests may implement it too), the typed events it delivers, and the
video frame the window paints.

Events are parsed once, where they enter the app (the engine client); above that line nothing
reads a dictionary. Events of a room carry ``gen``: the generation its ``connect`` named, so a
previous room's stragglers are told apart from the current room's news.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Frame:
    """A video frame in BGRA byte order (Qt's ``Format_RGB32`` on little-endian machines),
    already scaled by the engine to fit the area its source was asked for.

    ``pixels`` may be a view of memory the engine shares: valid, and left alone by the engine,
    until the next frame is taken from the same source. Rows are ``stride`` bytes apart."""

    seq: int  # 1, 2, ...: which of the frames the engine published
    width: int
    height: int
    received_us: int  # wall clock when the engine received it (for latency)
    pixels: bytes | memoryview
    stride: int


class FrameSource(Protocol):
    """Where the view takes the newest frame from, and tells the size it shows frames at."""

    def latest(self) -> Frame | None:
        """The newest frame if there is one newer than the last taken, else None."""

    def request_size(self, width: int, height: int) -> None:
        """The display area in device pixels (0, 0: the stream's own size)."""


@dataclass(frozen=True, kw_only=True)
class MediaEvent:
    gen: int | None = None  # the room's generation; None for the engine's own events

    def describe(self) -> str:
        """One journal line: the event's name and fields (never a data packet's bytes)."""
        skip = {"gen", "data"}
        details = ", ".join(
            f"{k}={v}" for k, v in self.__dict__.items() if k not in skip and v not in ("", None)
        )
        return f"livekit {self.name}" + (f" ({details})" if details else "")

    @property
    def name(self) -> str:
        return _NAMES.get(type(self), type(self).__name__)


@dataclass(frozen=True, kw_only=True)
class Connected(MediaEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ParticipantChanged(MediaEvent):
    identity: str
    present: bool


@dataclass(frozen=True, kw_only=True)
class TrackChanged(MediaEvent):
    identity: str
    kind: str  # "video" | "audio"
    subscribed: bool


@dataclass(frozen=True, kw_only=True)
class FirstFrame(MediaEvent):
    width: int = 0
    height: int = 0


@dataclass(frozen=True, kw_only=True)
class VideoStalled(MediaEvent):
    since_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class VideoResumed(MediaEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class DataReceived(MediaEvent):
    identity: str
    topic: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class Reconnecting(MediaEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class Reconnected(MediaEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class Disconnected(MediaEvent):
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ConnectFailed(MediaEvent):
    error: str


@dataclass(frozen=True, kw_only=True)
class QualityChanged(MediaEvent):
    quality: str


@dataclass(frozen=True, kw_only=True)
class MediaStats(MediaEvent):
    fps: float | None = None
    rtt_ms: float | None = None
    counters: dict[str, Any] = field(default_factory=dict, repr=False)  # all the engine sent


@dataclass(frozen=True, kw_only=True)
class AudioOutputState(MediaEvent):
    available: bool
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class MicrophoneState(MediaEvent):
    available: bool
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class MicLevel(MediaEvent):
    dbfs: float


@dataclass(frozen=True, kw_only=True)
class DevicesListed(MediaEvent):
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordingStatus(MediaEvent):
    """A recording's progress (about once a second while ``active``), and how it ended."""

    active: bool
    path: str
    seconds: float = 0.0
    bytes: int = 0
    frames_written: int = 0
    frames_dropped: int = 0
    cues: int = 0
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class EngineError(MediaEvent):
    error: str


@dataclass(frozen=True, kw_only=True)
class EngineDied(MediaEvent):
    """The engine process ended without being asked, or its event reader failed."""

    returncode: int | None
    detail: str = ""


_NAMES: dict[type[MediaEvent], str] = {
    Connected: "connected",
    ParticipantChanged: "participant",
    TrackChanged: "track",
    FirstFrame: "first_frame",
    VideoStalled: "video_stalled",
    VideoResumed: "video_resumed",
    DataReceived: "data",
    Reconnecting: "reconnecting",
    Reconnected: "reconnected",
    Disconnected: "disconnected",
    ConnectFailed: "connect_failed",
    QualityChanged: "quality",
    MediaStats: "stats",
    AudioOutputState: "audio_output",
    MicrophoneState: "microphone",
    MicLevel: "mic_level",
    DevicesListed: "devices",
    RecordingStatus: "recording",
    EngineError: "error",
    EngineDied: "engine_died",
}
EVENT_TYPES: dict[str, type[MediaEvent]] = {name: cls for cls, name in _NAMES.items()}


class MediaCommandFailed(Exception):
    """The engine answered a command with an error, or did not answer in time."""


class MediaPort(Protocol):
    """Commands to the media side. Each returns when the engine confirmed it and raises
    ``MediaCommandFailed`` (or ``ConnectionError`` when no engine runs) otherwise."""

    @property
    def alive(self) -> bool: ...

    async def start(self) -> None:
        """Starts the engine; raises ``MediaCommandFailed`` when it does not come up."""

    async def connect(
        self,
        url: str,
        token: str,
        avatar_identity: str | None,
        generation: int,
        microphone: dict[str, Any] | None = None,
    ) -> None:
        """Starts joining a room; every event of that room carries ``gen`` = ``generation``."""

    async def set_microphone_muted(self, muted: bool) -> None: ...

    async def set_microphone_device(self, device: int | str | None) -> None: ...

    async def set_speaker_device(self, device: int | str | None) -> None: ...

    async def request_devices(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def send_data(self, data: bytes, topic: str) -> None: ...

    async def start_recording(self, path: str, quality: str, microphone: bool = False) -> None:
        """Records what the room brings to ``path`` (MP4) from now until ``stop_recording``,
        across reconnects; ``quality``: ``source`` or ``720p``; ``microphone``: what the user's
        microphone sends is mixed in."""

    async def add_recording_cue(self, text: str, start: float, end: float) -> None:
        """A subtitle for the recording; times on ``time.time()``'s clock."""

    async def stop_recording(self) -> None: ...

    async def stop(self) -> None: ...


MediaFactory = Callable[[Callable[[MediaEvent], None]], MediaPort]

"""The avatar talking through a simulated laptop (tests/acoustic_room.py) to the app on the rig,
measured the same way by the tests and by the benchmark: the user silent while the avatar
answers at length (ERLE, residual echo, the canceller's convergence, what the rig's VAD heard),
then the user speaking over it (how soon the rig hears them, whether the avatar stops)."""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from avatar_desktop.core.media_port import MediaEvent, MediaPort
from avatar_desktop.core.provider_port import SessionSettings
from avatar_desktop.core.session_controller import SessionController
from avatar_desktop.core.session_state import SessionState
from avatar_desktop.media.engine_client import MediaEngine
from avatar_desktop.providers.liveavatar import LiveAvatarProvider
from avatar_desktop.rig.avatar import brain
from avatar_desktop.rig.avatar.speech import SpeechSynthesizer
from tests.acoustic_room import AcousticRoom, RoomSpec
from tests.pulse_harness import Pulse
from tests.rig_harness import RigHandle

BARGE_IN = "Wait, stop, I have a question about something completely different."
SHORT_ANSWERS = (
    "What can you do?",
    "How do I change the microphone?",
    "What is push to talk?",
    "How do I export the transcript?",
)


@dataclass
class EchoCase:
    room: str
    coupling_db: float
    silent_s: float = 0.0
    agc: bool = True
    erle_db: float | None = None  # over the avatar's speech after its first 2 s, as published
    erle_aec_db: float | None = None  # the same after the canceller alone (before the gate)
    residual_dbfs: float | None = None  # what left the microphone meanwhile, RMS
    converged_s: float | None = None  # the avatar's voice heard until ERLE first ≥ 20 dB
    false_starts: int = 0  # user.speak_started while only the avatar spoke
    false_segments: int = 0  # the rig VAD's segments meanwhile (each one the avatar answers)
    false_durations_s: list[float] = field(default_factory=list)
    barge_in_heard_s: float | None = None  # the user's first sample until user.speak_started
    avatar_interrupted: bool | None = None
    stopped_before_barge_in: bool = False  # the avatar's echo had already interrupted it
    interrupted_after_s: float | None = None
    true_segments: int = 0
    mic_delay_ms: int | None = None  # the stream delay AEC3 was told (measured)
    echo_delay_ms: int | None = None  # the echo's delay estimated from the envelopes
    gated_frames: int | None = None
    mic_dropped: int | None = None  # microphone blocks the engine's loop never took
    room_blocks_in: int = 0  # what the monitor delivered to the room (10 ms blocks)
    room_blocks_short: int = 0  # microphone blocks that found no played audio queued
    room_blocks_dropped: int = 0  # microphone blocks the FIFO had no room for: an echo jump
    room_delay_ms: int = 0  # the most the room's queue held: the delay the harness added
    room_missed_ms: int = 0  # how far the monitor's delivery fell behind the wall clock
    debug: dict[str, Any] = field(default_factory=dict)  # the microphone's last counters

    def row(self) -> dict[str, Any]:
        return asdict(self)


async def _until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step_s)
    return True


def new_controller(
    rig: RigHandle, agc: bool = True
) -> tuple[SessionController, LiveAvatarProvider]:
    provider = LiveAvatarProvider(rig.api_key, base_url=rig.base_url)

    def media(on_event: Callable[[MediaEvent], None]) -> MediaPort:
        return MediaEngine(on_event)

    controller = SessionController(provider, media, SessionSettings(quality="low"))
    controller.voice.auto_gain_control = agc
    return controller, provider


def _avatar(rig: RigHandle, sid: str) -> dict[str, Any]:
    return dict(rig.session(sid)["avatar"])


class StartCounter:
    """Counts the rig's user.speak_started as the controller sees them (polled every 10 ms)."""

    def __init__(self, controller: SessionController) -> None:
        self.controller = controller
        self.starts = 0
        self.first_at: float | None = None
        self.at: list[float] = []  # when each start was seen (time.monotonic)
        # The microphone's and speaker's counters 3 s before and at each start, to tell what
        # changed as the false turn came (a device underflow, a delay step, the gate).
        self.counters_around: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None

    def _counters(self) -> dict[str, Any]:
        items = self.controller.media_stats.items()
        return {k: v for k, v in items if k.startswith(("mic_", "speaker_", "playout_"))}

    async def _watch(self) -> None:
        was = self.controller.status.user_speaking
        recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=300)  # 3 s
        while True:
            now = self.controller.status.user_speaking
            recent.append(self._counters())
            if now and not was:
                self.starts += 1
                self.at.append(time.monotonic())
                self.counters_around.append((recent[0], recent[-1]))
                if self.first_at is None:
                    self.first_at = time.monotonic()
            was = now
            await asyncio.sleep(0.01)

    def __enter__(self) -> StartCounter:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def _live(controller: SessionController) -> str:
    await controller.start()
    ok = await _until(
        lambda: controller.state is SessionState.LIVE and controller.status.microphone is True, 30
    )
    if not ok:
        raise AssertionError(f"the session did not go live: {controller.state}")
    await asyncio.sleep(1.0)  # the published track's first blocks
    return controller.grant.session_id if controller.grant else ""


def _erle(
    stats0: dict[str, Any], stats1: dict[str, Any], seconds: float, out: str = "mic_energy_out"
) -> tuple[float, float]:
    e_in = stats1.get("mic_energy_in", 0.0) - stats0.get("mic_energy_in", 0.0)
    e_out = stats1.get(out, 0.0) - stats0.get(out, 0.0)
    erle = 10 * math.log10(max(e_in, 1.0) / max(e_out, 1.0))
    rms = math.sqrt(max(e_out, 1.0) / (seconds * 48_000))
    return round(erle, 1), round(20 * math.log10(rms / 32768), 1)


def _room_figures(case: EchoCase, room: AcousticRoom, pulse: Pulse, dropped_before: int) -> None:
    case.room_blocks_in, case.room_blocks_short = room.blocks_in, room.blocks_short
    case.room_blocks_dropped = pulse.mic.blocks_dropped - dropped_before
    case.room_delay_ms = pulse.mic.room_queue_max * 1000 // 48_000


async def run_case(
    rig: RigHandle,
    pulse: Pulse,
    spec: RoomSpec,
    silent_s: float = 12.0,
    barge_in: bool = True,
    agc: bool = True,
) -> EchoCase:
    """One session in ``spec``'s room: the long answer with the user silent for ``silent_s``,
    then (``barge_in``) the user talking over the avatar."""
    case = EchoCase(spec.name, spec.coupling_db, silent_s, agc=agc)
    controller, provider = new_controller(rig, agc)
    try:
        dropped_before = pulse.mic.blocks_dropped
        with pulse.speaker_in_room(spec) as room:
            sid = await _live(controller)
            before = _avatar(rig, sid)
            with StartCounter(controller) as counter:
                await controller.send_text(brain.long_answer("en"), "repeat")
                if not await _until(lambda: controller.status.avatar_speaking, 15):
                    raise AssertionError("the avatar did not start speaking")
                await asyncio.sleep(2.0)
                stats0 = dict(controller.media_stats)
                await asyncio.sleep(silent_s - 2.0)
                stats1 = dict(controller.media_stats)
                case.false_starts = counter.starts
            case.erle_db, case.residual_dbfs = _erle(stats0, stats1, silent_s - 2.0)
            case.erle_aec_db, _ = _erle(stats0, stats1, silent_s - 2.0, "mic_energy_aec")
            case.converged_s = stats1.get("mic_converged_s")
            case.mic_delay_ms = stats1.get("mic_delay_ms")
            case.echo_delay_ms = stats1.get("mic_echo_delay_ms")
            if barge_in:
                await _barge_in(controller, pulse, case)
            await asyncio.sleep(1.5)  # a segment still open closes after 0.8 s of quiet
            after = _avatar(rig, sid)
            segments = after["speech_durations_s"][len(before["speech_durations_s"]) :]
            if barge_in:  # the user's own segment is the longest, the rest were echo
                case.true_segments = 1 if segments and case.barge_in_heard_s is not None else 0
                segments = sorted(segments)[: len(segments) - case.true_segments]
            case.false_segments = len(segments)
            case.false_durations_s = segments
            case.gated_frames = dict(controller.media_stats).get("mic_gated")
            _room_figures(case, room, pulse, dropped_before)
            stats = controller.media_stats.items()
            case.debug = {k: v for k, v in stats if k.startswith(("mic_", "speaker_"))}
            case.mic_dropped = case.debug.get("mic_dropped")
        case.room_missed_ms = pulse.monitor_behind_ms
    finally:
        await controller.close()
        await provider.aclose()
    return case


async def _barge_in(controller: SessionController, pulse: Pulse, case: EchoCase) -> None:
    speech = SpeechSynthesizer().synthesize(BARGE_IN)
    if not controller.status.avatar_speaking:  # its own echo interrupted it: no double talk
        case.stopped_before_barge_in = True
        return
    heard_before = len(pulse.mic.user_started_at)
    was_speaking = controller.status.user_speaking
    pulse.mic.say(speech)
    await _until(lambda: len(pulse.mic.user_started_at) > heard_before, 2, 0.005)
    started = pulse.mic.user_started_at[-1]
    if was_speaking:  # an echo segment was open: the user's start cannot be told apart
        await _until(lambda: not controller.status.user_speaking, 3, 0.005)
    if await _until(lambda: controller.status.user_speaking, 5, 0.005):
        case.barge_in_heard_s = round(time.monotonic() - started, 3)
    case.avatar_interrupted = await _until(lambda: not controller.status.avatar_speaking, 5)
    if case.avatar_interrupted:
        case.interrupted_after_s = round(time.monotonic() - started, 2)
    await _until(lambda: not pulse.mic.speaking, 10)


async def run_answers(
    rig: RigHandle, pulse: Pulse, spec: RoomSpec, seconds: float, every_s: float = 20.0
) -> EchoCase:
    """The avatar answering every ``every_s`` for ``seconds``, the user silent throughout."""
    case = EchoCase(spec.name, spec.coupling_db, seconds)
    controller, provider = new_controller(rig)
    try:
        dropped_before = pulse.mic.blocks_dropped
        with pulse.speaker_in_room(spec) as room:
            sid = await _live(controller)
            before = _avatar(rig, sid)
            stats0 = dict(controller.media_stats)
            started = time.monotonic()
            asked_at: list[float] = []
            with StartCounter(controller) as counter:
                asked = 0
                while time.monotonic() - started < seconds:
                    question = SHORT_ANSWERS[asked % len(SHORT_ANSWERS)]
                    asked_at.append(time.monotonic())
                    await controller.send_text(question, "talk")
                    asked += 1
                    next_at = started + asked * every_s
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                await _until(lambda: not controller.status.avatar_speaking, 20)
                await asyncio.sleep(1.5)
                case.false_starts = counter.starts
            stats1 = dict(controller.media_stats)
            after = _avatar(rig, sid)
            case.false_durations_s = after["speech_durations_s"][
                len(before["speech_durations_s"]) :
            ]
            case.false_segments = len(case.false_durations_s)
            case.erle_db, case.residual_dbfs = _erle(stats0, stats1, time.monotonic() - started)
            case.converged_s = stats1.get("mic_converged_s")
            case.mic_delay_ms = stats1.get("mic_delay_ms")
            case.echo_delay_ms = stats1.get("mic_echo_delay_ms")
            case.gated_frames = stats1.get("mic_gated")
            case.mic_dropped = stats1.get("mic_dropped")
            case.debug = {k: v for k, v in stats1.items() if k.startswith(("mic_", "speaker_"))}
            case.debug["false_starts"] = [
                _false_start(at, asked_at, around)
                for at, around in zip(counter.at, counter.counters_around, strict=True)
            ]
            _room_figures(case, room, pulse, dropped_before)
        case.room_missed_ms = pulse.monitor_behind_ms
    finally:
        await controller.close()
        await provider.aclose()
    return case


def _false_start(
    at: float, asked_at: list[float], around: tuple[dict[str, Any], dict[str, Any]]
) -> dict[str, Any]:
    """A false turn: how long after the question before it, and which counters moved."""
    before, after = around
    moved = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    since = [at - asked for asked in asked_at if asked <= at]
    return {"after_question_s": round(since[-1], 2) if since else None, "moved": moved}

"""The user's microphone: sounddevice capture in 10 ms blocks → echo cancellation, noise
suppression, high-pass and gain control (livekit's AudioProcessingModule, fed with what the
speaker plays as its reverse stream) → the published track's AudioSource.

No microphone is a state the app explains, not a crash: ``MicrophoneUnavailable`` says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from livekit import rtc

from .thread_bridge import ThreadToLoop

log = logging.getLogger(__name__)
SAMPLE_RATE = 48_000
FRAME = SAMPLE_RATE // 100
WARMUP_S = 1.5
MAX_BACKLOG_BLOCKS = 25
REFERENCE_LOUD_RMS = 100.0  # about -50 dBFS


class MicrophoneUnavailable(RuntimeError):
    pass


@dataclass
class ProcessingOptions:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    high_pass_filter: bool = True
    auto_gain_control: bool = True


class Microphone:
    """Captures, processes and publishes. ``level`` reports the input level (dBFS, 10 ms)."""

    def __init__(
        self,
        source: rtc.AudioSource,
        options: ProcessingOptions,
        level: Callable[[float], None],
        device: int | str | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.apm = rtc.AudioProcessingModule(
            echo_cancellation=options.echo_cancellation,
            noise_suppression=options.noise_suppression,
            high_pass_filter=options.high_pass_filter,
            auto_gain_control=options.auto_gain_control,
        )
        self._level = level
        self._device = device
        self._stream: Any = None
        self._bridge: ThreadToLoop[npt.NDArray[np.int16]] | None = None
        self._pump: asyncio.Task[None] | None = None
        self.muted = False
        self.frames_captured = 0
        self.capture_latency_ms: list[float] = []
        self.input_overflows = 0
        self.stream_delay_ms = 0
        self.output_latency_ms = 0
        # Sums of squares before and after processing: their ratio over a stretch where only
        # the speaker is heard is the echo return loss enhancement (ERLE).
        self.energy_in = 0.0
        self.energy_out = 0.0
        # The canceller learns the echo path from the first second or so of the avatar's voice
        # and lets it through meanwhile (measured: no cancellation in the first second, then
        # 30-60 dB). Until it has heard WARMUP_S of that voice, the microphone is held silent
        # while the speaker is loud: half duplex for a moment, never the avatar hearing itself.
        self.reference_heard_s = 0.0
        self._reference_loud_at = -1e9
        self.warmup_gated_frames = 0

    @property
    def blocks_received(self) -> int:
        """Blocks the device delivered (whether or not the track took them yet)."""
        return self._bridge.posted if self._bridge is not None else 0

    @property
    def dropped(self) -> int:
        return self._bridge.dropped if self._bridge is not None else 0

    async def start(self) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise MicrophoneUnavailable(str(exc)) from exc
        loop = asyncio.get_running_loop()
        # capture_frame sometimes holds on for a while (the SDK paces by its own estimate of
        # its queue): a 250 ms backlog absorbs that; a longer one only adds latency when the
        # track falls behind for good.
        self._bridge = ThreadToLoop(loop, capacity=MAX_BACKLOG_BLOCKS)
        bridge = self._bridge

        def callback(indata: Any, frames: int, _time: Any, status: Any) -> None:
            if status.input_overflow:
                self.input_overflows += 1
            bridge.post(indata[:, 0].copy())

        def open_stream() -> Any:
            stream = sd.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=FRAME,
                device=self._device, callback=callback, latency="low",
            )  # fmt: skip
            stream.start()
            return stream

        # PortAudio blocks for seconds on a device that went away (a suspended PulseAudio
        # source): never on the loop that carries the room's events and commands.
        try:
            self._stream = await asyncio.to_thread(open_stream)
        except (sd.PortAudioError, ValueError) as exc:
            raise MicrophoneUnavailable(str(exc)) from exc
        self.stream_delay_ms = int(os.environ.get("AVATAR_DESKTOP_AEC_DELAY_MS", "0")) or int(
            self._stream.latency * 1000
        )
        self._pump = loop.create_task(self._run(), name="microphone")

    def play_reference(self, samples: npt.NDArray[np.int16]) -> None:
        """What the speaker played (10 ms): the echo canceller's reverse stream."""
        if not self.options.echo_cancellation or samples.size != FRAME:
            return
        self.apm.process_reverse_stream(rtc.AudioFrame(samples.tobytes(), SAMPLE_RATE, 1, FRAME))
        if float(np.sqrt(np.mean(samples.astype(np.float32) ** 2))) > REFERENCE_LOUD_RMS:
            self.reference_heard_s += FRAME / SAMPLE_RATE
            self._reference_loud_at = asyncio.get_running_loop().time()

    def _warming_up(self, now: float) -> bool:
        return (
            self.options.echo_cancellation
            and self.reference_heard_s < WARMUP_S
            and now - self._reference_loud_at < 0.3
        )

    async def _run(self) -> None:
        assert self._bridge is not None
        loop = asyncio.get_running_loop()
        while True:
            block = await self._bridge.get()
            started = loop.time()
            frame = rtc.AudioFrame(block.tobytes(), SAMPLE_RATE, 1, FRAME)
            if self.options.echo_cancellation:
                self.apm.set_stream_delay_ms(self.stream_delay_ms + self.output_latency_ms)
            self.apm.process_stream(frame)
            processed = np.frombuffer(frame.data, np.int16).astype(np.float64)
            self.energy_in += float(np.sum(block.astype(np.float64) ** 2))
            out_energy = float(np.sum(processed**2))
            self.energy_out += out_energy
            rms = (out_energy / FRAME) ** 0.5
            self._level(20 * np.log10(max(rms, 1.0) / 32768))
            if self._warming_up(started):
                self.warmup_gated_frames += 1
                self.energy_out -= out_energy  # what leaves is silence
                frame = rtc.AudioFrame(bytes(FRAME * 2), SAMPLE_RATE, 1, FRAME)
            elif self.muted:
                frame = rtc.AudioFrame(bytes(FRAME * 2), SAMPLE_RATE, 1, FRAME)
            await self.source.capture_frame(frame)
            self.frames_captured += 1
            if len(self.capture_latency_ms) < 100_000:
                self.capture_latency_ms.append((loop.time() - started) * 1000)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        stream, self._stream = self._stream, None
        if stream is not None:
            await asyncio.to_thread(_stop_and_close, stream)


def _stop_and_close(stream: Any) -> None:
    stream.stop()
    stream.close()

"""The user's microphone: sounddevice capture in 10 ms blocks → echo cancellation, noise
suppression and high-pass (livekit's AudioProcessingModule, fed with what the speaker plays as
its reverse stream) → the residual echo gate (echo_gate.py) → gain control (voice_gain.py,
which never lifts the echo; WebRTC's AGC only when there is no echo cancellation) → the
published track's AudioSource.

No microphone is a state the app explains, not a crash: ``MicrophoneUnavailable`` says why.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from livekit import rtc

from .clock_drift import EchoDrift, ReferenceResampler
from .echo_gate import EchoDelayEstimator, ResidualEchoGate
from .thread_bridge import InOrderOnLoop, ThreadToLoop
from .voice_gain import VoiceGain

log = logging.getLogger(__name__)
SAMPLE_RATE = 48_000
FRAME = SAMPLE_RATE // 100
WARMUP_S = 1.5
MAX_BACKLOG_BLOCKS = 25
REFERENCE_LOUD_RMS = 100.0  # about -50 dBFS
GAIN_HOLD_S = 1.0
SAME_CLOCK = 5e-6  # a ratio this close to 1 slips a frame in half an hour: not resampled


class FrameSink(Protocol):
    """Where the processed blocks go: the published track's ``rtc.AudioSource``, or something
    in front of it (the recording's tap)."""

    async def capture_frame(self, frame: rtc.AudioFrame) -> None: ...


class MicrophoneUnavailable(RuntimeError):
    pass


@dataclass
class ProcessingOptions:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    high_pass_filter: bool = True
    auto_gain_control: bool = True
    residual_echo_gate: bool = True


class Microphone:
    """Captures, processes and publishes. ``level`` reports the input level (dBFS, 10 ms)."""

    def __init__(
        self,
        source: FrameSink,
        options: ProcessingOptions,
        level: Callable[[float], None],
        device: int | str | None = None,
    ) -> None:
        self.source = source
        self.options = options
        # WebRTC's AGC sits before the gate and lifts the canceller's residual with the
        # quiet: with echo cancellation the gain comes after the gate (VoiceGain).
        self.apm = rtc.AudioProcessingModule(
            echo_cancellation=options.echo_cancellation,
            noise_suppression=options.noise_suppression,
            high_pass_filter=options.high_pass_filter,
            auto_gain_control=options.auto_gain_control and not options.echo_cancellation,
        )
        self.voice_gain: VoiceGain | None = None
        if options.auto_gain_control and options.echo_cancellation:
            self.voice_gain = VoiceGain()
        self._level = level
        self._device = device
        self._stream: Any = None
        self._arrivals: InOrderOnLoop[tuple[npt.NDArray[np.int16], float]] | None = None
        # Processed blocks for the track, with when (loop time) each was processed.
        self._bridge: ThreadToLoop[tuple[npt.NDArray[np.int16], float]] | None = None
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
        self.energy_aec = 0.0  # after the canceller, before the residual echo gate
        self.energy_out = 0.0  # what was published
        # The canceller learns the echo path from the first second or so of the avatar's voice
        # and lets it through meanwhile (measured: no cancellation in the first second, then
        # 30-60 dB). Until it has heard WARMUP_S of that voice, the microphone is held silent
        # while the speaker is loud: half duplex for a moment, never the avatar hearing itself.
        self.reference_heard_s = 0.0
        self._reference_loud_at = -1e9
        self.warmup_gated_frames = 0
        self.echo_path_breaks = 0  # speaker underflows that set the warm-up going again
        self.convergence = ConvergenceMeter()
        # The stream delay AEC3 is told is measured, not guessed: when each played block
        # reaches the DAC minus when the canceller got it, plus when each captured block is
        # processed minus when the ADC took it (PortAudio's timestamps, per block).
        self._render_lead_ms: collections.deque[float] = collections.deque(maxlen=200)
        self._capture_lag_ms: collections.deque[float] = collections.deque(maxlen=200)
        self.measured_delay_ms: int | None = None
        self._reference_energy = 0.0  # played since the last microphone block
        # The canceller gets what was played on the microphone's clock (clock_drift.py).
        self.clock_drift = EchoDrift()
        # Resampling holds the played sound back by 8 samples (it needs them past each point it
        # interpolates): on one clock (most laptops) it is passed as it is, and the resampler
        # takes over once, the first time the echo says the clocks differ, carrying on from the
        # last block passed.
        self._reference: ReferenceResampler | None = None
        self._last_played: npt.NDArray[np.int16] | None = None
        self._overflows_seen = 0
        self.echo_delay = EchoDelayEstimator()
        self.gate = ResidualEchoGate()

    @property
    def blocks_received(self) -> int:
        """Blocks the device delivered (whether or not the track took them yet)."""
        return self._arrivals.posted if self._arrivals is not None else 0

    @property
    def dropped(self) -> int:
        """Processed blocks let go unpublished: the track fell behind by MAX_BACKLOG_BLOCKS."""
        return self._bridge.dropped if self._bridge is not None else 0

    async def start(self) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise MicrophoneUnavailable(str(exc)) from exc
        loop = asyncio.get_running_loop()
        # Every captured block is processed as it reaches the loop, in order with the played
        # ones (the canceller must see both streams whole); only then may a block wait for the
        # track. capture_frame sometimes holds on for a while (the SDK paces by its own
        # estimate of its queue): a 250 ms backlog absorbs that; a longer one only adds
        # latency when the track falls behind for good.
        self._bridge = ThreadToLoop(loop, capacity=MAX_BACKLOG_BLOCKS)
        self._arrivals = InOrderOnLoop(loop, self._process)
        arrivals = self._arrivals

        def callback(indata: Any, frames: int, stamps: Any, status: Any) -> None:
            if status.input_overflow:
                self.input_overflows += 1
            waited = max(0.0, stamps.currentTime - stamps.inputBufferAdcTime)
            arrivals.post((indata[:, 0].copy(), time.monotonic() - waited))

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
        self.stream_delay_ms = int(self._stream.latency * 1000)
        self._pump = loop.create_task(self._run(), name="microphone")

    def play_reference(
        self, samples: npt.NDArray[np.int16], rendered_at: float | None, underflowed: bool = False
    ) -> None:
        """What the speaker played (10 ms): the echo canceller's reverse stream.
        ``rendered_at``: when (time.monotonic) its first sample reaches the DAC, if known.
        ``underflowed``: the device ran dry before this block, so from here on the echo comes
        later than the canceller learned. AEC3 finds the new delay within a second or so and
        leaks meanwhile (seen on the rig's digital loop under load: one underflow, then 36-56
        dB where 90 was, and the avatar heard itself): the microphone warms up again."""
        if not self.options.echo_cancellation or samples.size != FRAME:
            return
        if underflowed:
            self.clock_drift.broken()  # the echo now comes later than it did
            if self.reference_heard_s > 0:
                self.reference_heard_s = 0.0
                self.echo_path_breaks += 1
        now = time.monotonic()
        if rendered_at is not None:
            self._render_lead_ms.append((rendered_at - now) * 1000)
        self.clock_drift.played(samples)
        ratio = self.clock_drift.step()
        if self._reference is None and abs(ratio - 1.0) > SAME_CLOCK:
            self._reference = ReferenceResampler(before=self._last_played)
        reference = [samples] if self._reference is None else self._reference.push(samples, ratio)
        self._last_played = samples
        for frame in reference:
            self.apm.process_reverse_stream(rtc.AudioFrame(frame.tobytes(), SAMPLE_RATE, 1, FRAME))
        energy = float(np.sum(samples.astype(np.float64) ** 2))
        self._reference_energy += energy
        if energy > REFERENCE_LOUD_RMS**2 * FRAME:
            self.reference_heard_s += FRAME / SAMPLE_RATE
            self._reference_loud_at = asyncio.get_running_loop().time()

    @property
    def render_lead_ms(self) -> float | None:
        """Median over the last 2 s: a played block's DAC time minus its arrival here."""
        return round(statistics.median(self._render_lead_ms), 1) if self._render_lead_ms else None

    @property
    def capture_lag_ms(self) -> float | None:
        """Median over the last 2 s: a captured block's processing minus its ADC time."""
        return round(statistics.median(self._capture_lag_ms), 1) if self._capture_lag_ms else None

    def _stream_delay_ms(self) -> int:
        """The echo's delay for the gate: measured once both ends have reported, else the
        devices' nominal latencies."""
        lead, lag = self.render_lead_ms, self.capture_lag_ms
        if lead is not None and lag is not None:
            measured = max(0, round(lead + lag))
            # A hint that moves by a millisecond every few blocks made AEC3 lose the echo
            # (measured on the digital loop: 45 dB falling to 1 dB in 4 s): it moves only
            # when the measurement has moved by more than the jitter.
            if self.measured_delay_ms is None or abs(measured - self.measured_delay_ms) > 20:
                self.measured_delay_ms = measured
            return self.measured_delay_ms
        return self.stream_delay_ms + self.output_latency_ms

    def _warming_up(self, now: float) -> bool:
        return (
            self.options.echo_cancellation
            and self.reference_heard_s < WARMUP_S
            and now - self._reference_loud_at < 0.3
        )

    def _process(self, item: tuple[npt.NDArray[np.int16], float]) -> None:
        """One captured block, on the loop as it arrives: the processing module, the gate and
        the gain, then into the queue for the track."""
        assert self._bridge is not None
        block, captured_at = item
        now = asyncio.get_running_loop().time()
        self._capture_lag_ms.append((time.monotonic() - captured_at) * 1000)
        if self.input_overflows != self._overflows_seen:  # blocks lost: the count is off
            self._overflows_seen = self.input_overflows
            self.clock_drift.broken()
        self.clock_drift.captured(block)
        frame = rtc.AudioFrame(block.tobytes(), SAMPLE_RATE, 1, FRAME)
        if self.options.echo_cancellation:
            # AEC3 searches for the echo from the delay it is told on, never before it: told
            # the devices' nominal 20 ms where the rig's speaker monitor brings the echo back
            # almost at once, it stayed near 10 dB for a whole answer (1 run in 8 here, and
            # CI twice); told 0 it finds any delay itself (replays of those runs: 80-90 dB).
            # Telling it the measured delay was worse still (55-70 dB falling to 0-30).
            self.apm.set_stream_delay_ms(0)
        self.apm.process_stream(frame)
        processed = np.frombuffer(frame.data, np.int16)
        in_energy = float(np.sum(block.astype(np.float64) ** 2))
        self.energy_in += in_energy
        out_energy = float(np.sum(processed.astype(np.float64) ** 2))
        self.convergence.feed(in_energy, out_energy, self.reference_heard_s)
        self.energy_aec += out_energy
        rms = (out_energy / FRAME) ** 0.5
        self._level(20 * np.log10(max(rms, 1.0) / 32768))
        published = self._residual_gate(processed, in_energy, out_energy, now)
        if self.voice_gain is not None:
            published = self._gain(published, out_energy, now)
        if self._warming_up(now):
            self.warmup_gated_frames += 1
            published = np.zeros(FRAME, np.int16)
        elif self.muted:
            published = np.zeros(FRAME, np.int16)
        else:
            self.energy_out += float(np.sum(published.astype(np.float64) ** 2))
        self._bridge.put((published, now))

    async def _run(self) -> None:
        assert self._bridge is not None
        loop = asyncio.get_running_loop()
        while True:
            published, processed_at = await self._bridge.get()
            frame = rtc.AudioFrame(published.tobytes(), SAMPLE_RATE, 1, FRAME)
            await self.source.capture_frame(frame)
            self.frames_captured += 1
            if len(self.capture_latency_ms) < 100_000:
                self.capture_latency_ms.append((loop.time() - processed_at) * 1000)

    def _residual_gate(
        self, processed: npt.NDArray[np.int16], in_energy: float, out_energy: float, now: float
    ) -> npt.NDArray[np.int16]:
        """The double-talk aware gate after the canceller (echo_gate.py)."""
        reference, self._reference_energy = self._reference_energy, 0.0
        if not (self.options.echo_cancellation and self.options.residual_echo_gate):
            return processed
        # The envelopes' estimate is reported, not trusted: speech's syllable rhythm gives it
        # false peaks (measured: 480 ms for a 70 ms echo). The gate takes the measured delay
        # and up to 100 ms more for the sound's way through the room.
        self.echo_delay.feed(reference, in_energy)
        self.gate.delay_blocks, self.gate.spread_blocks = self._stream_delay_ms() // 10, 10
        self.gate.reference(reference)
        if self._warming_up(now):
            self.gate.learn(out_energy, in_energy)
            return processed
        return self.gate.process(processed, out_energy, in_energy)

    def _gain(
        self, samples: npt.NDArray[np.int16], energy: float, now: float
    ) -> npt.NDArray[np.int16]:
        """VoiceGain with the gate's verdict. The avatar counts as loud for a second after its
        last loud block as well: the gate's reverberant tail is an estimate, and a pause
        between two sentences must not lift the echo's tail."""
        assert self.voice_gain is not None
        loud = now - self._reference_loud_at < GAIN_HOLD_S or self._warming_up(now)
        user = False
        if self.options.residual_echo_gate:
            loud, user = loud or self.gate.avatar_loud, self.gate.passed_user
        return self.voice_gain.process(samples, energy, loud, user)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        stream, self._stream = self._stream, None
        if stream is not None:
            await asyncio.to_thread(_stop_and_close, stream)


class ConvergenceMeter:
    """How long the canceller took to learn the room: seconds of the avatar's voice heard (loud
    reference) until the first of ``RUN`` consecutive 100 ms windows, loud at the microphone,
    that the canceller reduced by at least ``ERLE_DB`` (measured before the gate, AGC included)."""

    ERLE_DB = 10.0
    WINDOW = 10
    RUN = 3
    LOUD_ENERGY = (REFERENCE_LOUD_RMS**2) * FRAME

    def __init__(self) -> None:
        self.converged_after_s: float | None = None
        self._in = 0.0
        self._out = 0.0
        self._blocks = 0
        self._run = 0
        self._run_started_s = 0.0

    def feed(self, energy_in: float, energy_out: float, reference_heard_s: float) -> None:
        if self.converged_after_s is not None or reference_heard_s <= 0:
            return
        self._in += energy_in
        self._out += energy_out
        self._blocks += 1
        if self._blocks < self.WINDOW:
            return
        if self._in > self.LOUD_ENERGY * self.WINDOW:
            if self._in > self._out * 10 ** (self.ERLE_DB / 10):
                if self._run == 0:
                    self._run_started_s = reference_heard_s
                self._run += 1
                if self._run >= self.RUN:
                    self.converged_after_s = round(self._run_started_s, 2)
            else:
                self._run = 0
        self._in = self._out = 0.0
        self._blocks = 0


def _stop_and_close(stream: Any) -> None:
    stream.stop()
    stream.close()

"""A PulseAudio daemon with virtual devices for real-audio tests and benchmarks: a null sink
``spk`` (the speaker) whose monitor a ``SpeakerTap`` always listens to, and a pipe source ``mic``
fed from a FIFO in real time (silence, and speech on request).

The tap is what makes the null sink a sound card: with nobody recording its monitor, the null
sink renders in 2 s blocks and a PortAudio stream on it is consumed at ~88 % of 48 kHz
(measured: 42.8 kHz); with a 10 ms reader the output is consumed at 48.00 kHz, like hardware.
It also stamps what the speaker played on the wall clock, for lip-sync and echo measurements."""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 48_000
BLOCK = RATE // 100


class MicFeeder(threading.Thread):
    """Writes 10 ms blocks into the pipe source at real-time pace: silence unless speaking."""

    def __init__(self, fifo: Path) -> None:
        super().__init__(daemon=True, name="mic-feeder")
        self.fifo = fifo
        self.pending: collections.deque[npt.NDArray[np.int16]] = collections.deque()
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def say(self, pcm: npt.NDArray[np.int16]) -> None:
        padded = np.concatenate([pcm, np.zeros((-pcm.size) % BLOCK, np.int16)])
        with self.lock:
            self.pending.extend(padded.reshape(-1, BLOCK))

    @property
    def speaking(self) -> bool:
        with self.lock:
            return bool(self.pending)

    def run(self) -> None:
        """Feeds until the reader goes away (PulseAudio stopped)."""
        silence = np.zeros(BLOCK, np.int16)
        with self.fifo.open("wb", buffering=0) as out:
            next_at = time.monotonic()
            while not self.stopped.is_set():
                with self.lock:
                    block = self.pending.popleft() if self.pending else silence
                try:
                    out.write(block.tobytes())
                except BrokenPipeError:
                    return
                next_at += 0.01
                time.sleep(max(0.0, next_at - time.monotonic()))


class SpeakerTap(threading.Thread):
    """Records ``spk.monitor`` with 10 ms fragments for as long as PulseAudio runs, keeping the
    last ``keep_s`` seconds. Sample ``n`` (counted from the first) was played at about
    ``anchor + n / RATE`` on ``time.time()``'s clock: the anchor is the earliest that any read
    allows (a read that arrives late only makes the samples look later, never earlier)."""

    def __init__(self, keep_s: float = 180.0) -> None:
        super().__init__(daemon=True, name="speaker-tap")
        self.keep = int(keep_s * RATE)
        self.lock = threading.Lock()
        self.chunks: collections.deque[tuple[int, npt.NDArray[np.int16]]] = collections.deque()
        self.total = 0  # samples received
        self.anchor = float("inf")
        self.process = subprocess.Popen(
            ["parec", "--device=spk.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=10"],
            stdout=subprocess.PIPE,
        )  # fmt: skip

    def run(self) -> None:
        assert self.process.stdout is not None
        fd, pending = self.process.stdout.fileno(), b""
        while data := os.read(fd, 65536):
            now = time.time()
            pending += data
            usable = len(pending) // 2 * 2
            block = np.frombuffer(pending[:usable], np.int16).copy()
            pending = pending[usable:]
            with self.lock:
                self.chunks.append((self.total, block))
                self.total += block.size
                self.anchor = min(self.anchor, now - self.total / RATE)
                while self.chunks and self.chunks[0][0] + self.chunks[0][1].size < (
                    self.total - self.keep
                ):
                    self.chunks.popleft()

    def since(self, wall_time: float) -> tuple[float, npt.NDArray[np.int16]]:
        """What was played from ``wall_time`` on (as far as kept): (time of its first sample,
        the samples)."""
        with self.lock:
            if not self.chunks:
                return wall_time, np.zeros(0, np.int16)
            first = max(self.chunks[0][0], int((wall_time - self.anchor) * RATE))
            parts = [b[max(0, first - i) :] for i, b in self.chunks if i + b.size > first]
            samples = np.concatenate(parts) if parts else np.zeros(0, np.int16)
            return self.anchor + max(first, self.chunks[0][0]) / RATE, samples

    def stop(self) -> None:
        process = self.process
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.join(5)
        if process.stdout is not None:
            process.stdout.close()


class Pulse:
    def __init__(self, runtime: Path, feeder: MicFeeder, speaker: SpeakerTap) -> None:
        self.runtime = runtime
        self.mic = feeder
        self.speaker = speaker

    @contextlib.contextmanager
    def speaker_looped_into_microphone(self) -> Iterator[None]:
        """The worst echo path: the microphone hears exactly what the speaker plays."""
        subprocess.run(["pactl", "set-default-source", "spk.monitor"], check=True)
        try:
            yield
        finally:
            subprocess.run(["pactl", "set-default-source", "mic"], check=True)

    @contextlib.contextmanager
    def microphone_unplugged(self) -> Iterator[None]:
        """The microphone stops delivering audio (its source is suspended), then comes back.

        (Unloading the source would not do: PulseAudio moves the stream to a fallback source.)
        """
        subprocess.run(["pactl", "suspend-source", "mic", "1"], check=True)
        try:
            yield
        finally:
            subprocess.run(["pactl", "suspend-source", "mic", "0"], check=True)

    def record_speaker(self, seconds: float) -> npt.NDArray[np.int16]:
        """What the speaker plays over the next ``seconds``."""
        began = time.time()
        time.sleep(seconds)
        return self.speaker.since(began)[1]


@contextlib.contextmanager
def running_pulse() -> Iterator[Pulse]:
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("PulseAudio is missing: scripts/bootstrap.sh installs it")
    runtime = Path(tempfile.mkdtemp(prefix="avatar-pulse-"))
    runtime.chmod(0o700)
    fifo = runtime / "mic.fifo"
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ["PULSE_SERVER"] = f"unix:{runtime}/pulse/native"
    subprocess.run(
        ["pulseaudio", "-D", "--exit-idle-time=-1", "--disallow-exit", "-n",
         "--load=module-native-protocol-unix",
         "--load=module-null-sink sink_name=spk rate=48000",
         f"--load=module-pipe-source source_name=mic file={fifo} format=s16le rate=48000"
         " channels=1"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["pactl", "set-default-sink", "spk"], check=True)
    subprocess.run(["pactl", "set-default-source", "mic"], check=True)
    feeder = MicFeeder(fifo)
    feeder.start()
    speaker = SpeakerTap()
    speaker.start()
    try:
        yield Pulse(runtime, feeder, speaker)
    finally:
        feeder.stopped.set()
        speaker.stop()
        subprocess.run(["pulseaudio", "-k"], check=False, capture_output=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(runtime, ignore_errors=True)

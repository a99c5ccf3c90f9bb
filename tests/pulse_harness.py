"""A PulseAudio daemon with virtual devices for real-audio tests and benchmarks: a null sink
``spk`` (the speaker; record ``spk.monitor`` to hear it) and a pipe source ``mic`` fed from a
FIFO in real time (silence, and speech on request)."""

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


class Pulse:
    def __init__(self, runtime: Path, feeder: MicFeeder) -> None:
        self.runtime = runtime
        self.mic = feeder

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
        """What the speaker played, from the null sink's monitor."""
        proc = subprocess.Popen(
            ["parecord", "--device=spk.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
             "--channels=1"],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(seconds)
        proc.terminate()
        data, _ = proc.communicate(timeout=10)
        return np.frombuffer(data[: len(data) // 2 * 2], np.int16)


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
    try:
        yield Pulse(runtime, feeder)
    finally:
        feeder.stopped.set()
        subprocess.run(["pulseaudio", "-k"], check=False, capture_output=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(runtime, ignore_errors=True)

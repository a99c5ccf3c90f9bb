"""A PulseAudio daemon with virtual devices for real-audio tests and benchmarks: a null sink
``spk`` (the speaker) whose monitor a ``SpeakerTap`` always listens to, and a pipe source ``mic``
fed from a FIFO in real time (silence, and speech on request), optionally through a simulated
room that hears what the speaker really played (``Pulse.speaker_in_room``).

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

from tests.acoustic_room import AcousticRoom, RoomSpec

RATE = 48_000
BLOCK = RATE // 100


class MicFeeder(threading.Thread):
    """Writes 10 ms blocks into the pipe source: silence unless speaking, plus the room's echo
    and noise while a room is set (``room``, fed by a ``MonitorReader``).

    Without a room the feeder keeps real-time pace on its own clock. With one, the speaker's
    clock drives the microphone, as on a laptop whose sound card clocks both: each block the
    monitor delivers releases one block into the FIFO (times the room's drift). Two clocks
    pacing each side of the room's queue ratcheted the echo's delay up by a block at each
    dip of the monitor's delivery and by the lost time at each late wake-up of the feeder
    (measured: 20 ms to 50 ms within 10 s of a quiet run; 250-1389 ms in sessions); with one
    clock the room's queue, and so the delay it adds, stays at ``PRIME_SAMPLES``.
    """

    PRIME_SAMPLES = 3 * BLOCK  # the room's lead over the microphone: a partial block + jitter

    def __init__(self, fifo: Path) -> None:
        super().__init__(daemon=True, name="mic-feeder")
        self.fifo = fifo
        self.pending: collections.deque[npt.NDArray[np.int16]] = collections.deque()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.room: AcousticRoom | None = None
        self._primed = False
        self._owed = 0.0  # microphone samples the monitor's delivery has released
        self._room_fd: int | None = None
        self._mark_start = False
        self.blocks_written = 0
        self.blocks_dropped = 0  # room blocks the FIFO had no room for (the source not reading)
        self.room_queue_max = 0  # the most samples the room held (its added delay)
        self.user_started_at: list[float] = []  # monotonic time of each say()'s first block

    def say(self, pcm: npt.NDArray[np.int16]) -> None:
        padded = np.concatenate([pcm, np.zeros((-pcm.size) % BLOCK, np.int16)])
        with self.lock:
            self.pending.extend(padded.reshape(-1, BLOCK))
            self._mark_start = True

    @property
    def speaking(self) -> bool:
        with self.lock:
            return bool(self.pending)

    def set_room(self, room: AcousticRoom | None) -> None:
        with self.lock:
            self.room = room
            self._primed = False
            self._owed = 0.0
            self.room_queue_max = 0

    def played(self, samples: npt.NDArray[np.int16]) -> None:
        """What the speaker played, from the monitor (the room's input): once the room is
        primed, as many microphone blocks as that releases go into the FIFO."""
        blocks = []
        with self.lock:
            room = self.room
            if room is None:
                return
            room.push(samples)
            if not self._primed:
                self._primed = room.queued >= self.PRIME_SAMPLES
                return
            self._owed += samples.size / room.drift_ratio
            while self._owed >= BLOCK:
                self._owed -= BLOCK
                blocks.append(self._mix(room.pull()))
            self.room_queue_max = max(self.room_queue_max, room.queued)
        for block in blocks:
            self._write_room_block(block)

    def _user_block(self) -> npt.NDArray[np.int16] | None:
        """The user's next 10 ms, if speaking (called with the lock held)."""
        if self._mark_start and self.pending:
            self.user_started_at.append(time.monotonic())
            self._mark_start = False
        return self.pending.popleft() if self.pending else None

    def _mix(self, heard: npt.NDArray[np.float64]) -> npt.NDArray[np.int16]:
        user = self._user_block()
        if user is not None:
            heard = heard + user
        return np.clip(np.round(heard), -32768, 32767).astype(np.int16)

    def _write_room_block(self, block: npt.NDArray[np.int16]) -> None:
        """Never blocks the monitor's thread: a FIFO that is full (the source suspended) loses
        the block, as a sound card's buffer overruns."""
        if self._room_fd is None:
            self._room_fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(self._room_fd, block.tobytes())
            self.blocks_written += 1
        except (BlockingIOError, BrokenPipeError):  # full, or PulseAudio going away
            self.blocks_dropped += 1

    def _next_block(self) -> npt.NDArray[np.int16] | None:
        """The feeder's own block, or None while the monitor clocks the microphone."""
        with self.lock:
            room = self.room
            if room is not None and self._primed:
                return None
            user = self._user_block()
            heard = room.pull_noise() if room is not None else np.zeros(BLOCK)
        if user is not None:
            heard = heard + user
        return np.clip(np.round(heard), -32768, 32767).astype(np.int16)

    def run(self) -> None:
        """Feeds until the reader goes away (PulseAudio stopped). Falling behind (the source
        suspended, the FIFO full) restarts the pace instead of bursting to catch up."""
        with self.fifo.open("wb", buffering=0) as out:
            next_at = time.monotonic()
            while not self.stopped.is_set():
                block = self._next_block()
                if block is not None:
                    try:
                        out.write(block.tobytes())
                    except BrokenPipeError:
                        return
                    self.blocks_written += 1
                next_at += 0.01
                now = time.monotonic()
                if now - next_at > 0.05:
                    next_at = now
                time.sleep(max(0.0, next_at - now))
        if self._room_fd is not None:
            os.close(self._room_fd)


def record_monitor() -> subprocess.Popen[bytes]:
    """``parec`` on what the speaker plays, raw 48 kHz mono, in 10 ms fragments."""
    return subprocess.Popen(
        ["parec", "--device=spk.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
         "--channels=1", "--latency-msec=10"],
        stdout=subprocess.PIPE,
    )  # fmt: skip


class MonitorReader(threading.Thread):
    """Records ``spk.monitor`` (what was really played, at the sink's pace) into the feeder."""

    def __init__(self, feeder: MicFeeder) -> None:
        super().__init__(daemon=True, name="monitor-reader")
        self.feeder = feeder
        self.proc = record_monitor()
        self.samples = 0
        self.first_at: float | None = None  # monotonic time of the first delivery

    def run(self) -> None:
        assert self.proc.stdout is not None
        carry = b""
        while True:
            chunk = self.proc.stdout.read1(2 * BLOCK)  # type: ignore[attr-defined]
            if not chunk:
                return
            if self.first_at is None:
                self.first_at = time.monotonic()
            data, carry = carry + chunk, b""
            if len(data) % 2:
                data, carry = data[:-1], data[-1:]
            pcm = np.frombuffer(data, np.int16)
            self.samples += pcm.size
            self.feeder.played(pcm)

    @property
    def behind_ms(self) -> float:
        """How far the delivered samples trail the wall clock since the first delivery: a
        steady few ms is the fragment size; growth is monitor audio lost (parec overran)."""
        if self.first_at is None:
            return 0.0
        return (time.monotonic() - self.first_at) * 1000 - self.samples * 1000 / RATE

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


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
        self.process = record_monitor()

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
        self.monitor_behind_ms = 0

    @contextlib.contextmanager
    def speaker_looped_into_microphone(self) -> Iterator[None]:
        """The worst echo path: the microphone hears exactly what the speaker plays."""
        subprocess.run(["pactl", "set-default-source", "spk.monitor"], check=True)
        try:
            yield
        finally:
            subprocess.run(["pactl", "set-default-source", "mic"], check=True)

    @contextlib.contextmanager
    def speaker_in_room(self, spec: RoomSpec) -> Iterator[AcousticRoom]:
        """The microphone hears the speaker through ``spec``'s room (and the user's speech).
        ``monitor_behind_ms`` says, once it ends, how much of the speaker the room missed."""
        room = AcousticRoom(spec)
        reader = MonitorReader(self.mic)
        self.mic.set_room(room)
        reader.start()
        try:
            yield room
        finally:
            self.monitor_behind_ms = round(reader.behind_ms)
            reader.stop()
            self.mic.set_room(None)

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

"""What ffprobe would say of a recording, read with PyAV (the app's own FFmpeg)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from avatar_desktop.rig.avatar.stamp import read_stamp
from avatar_desktop.rig.avatar.sync_marker import find_tones


@dataclass
class Probe:
    codecs: dict[str, str]  # stream type → codec
    fps: float
    duration_s: float
    frames: int
    cues: list[tuple[float, float, str]]  # start, end, text
    audio_s: float
    audio: np.ndarray


def probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        codecs = {str(s.type): s.codec_context.name for s in container.streams}
        video = container.streams.video[0]
        times = [float(f.time) for f in container.decode(video) if f.time is not None]
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray().reshape(-1) for f in container.decode(container.streams.audio[0])]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    cues: list[tuple[float, float, str]] = []
    with av.open(str(path)) as container:
        if container.streams.subtitles:
            stream = container.streams.subtitles[0]
            base = stream.time_base or Fraction(1, 1000)
            for packet in container.demux(stream):
                data = bytes(packet)
                if packet.pts is None or len(data) < 2:
                    continue
                (length,) = struct.unpack(">H", data[:2])
                if length:
                    start = float(packet.pts * base)
                    end = start + float((packet.duration or 0) * base)
                    cues.append((start, end, data[2 : 2 + length].decode()))
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    return Probe(
        codecs=codecs,
        fps=(len(times) - 1) / span if span else 0.0,
        duration_s=max(times, default=0.0),
        frames=len(times),
        cues=cues,
        audio_s=audio.size / 48_000,
        audio=audio,
    )


def marker_offsets_ms(path: Path) -> list[float]:
    """For each flagged frame in the file, how far after it (ms) its tone sounds there."""
    frames: list[float] = []
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            stamp = read_stamp(np.asarray(frame.to_ndarray()[: frame.height], np.uint8))
            if stamp is not None and stamp.marker and frame.time is not None:
                frames.append(float(frame.time))
    sound = np.clip(probe(path).audio * 32768, -32768, 32767).astype(np.int16)
    tones = [i / 48_000 for i in find_tones(sound, 48_000)]
    offsets = []
    for at in frames:
        heard = [t for t in tones if at - 0.5 <= t < at + 0.5]
        if heard:
            offsets.append((min(heard, key=lambda t: abs(t - at)) - at) * 1000)
    return offsets


def ended_by_the_muxer(path: Path) -> bool:
    """A fragmented MP4 the muxer closed ends with its fragments' index (``mfra``)."""
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 4096))
        return b"mfra" in file.read()

"""Writes a conversation to a fragmented MP4 with PyAV (FFmpeg): H.264 (libx264) video, AAC
voice, and the transcript as a 3GPP timed-text (``mov_text``) subtitle track.

Fragmented (an empty ``moov`` up front, a ``moof`` per keyframe, a keyframe a second), so a file
cut off at any point — the app killed, the machine off — plays up to its last second. Times are
seconds on the caller's clock; the file's zero is ``origin_s``, the first frame's time: a
fragmented MP4 has no edit list, so each track starts at 0 whatever its first timestamp (checked:
a first frame written at 0.5 s decodes at 0.0), and the sound is made to start there too. A
stretch with nothing (a link that dropped) stays a gap in the picture and silence in the sound,
not a shorter file.
"""

from __future__ import annotations

import fractions
import struct
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from .sound_timeline import SAMPLE_RATE, SoundTimeline

_MS = fractions.Fraction(1, 1000)
_AUDIO_TB = fractions.Fraction(1, SAMPLE_RATE)
# The AAC encoder starts with 1024 samples of its own (priming). With no edit list to tell
# players to skip them (FFmpeg decodes them at time 0) every player would play the voice 21.3 ms
# late, so they stand in for the first 21.3 ms of sound: what arrived then is left out. (The
# first audio packet, the priming, is at 0 and the first frame at 0: see ``_encode_audio``.)
_AAC_PRIMING_SAMPLES = 1024
# mov_text's encoder wants an ASS header to open, though the track carries plain text.
_ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
    b"BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
    b"BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
    b"Style: Default,Sans,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n"
    b"\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
    b"Text\n"
)


def fit_720p(width: int, height: int) -> tuple[int, int]:
    """The size within 1280x720 of a ``width`` x ``height`` picture (even, never larger)."""
    scale = min(1.0, 1280 / width, 720 / height)
    return max(2, round(width * scale) & ~1), max(2, round(height * scale) & ~1)


class Mp4Writer:
    """One recording file. Not thread-safe: one thread feeds it (the recorder's)."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        *,
        fps: int = 30,
        origin_s: float = 0.0,
        microphone: bool = False,
    ) -> None:
        self.path = path
        self._origin_s = origin_s
        self.width, self.height = width, height
        self._container = av.open(
            str(path),
            "w",
            format="mp4",
            # Fragments reach the disk as they are made; the sparse subtitle track must not hold
            # the others in the interleaving queue (10 s by default: lost in a crash).
            container_options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "flush_packets": "1",
                "max_interleave_delta": "200000",
            },
        )
        video = self._container.add_stream(
            "libx264",
            rate=fps,
            options={"preset": "veryfast", "tune": "zerolatency", "crf": "23",
                     "g": str(fps), "keyint_min": str(fps)},
        )  # fmt: skip
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        # Frames come when they arrive, not on a 1/30 s grid: millisecond times all the way
        # (on the encoder's 1/fps clock two close frames would share a timestamp).
        video.time_base = video.codec_context.time_base = _MS
        self._video = video
        audio = self._container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = 96_000
        self._audio = audio
        subtitles = self._container.add_stream("mov_text")
        subtitles.codec_context.subtitle_header = _ASS_HEADER
        subtitles.time_base = _MS
        self._subtitles = subtitles
        self._last_video_ms = -1
        self._sound = SoundTimeline(origin_s, lead_samples=_AAC_PRIMING_SAMPLES, mixing=microphone)
        self._last_cue_end_ms = 0
        self.frames_written = 0
        self.cues_written = 0
        self._closed = False

    # -- picture ---------------------------------------------------------------------------
    def write_video(self, i420: bytes | memoryview, width: int, height: int, at_s: float) -> None:
        """One I420 frame (``width`` x ``height``, even) at ``at_s`` seconds into the recording:
        scaled to the file's size when it differs (the stream changed quality)."""
        planes = np.frombuffer(i420, np.uint8, count=width * height * 3 // 2)
        frame = av.VideoFrame.from_ndarray(planes.reshape(height * 3 // 2, width), "yuv420p")
        if (width, height) != (self.width, self.height):
            frame = frame.reformat(self.width, self.height)
        pts = max(round((at_s - self._origin_s) * 1000), self._last_video_ms + 1)
        self._last_video_ms = pts
        frame.pts, frame.time_base = pts, _MS
        self._container.mux(self._video.encode(frame))
        self.frames_written += 1

    # -- sound -----------------------------------------------------------------------------
    def write_audio(self, samples: npt.NDArray[np.int16], at_s: float) -> None:
        """The avatar's voice: 48 kHz mono samples whose first one was heard at ``at_s``
        (placed as sound_timeline.py says)."""
        self._sound.voice(samples, at_s)
        self._encode_ready()

    def write_microphone(self, samples: npt.NDArray[np.int16], at_s: float) -> None:
        """What the user's microphone sent, captured at ``at_s``: mixed with the voice (a
        writer opened with ``microphone=True``)."""
        self._sound.microphone(samples, at_s)
        self._encode_ready()

    @property
    def silence_filled_s(self) -> float:
        return self._sound.silence_filled_s

    def _encode_ready(self, final: bool = False) -> None:
        position = self._sound.encoded
        samples = self._sound.ready(final)
        if samples is None:
            return
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        # Counted from the priming's end, so the encoder's first packet (the priming) is at 0:
        # a negative one would make the muxer shift every track by it, or not, depending on
        # which track's packet came first.
        frame.pts = position + _AAC_PRIMING_SAMPLES
        frame.time_base = _AUDIO_TB
        self._container.mux(self._audio.encode(frame))

    # -- transcript --------------------------------------------------------------------------
    def write_cue(self, text: str, start_s: float, end_s: float) -> None:
        """A subtitle shown from ``start_s`` to ``end_s``; cues never overlap (a cue that starts
        before the previous one ended starts when it ends)."""
        start_ms = max(round((start_s - self._origin_s) * 1000), self._last_cue_end_ms)
        end_ms = max(round((end_s - self._origin_s) * 1000), start_ms + 1)
        body = text.encode()[:65_000]
        packet = av.Packet(struct.pack(">H", len(body)) + body)
        packet.stream = self._subtitles
        packet.time_base = _MS
        packet.pts = packet.dts = start_ms
        packet.duration = end_ms - start_ms
        self._container.mux(packet)
        self._last_cue_end_ms = end_ms
        self.cues_written += 1

    @property
    def seconds(self) -> float:
        heard = (self._sound.encoded + _AAC_PRIMING_SAMPLES) / SAMPLE_RATE
        return max(self._last_video_ms / 1000, heard)

    def close(self) -> None:
        """Flushes both encoders and ends the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._encode_ready(final=True)
            self._container.mux(self._video.encode(None))
            self._container.mux(self._audio.encode(None))
        finally:
            self._container.close()

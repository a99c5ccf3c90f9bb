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

SAMPLE_RATE = 48_000
_MS = fractions.Fraction(1, 1000)
_AUDIO_TB = fractions.Fraction(1, SAMPLE_RATE)
_GAP_S = 0.2  # audio this far behind the clock may be a gap: filled with silence
_SETTLE_S = 0.3  # how long late audio is held to tell a gap from a burst
_SILENCE_BLOCK = SAMPLE_RATE // 100
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
        self, path: Path, width: int, height: int, *, fps: int = 30, origin_s: float = 0.0
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
        self._samples_written = 0
        self._pending: list[tuple[npt.NDArray[np.int16], float]] = []
        self._last_cue_end_ms = 0
        self.frames_written = 0
        self.cues_written = 0
        self.silence_filled_s = 0.0
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
        """48 kHz mono samples whose first one was heard at ``at_s``. Sound from before the
        file's zero (and its priming) is left out. Sound that comes more than 0.2 s after its
        place is held for 0.3 s before it is placed: a burst that catches up (the engine was
        starved and is handing over what queued) goes on where the sound was; a stretch with
        nothing (the link dropped) becomes silence."""
        if self._pending:
            self._pending.append((samples, at_s))
            if at_s - self._pending[0][1] >= _SETTLE_S:
                self._settle()
            return
        due = self._due(at_s)
        if self._samples_written == 0 and due < 0:
            samples = samples[-due:]
            if samples.size == 0:
                return
            due = 0
        if due - self._samples_written > _GAP_S * SAMPLE_RATE:
            self._pending.append((samples, at_s))
            return
        self._encode_audio(samples)

    def _due(self, at_s: float) -> int:
        """Where in the sound a sample heard at ``at_s`` belongs."""
        return round((at_s - self._origin_s) * SAMPLE_RATE) - _AAC_PRIMING_SAMPLES

    def _settle(self) -> None:
        """Places the held sound: where its earliest-arriving block says the run began (a block
        can come late, never early), after silence if that is past a gap."""
        before, start = 0, None
        for samples, at_s in self._pending:
            begins = self._due(at_s) - before
            start = begins if start is None else min(start, begins)
            before += samples.size
        behind = (start or 0) - self._samples_written
        if behind > _GAP_S * SAMPLE_RATE:
            self.silence_filled_s += behind / SAMPLE_RATE
            silence = np.zeros(_SILENCE_BLOCK, np.int16)
            while behind > 0:
                self._encode_audio(silence[: min(behind, silence.size)])
                behind -= _SILENCE_BLOCK
        for samples, _ in self._pending:
            self._encode_audio(samples)
        self._pending.clear()

    def _encode_audio(self, samples: npt.NDArray[np.int16]) -> None:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        # Counted from the priming's end, so the encoder's first packet (the priming) is at 0:
        # a negative one would make the muxer shift every track by it, or not, depending on
        # which track's packet came first.
        frame.pts = self._samples_written + _AAC_PRIMING_SAMPLES
        frame.time_base = _AUDIO_TB
        self._samples_written += samples.size
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
        heard = (self._samples_written + _AAC_PRIMING_SAMPLES) / SAMPLE_RATE
        return max(self._last_video_ms / 1000, heard)

    def close(self) -> None:
        """Flushes both encoders and ends the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._pending:
                self._settle()
            self._container.mux(self._video.encode(None))
            self._container.mux(self._audio.encode(None))
        finally:
            self._container.close()

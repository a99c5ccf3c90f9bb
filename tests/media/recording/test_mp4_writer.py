from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from avatar_desktop.media.recording.mp4_writer import Mp4Writer, fit_720p
from avatar_desktop.media.recording.recorder import ENCODER_NICENESS, Recorder
from avatar_desktop.media.recording.sound_timeline import SAMPLE_RATE
from tests.media.recording.probe import probe

W, H = 320, 180


def _frame(number: int) -> bytes:
    planes = np.full(W * H * 3 // 2, 128, np.uint8)
    planes[: W * H] = (number * 7) % 220 + 16  # the picture changes every frame
    return planes.tobytes()


def _tone(seconds: float, start_sample: int = 0) -> np.ndarray:
    n = np.arange(start_sample, start_sample + round(seconds * SAMPLE_RATE))
    return (np.sin(2 * np.pi * 440 * n / SAMPLE_RATE) * 8000).astype(np.int16)


def _record(writer: Mp4Writer, start_s: float, seconds: float) -> None:
    """30 fps of frames and 10 ms blocks of a tone, as they would arrive over ``seconds``."""
    for i in range(round(seconds * 30)):
        writer.write_video(_frame(i), W, H, start_s + i / 30)
    for i in range(round(seconds * 100)):
        at = start_s + i / 100
        writer.write_audio(_tone(0.01, round(at * SAMPLE_RATE)), at)


def test_a_recording_has_h264_aac_30_fps_its_length_and_the_transcript_as_subtitles(
    tmp_path: Path,
) -> None:
    path = tmp_path / "talk.mp4"
    writer = Mp4Writer(path, W, H)
    _record(writer, 0.0, 6.0)
    writer.write_cue("You: Hello there", 0.5, 1.5)
    writer.write_cue("Avatar: Hi! How can I help?", 1.2, 3.0)  # overlapping: starts at 1.5
    writer.close()
    got = probe(path)
    assert got.codecs == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    assert abs(got.fps - 30) <= 1
    assert abs(got.duration_s - 6.0) <= 0.5 and abs(got.audio_s - 6.0) <= 0.5
    texts = [text for _, _, text in got.cues]
    assert texts == ["You: Hello there", "Avatar: Hi! How can I help?"]
    (s0, e0, _), (s1, _, _) = got.cues
    assert abs(s0 - 0.5) < 0.1 and abs(e0 - 1.5) < 0.1 and s1 >= e0 - 0.001


def test_frames_arriving_unevenly_are_all_kept(tmp_path: Path) -> None:
    """Frames come when the network brings them: two 4 ms apart, then a pause."""
    path = tmp_path / "uneven.mp4"
    writer = Mp4Writer(path, W, H)
    times = [i / 30 + (0.012 if i % 3 == 1 else 0.0) - (0.012 if i % 3 == 2 else 0.0)
             for i in range(90)]  # fmt: skip
    for i, at in enumerate(times):
        writer.write_video(_frame(i), W, H, at)
        if i == 45:
            writer.write_video(_frame(i), W, H, at + 0.004)
    writer.close()
    assert probe(path).frames == 91


def test_a_gap_in_what_arrives_stays_a_gap_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "gap.mp4"
    writer = Mp4Writer(path, W, H)
    _record(writer, 0.0, 2.0)
    _record(writer, 5.0, 2.0)  # the link was down from 2 s to 5 s
    writer.close()
    assert 2.9 <= writer.silence_filled_s <= 3.1
    got = probe(path)
    assert abs(got.duration_s - 7.0) <= 0.5 and abs(got.audio_s - 7.0) <= 0.5
    during_gap = got.audio[int(2.5 * SAMPLE_RATE) : int(4.5 * SAMPLE_RATE)]
    assert np.abs(during_gap).max() < 0.01  # silence where nothing came
    assert np.abs(got.audio[int(5.5 * SAMPLE_RATE) : int(6.5 * SAMPLE_RATE)]).max() > 0.1


def test_a_sound_and_a_frame_of_one_instant_sit_at_one_instant_in_the_file(
    tmp_path: Path,
) -> None:
    """Also when the sound began before the first frame: each track of a fragmented MP4 starts
    at 0, and the AAC encoder's priming would put the voice 21.3 ms late."""
    path = tmp_path / "sync.mp4"
    writer = Mp4Writer(path, W, H, origin_s=0.5)
    sound = np.zeros(3 * SAMPLE_RATE, np.int16)
    sound[int(1.5 * SAMPLE_RATE) : int(1.51 * SAMPLE_RATE)] = 12_000  # a click at 1.5 s
    for start in range(0, sound.size, 480):
        writer.write_audio(sound[start : start + 480], start / SAMPLE_RATE)
    for i in range(15, 90):  # the picture from 0.5 s, turning white at 1.5 s
        planes = np.full(W * H * 3 // 2, 235 if i >= 45 else 16, np.uint8)
        writer.write_video(planes.tobytes(), W, H, i / 30)
    writer.write_cue("You: now", 1.5, 2.0)
    writer.close()
    with av.open(str(path)) as container:
        white = next(
            float(frame.time)
            for frame in container.decode(container.streams.video[0])
            if frame.time is not None and frame.to_ndarray()[0, 0] > 128
        )
    got = probe(path)
    click = int(np.argmax(np.abs(got.audio) > 0.1)) / SAMPLE_RATE
    assert abs(white - 1.0) < 0.002 and abs(click - 1.0) < 0.002, (white, click)
    assert abs(got.cues[0][0] - 1.0) < 0.002


def test_sound_handed_over_in_a_burst_after_a_stall_is_not_a_gap(tmp_path: Path) -> None:
    """A starved engine hands 0.4 s of queued sound over at once: it goes on where the sound
    was (a gap would put everything after it 0.4 s late), unlike a link that really dropped."""
    path = tmp_path / "burst.mp4"
    writer = Mp4Writer(path, W, H)
    sound = np.zeros(4 * SAMPLE_RATE, np.int16)
    sound[int(3.0 * SAMPLE_RATE) : int(3.01 * SAMPLE_RATE)] = 12_000  # a click at 3 s
    for i in range(120):
        writer.write_video(_frame(i), W, H, i / 30)
    for start in range(0, sound.size, 480):
        played = start / SAMPLE_RATE
        arrived = 1.4 if 1.0 <= played < 1.4 else played  # stalled from 1.0 s to 1.4 s
        writer.write_audio(sound[start : start + 480], arrived)
    writer.close()
    assert writer.silence_filled_s == 0
    got = probe(path)
    click = int(np.argmax(np.abs(got.audio) > 0.1)) / SAMPLE_RATE
    assert abs(click - 3.0) < 0.002, click


KILLED_WRITER = """
import os, signal, sys, time
from pathlib import Path
from tests.media.recording.test_mp4_writer import W, H, _frame, _tone
from avatar_desktop.media.recording.mp4_writer import Mp4Writer
writer = Mp4Writer(Path(sys.argv[1]), W, H)
for i in range(30 * 4):
    writer.write_video(_frame(i), W, H, i / 30)
    writer.write_audio(_tone(1 / 30), i / 30)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_recording_cut_off_by_a_kill_still_plays(tmp_path: Path) -> None:
    path = tmp_path / "killed.mp4"
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)],
        cwd=Path(__file__).resolve().parents[3],
        check=False,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL
    got = probe(path)
    assert got.codecs["video"] == "h264"
    assert got.frames >= 60  # all but the last second (a fragment per keyframe)
    assert got.duration_s >= 2.0


def test_the_recorder_writes_from_its_own_thread_and_reports(tmp_path: Path) -> None:
    path = tmp_path / "rec.mp4"
    recorder = Recorder(path)
    for i in range(45):
        recorder.video(_frame(i), W, H)
        for _ in range(3):
            recorder.audio(_tone(0.01))
        time.sleep(1 / 30)
    recorder.cue("You: one line", time.time() - 1.0, time.time() - 0.5)
    stats = recorder.stop()
    assert stats.error == "" and stats.frames_written + stats.frames_dropped == 45
    assert stats.frames_written >= 40 and stats.bytes > 1000 and stats.cues == 1
    got = probe(path)
    assert abs(got.duration_s - 1.5) <= 0.5
    assert [text for _, _, text in got.cues] == ["You: one line"]


def test_a_recording_that_cannot_be_written_says_why_and_never_raises(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "no such folder" / "rec.mp4")
    recorder.video(_frame(0), W, H)
    recorder.audio(_tone(0.01))
    stats = recorder.stop()
    assert stats.error and stats.frames_written == 0 and stats.bytes == 0


@pytest.mark.parametrize(
    ("size", "fitted"),
    [((1920, 1080), (1280, 720)), ((1280, 720), (1280, 720)), ((640, 360), (640, 360)),
     ((1080, 1920), (404, 720))],
)  # fmt: skip
def test_720p_fits_without_growing(size: tuple[int, int], fitted: tuple[int, int]) -> None:
    assert fit_720p(*size) == fitted


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
def test_the_encoder_runs_below_the_live_views_priority(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "nice.mp4")
    recorder.video(_frame(0), W, H)  # the encoder (and libx264's threads) start from its thread
    time.sleep(0.5)
    tid = recorder._thread.native_id
    assert tid is not None
    stats = {}
    for task in Path("/proc/self/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        stats[int(task.name)] = int(fields[16])  # the 19th field of stat: nice
    recorder.stop()
    assert stats[tid] == ENCODER_NICENESS
    assert stats[threading.get_native_id()] == 0  # the caller's thread (the engine's loop) not

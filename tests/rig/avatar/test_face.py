"""The demo avatar's painter: alive when idle, a mouth per viseme, the stamp only on request,
and a frame cheap enough for 30 frames/s with room to spare."""

from __future__ import annotations

import time

import numpy as np
import pytest

from avatar_desktop.rig.avatar.face import FacePainter
from avatar_desktop.rig.avatar.motion import IdleMotion
from avatar_desktop.rig.avatar.stamp import Stamp, read_stamp
from avatar_desktop.rig.avatar.visemes import AMOUNTS, REST, VISEMES, Mouth, from_level

FPS = 30


def idle_frames(painter: FacePainter, seconds: float, start_s: float = 0.0) -> list[bytes]:
    return [bytes(painter.paint(None, REST, start_s + n / FPS)) for n in range(int(seconds * FPS))]


def test_the_idle_picture_moves_over_two_seconds() -> None:
    painter = FacePainter(640, 360)
    frames = idle_frames(painter, 2.0, start_s=5.0)
    distinct = len(set(frames))
    assert distinct >= 3, "an idle avatar must not look frozen"
    first, last = (np.frombuffer(f, np.uint8) for f in (frames[0], frames[-1]))
    assert int((first != last).sum()) > 100  # more than noise: the person moved


def test_idle_motion_is_deterministic_per_seed_and_blinks_at_natural_intervals() -> None:
    a, b, other = IdleMotion(7), IdleMotion(7), IdleMotion(8)
    times = [n / FPS for n in range(FPS * 20)]
    assert [a.pose(t) for t in times] == [b.pose(t) for t in times]
    assert [a.gaze(t) for t in times] == [b.gaze(t) for t in times]
    assert [a.gaze(t) for t in times] != [other.gaze(t) for t in times]
    blinks = a.blink_times(120.0)
    gaps = np.diff(blinks)
    assert 15 <= len(blinks) <= 70
    assert gaps.max() <= 6.0 and np.median(gaps) >= 2.0
    assert min(g.lid for g in (a.gaze(blinks[0] + k / 100) for k in range(20))) == 0
    breaths = {a.pose(t).breath for t in times}
    sways = {a.pose(t).sway for t in times}
    assert len(breaths) >= 3 and len(sways) >= 3


def test_each_viseme_draws_its_own_mouth_and_only_the_mouth_changes() -> None:
    painter = FacePainter(640, 360)
    pictures = {}
    for viseme in VISEMES:
        pictures[viseme] = np.frombuffer(
            bytes(painter.paint(None, Mouth(viseme, AMOUNTS), 1.0)), np.uint8
        )[: 640 * 360].reshape(360, 640)
    rest = pictures["rest"]
    for viseme, picture in pictures.items():
        if viseme == "rest":
            continue
        rows, cols = np.nonzero(picture != rest)
        assert rows.size > 20, f"{viseme} looks like rest"
        # the change stays in the lower face: below the eyes, around the centre line
        assert rows.min() > 0.45 * 360 and rows.max() < 0.65 * 360
        assert abs(float(cols.mean()) - 320) < 0.05 * 640
    opened = [pictures[v].tobytes() for v in ("open", "wide", "round", "pucker", "teeth")]
    assert len(set(opened)) == len(opened)


def test_the_loudness_fallback_opens_wider_when_louder() -> None:
    assert from_level(0.0) == REST
    assert from_level(0.2).amount < from_level(0.9).amount


@pytest.mark.parametrize(("width", "height"), [(640, 360), (1280, 720)])
def test_the_stamp_is_only_there_when_asked_for(width: int, height: int) -> None:
    painter = FacePainter(width, height)
    for n in range(5):
        painter.paint(None, REST, n / FPS)
        assert read_stamp(painter.y) is None
    painter.paint(Stamp(42, 4242), REST, 1.0)
    assert read_stamp(painter.y) == Stamp(42, 4242)
    painter.paint(None, REST, 1.0)
    assert read_stamp(painter.y) is None
    background = FacePainter(width, height)
    background.paint(None, REST, 1.0)
    assert bytes(painter.buffer) == bytes(background.buffer)  # the strip is just the picture


def test_a_frame_costs_a_small_part_of_a_30_fps_budget() -> None:
    """A floor that catches a broken pipeline (re-rendering per frame costs ~100 times more),
    not a speed figure: those are in tests/perf."""
    painter = FacePainter(1280, 720)
    painter.warm()
    speaking = [Mouth(v, 1 + n % AMOUNTS) for n, v in enumerate(VISEMES)]
    for n in range(60):  # every eye and mouth patch rendered once
        painter.paint(Stamp(n, n), speaking[n % len(speaking)], n / FPS)
    started = time.process_time()
    for n in range(150):
        painter.paint(Stamp(n, n), speaking[n % len(speaking)], 60 + n / FPS)
    per_frame_s = (time.process_time() - started) / 150
    assert per_frame_s < 0.5 / FPS

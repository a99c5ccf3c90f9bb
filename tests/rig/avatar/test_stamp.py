from __future__ import annotations

import numpy as np

from avatar_desktop.rig.avatar.face import QUALITY_SIZES, FacePainter
from avatar_desktop.rig.avatar.stamp import Stamp, latency_us, read_stamp
from avatar_desktop.rig.avatar.visemes import REST, Mouth


def test_stamp_survives_every_quality_and_a_downscale() -> None:
    for width, height in QUALITY_SIZES.values():
        painter = FacePainter(width, height)
        painter.paint(Stamp(123_456, (1 << 48) - 5), Mouth("open"), 3.0)
        assert read_stamp(painter.y) == Stamp(123_456, (1 << 48) - 5)
        half = painter.y[::2, ::2]
        assert read_stamp(half) == Stamp(123_456, (1 << 48) - 5)


def test_corrupted_stamp_is_rejected() -> None:
    painter = FacePainter(1280, 720)
    painter.paint(Stamp(7, 1000), REST, 0.0)
    painter.y[:20, 100:140] = 255 - painter.y[:20, 100:140]  # two whole blocks of row 0
    assert read_stamp(painter.y) is None
    assert read_stamp(np.zeros((720, 1280), np.uint8)) is None


def test_latency_wraps_on_the_48_bit_clock() -> None:
    assert latency_us(Stamp(0, (1 << 48) - 10), 5) == 15

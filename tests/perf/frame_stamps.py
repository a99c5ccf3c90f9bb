"""The rig's stamp read from a frame the view pulled (BGRA, scaled), for the benchmarks."""

from __future__ import annotations

import numpy as np

from avatar_desktop.core.media_port import Frame
from avatar_desktop.rig.avatar.stamp import Stamp, read_stamp


def painted_stamp(frame: Frame) -> Stamp | None:
    """Reads only the top band the stamp lives in (one channel: its blocks are grey), padded
    below so the reader sees the two block rows whole."""
    rows = np.frombuffer(frame.pixels, np.uint8).reshape(frame.height, frame.stride)
    band = np.ascontiguousarray(rows[: frame.height // 20 + 2, : frame.width * 4 : 4])
    return read_stamp(np.vstack([band, np.zeros_like(band)]))

"""A frame counter and send time drawn into each video frame, so that a receiver can measure
dropped frames and glass-to-glass latency from the picture alone (no side channel).

Two rows of 48 black/white blocks across the top-left of the luma plane: row 0 carries the frame
counter (31 bits), the lip-sync marker flag (the 32nd bit: this frame is shown with a tone in the
voice, ``sync_marker.py``) and a 16-bit check, row 1 the send time in microseconds modulo 2**48.
Geometry is relative to the frame width, so a receiver that got a scaled frame still reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BITS_PER_ROW = 48
_BLOCKS_ACROSS = 64  # the stamp spans 48 of 64 block widths
_TIME_MASK = (1 << 48) - 1
_NUMBER_MASK = (1 << 31) - 1
_MARKER_BIT = 1 << 31
_DARK, _LIGHT = 16, 235


@dataclass(frozen=True)
class Stamp:
    frame_number: int
    sent_at_us: int  # wall clock, microseconds modulo 2**48
    marker: bool = False  # a lip-sync marker: the voice carries a tone from this instant

    @property
    def word(self) -> int:
        """Row 0's 32-bit field: the counter and the marker flag."""
        return (self.frame_number & _NUMBER_MASK) | (_MARKER_BIT if self.marker else 0)


def block_width(width: int) -> float:
    return width / _BLOCKS_ACROSS


def _check(frame_number: int, sent_at_us: int) -> int:
    folded = frame_number ^ (frame_number >> 16) ^ sent_at_us ^ (sent_at_us >> 16)
    return (folded ^ (sent_at_us >> 32) ^ 0xA5C3) & 0xFFFF


def _bits(value: int) -> npt.NDArray[np.bool_]:
    return np.array([(value >> (BITS_PER_ROW - 1 - i)) & 1 for i in range(BITS_PER_ROW)], bool)


def write_stamp(luma: npt.NDArray[np.uint8], stamp: Stamp) -> None:
    """Draws the stamp into a (height, width) luma plane in place."""
    b = block_width(luma.shape[1])
    edges = [round(i * b) for i in range(BITS_PER_ROW + 1)]
    row0 = (stamp.word << 16) | _check(stamp.word, stamp.sent_at_us)
    for row, value in enumerate((row0, stamp.sent_at_us & _TIME_MASK)):
        y0, y1 = round(row * b), round((row + 1) * b)
        for i, bit in enumerate(_bits(value)):
            luma[y0:y1, edges[i] : edges[i + 1]] = _LIGHT if bit else _DARK


def read_stamp(luma: npt.NDArray[np.uint8]) -> Stamp | None:
    """Reads the stamp from a luma plane (any scale); None when the check does not match."""
    height, width = luma.shape
    b = block_width(width)
    if b < 2 or height < 2 * b:
        return None
    xs = ((np.arange(BITS_PER_ROW) + 0.5) * b).astype(int)
    x_half = max(1, int(b * 0.2))
    values = []
    for row in range(2):
        y0, y1 = int(row * b + b * 0.3), int(row * b + b * 0.7) + 1
        # the middle of each block: the band's column means, summed over the block's centre
        profile = np.concatenate([[0.0], np.cumsum(luma[y0:y1].mean(axis=0))])
        lo, hi = np.clip(xs - x_half, 0, width), np.clip(xs + x_half + 1, 0, width)
        samples = (profile[hi] - profile[lo]) / (hi - lo)
        values.append(int("".join("1" if v > 128 else "0" for v in samples), 2))
    word, check = values[0] >> 16, values[0] & 0xFFFF
    if _check(word, values[1]) != check:
        return None
    return Stamp(word & _NUMBER_MASK, values[1], marker=bool(word & _MARKER_BIT))


def latency_us(stamp: Stamp, now_us: int) -> int:
    """Now minus send time, on the 48-bit wrapped clock."""
    return (now_us - stamp.sent_at_us) & _TIME_MASK
